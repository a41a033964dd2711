/**
 * Files written into a staged asset.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Writes a script as given (callers write LF line endings) with mode 0755, creating its folder. */
export function writeExecutable(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, 0o755);
}
