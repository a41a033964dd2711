import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isExecutableFile, run } from '../core/process';

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

/** A local Python interpreter of a known version. */
export interface LocalPython {
  /** The executable (an absolute path, or a command name on PATH). */
  readonly command: string;
  /** Arguments before the script's own (`py -3.12` on Windows). */
  readonly prefixArgs: string[];
  /** `major.minor`. */
  readonly version: string;
  /** Where it was found: `PATH`, `pyenv`, `uv`. */
  readonly source: string;
}

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
      'install that Python again, or turn bytecode off with pythonBytecode: false');
  }
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const failed = failedFiles(output);
  if (result.status !== 0 && failed.length === 0) {
    throw new Error(`Python ${python.version} (${python.command}) failed to compile the asset's bytecode ` +
      `(exit ${result.status}):\n${output.trim().split('\n').slice(-15).map(l => `  ${l}`).join('\n')}`);
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

/**
 * Finds local Python interpreters by version: `python3.X` on PATH, the `python3`/`python` on PATH when it has
 * that version, pyenv's versions (`$PYENV_ROOT`, default `~/.pyenv`), uv-managed ones (`uv python find`, and
 * `$UV_PYTHON_INSTALL_DIR`, default `~/.local/share/uv/python`), and on Windows the `py` launcher. Every
 * candidate is run once to confirm its version. Answers are kept per version for the process.
 */
export class PythonInterpreters {
  /**
   * The environment searched (PATH, PYENV_ROOT, UV_PYTHON_INSTALL_DIR, XDG_DATA_HOME, HOME).
   * @default process.env
   */
  public static environment?: Record<string, string | undefined>;

  public static find(version: string): LocalPython | undefined {
    if (!PythonInterpreters.cache.has(version)) {
      PythonInterpreters.cache.set(version, search(version, PythonInterpreters.environment ?? process.env));
    }
    return PythonInterpreters.cache.get(version);
  }

  /** Forget what was found, and the environment override (tests). */
  public static reset(environment?: Record<string, string | undefined>): void {
    PythonInterpreters.cache.clear();
    PythonInterpreters.environment = environment;
  }

  private static readonly cache = new Map<string, LocalPython | undefined>();
}

/** `major.minor` of an interpreter, or undefined when it does not run. */
function versionOf(command: string, prefixArgs: string[], env: Record<string, string | undefined>): string | undefined {
  const result = run(command, [...prefixArgs, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { env: defined(env) });
  return result.status === 0 && !result.error ? result.stdout.trim() : undefined;
}

function defined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}


/** Directory entries sorted by version, newest first (`3.12.10` before `3.12.9`). */
function byVersionDescending(names: string[]): string[] {
  const key = (name: string) => (/(\d+)\.(\d+)\.(\d+)/.exec(name) ?? ['', '0', '0', '0']).slice(1).map(Number);
  return [...names].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return kb[i] - ka[i];
    return 0;
  });
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function search(version: string, env: Record<string, string | undefined>): LocalPython | undefined {
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  const windows = process.platform === 'win32';
  const candidates: Array<{ command: string; prefixArgs: string[]; source: string }> = [];
  const pathDirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const exe = windows ? '.exe' : '';

  for (const name of [`python${version}`, 'python3', 'python']) {
    for (const dir of pathDirs) {
      const file = path.join(dir, `${name}${exe}`);
      if (isExecutableFile(file)) candidates.push({ command: file, prefixArgs: [], source: 'PATH' });
    }
  }
  const pyenvRoot = env.PYENV_ROOT ?? path.join(home, '.pyenv');
  for (const entry of byVersionDescending(listDir(path.join(pyenvRoot, 'versions')).filter(n => n === version || n.startsWith(`${version}.`)))) {
    candidates.push({ command: path.join(pyenvRoot, 'versions', entry, 'bin', `python${version}`), prefixArgs: [], source: 'pyenv' });
  }
  const uvDir = env.UV_PYTHON_INSTALL_DIR ?? path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'uv', 'python');
  for (const entry of byVersionDescending(listDir(uvDir).filter(n => n.startsWith(`cpython-${version}.`)))) {
    candidates.push({ command: path.join(uvDir, entry, 'bin', `python${version}`), prefixArgs: [], source: 'uv' });
  }
  if (windows) candidates.push({ command: 'py', prefixArgs: [`-${version}`], source: 'py launcher' });

  const seen = new Set<string>();
  for (const candidate of candidates) {
    if (seen.has(candidate.command)) continue;
    seen.add(candidate.command);
    if (candidate.prefixArgs.length === 0 && !isExecutableFile(candidate.command)) continue;
    if (versionOf(candidate.command, candidate.prefixArgs, env) === version) return { ...candidate, version };
  }

  // uv knows interpreters elsewhere too (system ones, other install dirs); it never downloads for `find`.
  for (const dir of pathDirs) {
    const uv = path.join(dir, `uv${exe}`);
    if (!isExecutableFile(uv)) continue;
    const result = run(uv, ['python', 'find', '--no-project', version], { env: defined({ ...env, UV_PYTHON_DOWNLOADS: 'never' }) });
    const found = result.status === 0 ? result.stdout.trim() : '';
    if (found && versionOf(found, [], env) === version) return { command: found, prefixArgs: [], version, source: 'uv' };
    break;
  }
  return undefined;
}
