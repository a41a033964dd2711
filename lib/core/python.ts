/**
 * The machine's Python: found once per process, and pip run with it. The local host runs Python functions with it
 * (and installs their runtime client), the Web Adapter's local bundling installs an app's requirements with it.
 */
import * as path from 'path';
import { outputTail, run } from './process';

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
