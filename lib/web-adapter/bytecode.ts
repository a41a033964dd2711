import * as fs from 'fs';
import * as path from 'path';
import { outputTail, run } from '../core/process';
import { LocalPython } from '../core/python';

/**
 * Python bytecode for Lambda assets.
 *
 * `/var/task` is read-only on Lambda, so Python cannot keep the bytecode it compiles: an asset without `.pyc` files
 * compiles every module it imports from source at every cold start (`import flask`: 270-300 ms without bytecode,
 * 115 ms with it, measured on python3.12), and INIT is billed. Bytecode is only used by the Python minor version
 * that wrote it, so it must be compiled by an interpreter of the runtime's version; and it must not depend on
 * file times (Lambda unpacks the zip with the times the zip holds, and the CDK zips with fixed ones), hence
 * `--invalidation-mode unchecked-hash`.
 */

/** What the warning for a missing interpreter quotes: measured on python3.12, Flask 3.1 (see the README). */
export const BYTECODE_COST = '`import flask` took 270-300 ms from source against 115 ms with bytecode';

/** The `compileall` arguments (after the interpreter) that compile every `.py` under `dir` for Lambda. */
export function compileallArgs(dir: string): string[] {
  // -f: pip (or a previous step) may have left timestamp-based .pyc files that compileall would take as current.
  // -s: paths in the bytecode relative to the asset, so the output does not depend on the staging folder (Python
  //     sets the real file name when it imports the module anyway).
  return ['-m', 'compileall', '-q', '-f', '-j', '0', '--invalidation-mode', 'unchecked-hash', '-s', dir, dir];
}

/** The `.py` files under `dir` that compileall could not compile (it names them in `*** Error compiling '<file>'...`). */
function failedFiles(output: string): string[] {
  return [...output.matchAll(/\*\*\* Error compiling '([^']+)'/g)].map(m => m[1]);
}

/** Result of compiling an asset. */
export interface CompileResult {
  /** `.pyc` files for the interpreter's version in the asset afterwards. */
  readonly pycFiles: number;
  /** Source files that did not compile (they stay as they are: Python would fail on them at import too). */
  readonly failed: string[];
}

/**
 * Compiles every `.py` file under `dir` with `python`. Files that do not compile are reported, not fatal: the
 * asset stays what it was without bytecode. Throws when the interpreter itself cannot run.
 */
export function compileBytecode(python: LocalPython, dir: string): CompileResult {
  const result = run(python.command, [...python.prefixArgs, ...compileallArgs(dir)], { cwd: dir });
  if (result.error) {
    throw new Error(`cannot run Python ${python.version} (${python.command}) to compile bytecode: ${result.error.message}; ` +
      'install that Python again, or turn bytecode off with bundling: { pythonBytecode: false }');
  }
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const failed = failedFiles(output);
  if (result.status !== 0 && failed.length === 0) {
    throw new Error(`Python ${python.version} (${python.command}) failed to compile the asset's bytecode ` +
      `(exit ${result.status}):\n${outputTail(output)}`);
  }
  const tag = `cpython-${python.version.replace('.', '')}`;
  return { pycFiles: countFiles(dir, name => name.endsWith(`.${tag}.pyc`)), failed };
}

function countFiles(dir: string, match: (name: string) => boolean): number {
  let count = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += countFiles(path.join(dir, entry.name), match);
    else if (match(entry.name)) count++;
  }
  return count;
}
