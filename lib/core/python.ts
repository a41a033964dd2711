/**
 * The machine's Python: found once per process, and pip run with it. The local host runs Python functions with it
 * (and installs their runtime client), the Web Adapter's local bundling installs an app's requirements with it.
 * And a Python of one exact version (PATH, pyenv, uv), for bytecode that a Lambda runtime's Python can use.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isExecutableFile, outputTail, run } from './process';

/** The local Python interpreter. */
export interface HostPython {
  /** The command it was found as (`python3`, `python`, or `$RUSTACEAN_LAMBDA_PYTHON`). */
  readonly command: string;
  /** The real executable (not a pyenv or asdf shim, which would add its own start-up time). */
  readonly executable: string;
  /** `major.minor`, e.g. `3.12`. */
  readonly version: string;
  /** Whether `python -m pip` works. */
  readonly hasPip: boolean;
}

let found: HostPython | undefined;

const PROBE = [
  'import sys',
  'print(sys.executable)',
  'print("%d.%d" % sys.version_info[:2])',
  'import importlib.util',
  'print("pip" if importlib.util.find_spec("pip") else "")',
].join('\n');

/**
 * The machine's Python 3: `$RUSTACEAN_LAMBDA_PYTHON`, else `python3`, else `python`, resolved to the real
 * interpreter. Throws with `fix` appended when there is none, or (with `needPip`) when it has no pip.
 */
export function findPython(options: { readonly needPip?: boolean; readonly fix?: string } = {}): HostPython {
  if (!found) {
    const explicit = process.env.RUSTACEAN_LAMBDA_PYTHON;
    const reasons: string[] = [];
    for (const command of explicit ? [explicit] : ['python3', 'python']) {
      const result = run(command, ['-c', PROBE]);
      if (result.error || result.status !== 0) {
        reasons.push(`${command}: ${result.error?.message ?? result.stderr.trim()}`);
        continue;
      }
      const [executable, version, pip] = result.stdout.trim().split('\n');
      if (!version?.startsWith('3.')) {
        reasons.push(`${command} is Python ${version}`);
        continue;
      }
      found = { command, executable, version, hasPip: pip === 'pip' };
      break;
    }
    if (!found) {
      throw new Error(`no Python 3 on this machine (${reasons.join('; ')}); install Python 3 or set RUSTACEAN_LAMBDA_PYTHON ` +
        `to an interpreter${options.fix ? `; ${options.fix}` : ''}`);
    }
  }
  if (options.needPip && !found.hasPip) {
    throw new Error(`${found.command} (Python ${found.version}, ${found.executable}) has no pip (\`${found.command} -m pip\` fails); ` +
      `install pip for it (e.g. \`${found.command} -m ensurepip\`)${options.fix ? `, ${options.fix}` : ''}`);
  }
  return found;
}

/** Forget the Python found (tests). */
export function forgetPython(): void {
  found = undefined;
}

/** The arguments of `python -m pip install <args>`, without prompts or version nags. */
export function pipArgs(args: string[]): string[] {
  return ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', ...args];
}

/**
 * `python -m pip install <args>` with the machine's Python, without prompts or version nags. On failure, throws
 * `<what>:` with the end of pip's output and then `advice`.
 */
export function pipInstall(args: string[], what: string, options: { readonly cwd?: string; readonly advice?: string } = {}): void {
  const python = findPython({ needPip: true });
  const result = run(python.executable, pipArgs(args), { cwd: options.cwd });
  if (result.error || result.status !== 0) {
    const reason = result.error ? ` (${result.error.message})` : '';
    throw new Error(`${what}${reason}:\n${outputTail(result.stderr || result.stdout)}${options.advice ? `\n${options.advice}` : ''}`);
  }
}

/** The `--target` folder form of {@link pipInstall}: `packages` are requirement specifiers. */
export function pipInstallInto(target: string, packages: string[]): void {
  pipInstall(['--quiet', '--root-user-action=ignore', '--target', target, ...packages],
    `pip install ${packages.join(' ')} into ${path.basename(target)} failed`);
}

// ---- a Python of one exact version ----------------------------------------------------------------------------

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
    const uvPython = result.status === 0 ? result.stdout.trim() : '';
    if (uvPython && versionOf(uvPython, [], env) === version) return { command: uvPython, prefixArgs: [], version, source: 'uv' };
    break;
  }
  return undefined;
}
