import * as crypto from 'crypto';
import * as fs from 'fs';

/** SHA-256 (lower-case hex) of some data. */
export function sha256(data: Buffer | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of several fields, each followed by a NUL, so `('ab', 'c')` and `('a', 'bc')` differ. */
export function sha256Fields(...fields: string[]): string {
  return sha256(fields.map(f => `${f}\0`).join(''));
}

export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}
