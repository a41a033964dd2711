/**
 * Jest setup file (before every test file): the tools the tests judge with are the pinned ones from
 * scripts/tool-versions.env, installed by scripts/setup.sh into .rustacean-lambda/tools/bin, never whatever
 * cargo-lambda or cfn-lint a machine happens to have on PATH. Only that folder is put first on PATH: it holds
 * cargo-lambda, cfn-lint and zig, not a Python interpreter, so the machine's own python3 stays what it was.
 */
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const PINNED_TOOLS_BIN = path.join(
  process.env.RUSTACEAN_LAMBDA_TOOLS_DIR ?? path.join(REPO_ROOT, '.rustacean-lambda', 'tools'), 'bin');

/** The pins, read from the one file that holds them. */
export function toolVersions(): Record<string, string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'tool-versions.env'), 'utf-8');
  const pins: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) pins[match[1]] = match[2];
  }
  return pins;
}

/** Path of a pinned tool; throws with the fix when setup has not run. */
export function pinnedTool(name: 'cargo-lambda' | 'cfn-lint' | 'zig'): string {
  const file = path.join(PINNED_TOOLS_BIN, name);
  if (!fs.existsSync(file)) {
    throw new Error(`the pinned ${name} is missing (${file}); run \`npm run setup\` (scripts/setup.sh) first`);
  }
  return file;
}

const entries = (process.env.PATH ?? '').split(path.delimiter).filter(entry => entry !== PINNED_TOOLS_BIN);
process.env.PATH = [PINNED_TOOLS_BIN, ...entries].join(path.delimiter);
