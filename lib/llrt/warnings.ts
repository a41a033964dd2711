import { IConstruct } from 'constructs';
import { warn } from '../core/errors';

/**
 * The warnings LLRT's bundling and binary sources can raise, each with its own id (listed in the README's
 * troubleshooting table), so a user can acknowledge exactly one of them.
 */
export type LlrtWarningId =
  | 'llrt-esbuild'
  | 'llrt-imports-unchecked'
  | 'llrt-bootstrap-not-elf'
  | 'llrt-cache-replaced'
  | 'llrt-lock-not-written'
  | 'llrt-latest-stale'
  | 'llrt-latest-resolved'
  | 'llrt-bytecode-unknown-version'
  | 'llrt-bytecode-skipped';

/** A warning found while the asset is built (inside the construct's `super()`), added to the construct afterwards. */
export interface LlrtWarning {
  readonly id: LlrtWarningId;
  readonly message: string;
}

/** Where the bundling and the binary sources put their warnings. */
export type LlrtWarnings = LlrtWarning[];

/** Adds each distinct warning to `scope` under its id (written out at each `warn(` call, as the README test reads them). */
export function addLlrtWarnings(scope: IConstruct, warnings: LlrtWarnings): void {
  const seen = new Set<string>();
  for (const { id, message } of warnings) {
    const key = `${id}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    switch (id) {
      case 'llrt-esbuild': warn(scope, 'llrt-esbuild', message); break;
      case 'llrt-imports-unchecked': warn(scope, 'llrt-imports-unchecked', message); break;
      case 'llrt-bootstrap-not-elf': warn(scope, 'llrt-bootstrap-not-elf', message); break;
      case 'llrt-cache-replaced': warn(scope, 'llrt-cache-replaced', message); break;
      case 'llrt-lock-not-written': warn(scope, 'llrt-lock-not-written', message); break;
      case 'llrt-latest-stale': warn(scope, 'llrt-latest-stale', message); break;
      case 'llrt-latest-resolved': warn(scope, 'llrt-latest-resolved', message); break;
      case 'llrt-bytecode-unknown-version': warn(scope, 'llrt-bytecode-unknown-version', message); break;
      case 'llrt-bytecode-skipped': warn(scope, 'llrt-bytecode-skipped', message); break;
      default: {
        const unknown: never = id; // a new LlrtWarningId needs its case above
        throw new Error(`LLRT warning id '${unknown}' has no case in addLlrtWarnings (internal error)`);
      }
    }
  }
}
