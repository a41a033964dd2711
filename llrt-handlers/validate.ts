// A realistic bundle for the bytecode benchmark (bench/llrt.ts): a large pure-JavaScript library (zod) validating
// the event against a schema built at module scope.
import { z } from 'zod';

const Order = z.object({
  id: z.string().min(1),
  email: z.email(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
  note: z.string().max(200).optional(),
});

export const handler = async (event: unknown) => {
  const parsed = Order.safeParse(event);
  return parsed.success
    ? { ok: true, items: parsed.data.items.length }
    : { ok: false, issues: parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`) };
};
