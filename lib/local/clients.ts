/**
 * The official runtime interface clients (and the official emulator, RIE) the local host
 * runs functions with, installed on demand into a project-local, git-ignored folder:
 *
 *   .rustacean-lambda/runtimes/python<major.minor>-awslambdaric-<v>/   pip install --target
 *   .rustacean-lambda/runtimes/node<major>-aws-lambda-ric-<v>/         npm install --prefix
 *   .rustacean-lambda/tools/aws-lambda-rie-<v>/aws-lambda-rie           go install (Go module proxy)
 *
 * Each install goes to a temporary folder that is renamed into place when complete, so
 * concurrent callers (parallel test workers) never see half an install, and a later call
 * costs one `stat`. `RUSTACEAN_LAMBDA_HOME` moves the root (default `<cwd>/.rustacean-lambda`).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** `awslambdaric` from PyPI: what Lambda's Python runtimes use to talk to the Runtime API. */
export const AWSLAMBDARIC_VERSION = process.env.RUSTACEAN_LAMBDA_AWSLAMBDARIC_VERSION ?? '4.2.2';
/**
 * `aws-lambda-ric` from npm. 4.x declares Node.js >= 22; on older Node.js the 3.x line is used.
 * Both build a native addon (they compile curl and aws-lambda-cpp), which needs a C++ compiler,
 * make, cmake, autoconf, automake and libtool.
 */
export const AWS_LAMBDA_RIC_VERSION = process.env.RUSTACEAN_LAMBDA_NODE_RIC_VERSION
  ?? (Number(process.versions.node.split('.')[0]) >= 22 ? '4.0.2' : '3.3.0');
/** The Runtime Interface Emulator, as the Go module proxy serves it (it serves no tagged release of it). */
export const RIE_VERSION = process.env.RUSTACEAN_LAMBDA_RIE_VERSION ?? 'v0.0.0-20261030222936-bef5c4ba774d';
const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie';

const COMPLETE = '.complete';

/** Root of the local installs. */
export function localHome(): string {
  return path.resolve(process.env.RUSTACEAN_LAMBDA_HOME ?? path.join(process.cwd(), '.rustacean-lambda'));
}

/** The Python interpreter the host runs Python functions with. */
export interface PythonInterpreter {
  /** The real executable (not a pyenv or asdf shim, which would add its own start-up time). */
  readonly executable: string;
  /** `major.minor`, e.g. `3.12`. */
  readonly version: string;
}

let pythonCache: PythonInterpreter | undefined;

/** Finds `python3` (or `$RUSTACEAN_LAMBDA_PYTHON`) and resolves it to the real interpreter. */
export function findPython(): PythonInterpreter {
  if (pythonCache) return pythonCache;
  const command = process.env.RUSTACEAN_LAMBDA_PYTHON ?? 'python3';
  const result = spawnSync(command, ['-c', 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8',
  });
  if (result.error || result.status !== 0) {
    throw new Error(`cannot run '${command}' to host Python functions (${result.error?.message ?? result.stderr.trim()}); ` +
      'install Python 3 or set RUSTACEAN_LAMBDA_PYTHON to an interpreter');
  }
  const [executable, version] = result.stdout.trim().split('\n');
  pythonCache = { executable, version };
  return pythonCache;
}

/** Folder holding `awslambdaric` (a `pip --target` folder, to put on PYTHONPATH); installs it when missing. */
export function ensurePythonClient(log: (line: string) => void = () => undefined): string {
  const python = findPython();
  const dir = path.join(localHome(), 'runtimes', `python${python.version}-awslambdaric-${AWSLAMBDARIC_VERSION}`);
  return ensureInstalled(dir, `awslambdaric ${AWSLAMBDARIC_VERSION} (PyPI) for Python ${python.version}`, log, staging => {
    pipInstall(staging, [`awslambdaric==${AWSLAMBDARIC_VERSION}`]);
  });
}

/** Installs Python packages into a `--target` folder with the host's interpreter. */
export function pipInstall(target: string, requirements: string[]): void {
  const python = findPython();
  run(python.executable, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input',
    '--root-user-action=ignore', '--target', target, ...requirements], `pip install ${requirements.join(' ')}`);
}

/** Path of `aws-lambda-ric`'s entry point (`bin/index.mjs`); installs the package when missing. */
export function ensureNodeClient(log: (line: string) => void = () => undefined): string {
  const major = process.versions.node.split('.')[0];
  const dir = path.join(localHome(), 'runtimes', `node${major}-aws-lambda-ric-${AWS_LAMBDA_RIC_VERSION}`);
  const installed = ensureInstalled(dir, `aws-lambda-ric ${AWS_LAMBDA_RIC_VERSION} (npm) for Node.js ${major}`, log, staging => {
    const missing = ['autoreconf', 'libtoolize', 'cmake', 'make', 'g++'].filter(tool => !onPath(tool));
    if (missing.length > 0) {
      throw new Error(`aws-lambda-ric builds a native addon and needs ${missing.join(', ')} on PATH; on Debian: ` +
        '`apt-get install autoconf automake libtool cmake make g++`');
    }
    fs.writeFileSync(path.join(staging, 'package.json'), '{"private":true}\n');
    run('npm', ['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error',
      `aws-lambda-ric@${AWS_LAMBDA_RIC_VERSION}`], `npm install aws-lambda-ric@${AWS_LAMBDA_RIC_VERSION}`);
    const addon = path.join(staging, 'node_modules', 'aws-lambda-ric', 'dist', 'rapid-client.node');
    if (!fs.existsSync(addon)) {
      throw new Error(`npm install aws-lambda-ric@${AWS_LAMBDA_RIC_VERSION} finished without building its native addon ` +
        `(${addon} is missing); were install scripts disabled (npm --ignore-scripts)?`);
    }
  });
  return path.join(installed, 'node_modules', 'aws-lambda-ric', 'bin', 'index.mjs');
}

/** Path of the `aws-lambda-rie` binary; builds it with `go install` when missing (needs Go). */
export function ensureRie(log: (line: string) => void = () => undefined): string {
  const dir = path.join(localHome(), 'tools', `aws-lambda-rie-${RIE_VERSION}`);
  const installed = ensureInstalled(dir, `aws-lambda-rie ${RIE_VERSION} (Go module proxy)`, log, staging => {
    if (!onPath('go')) throw new Error('the Runtime Interface Emulator is built with `go install`, but `go` is not on PATH');
    run('go', ['install', `${RIE_MODULE}@${RIE_VERSION}`], `go install ${RIE_MODULE}@${RIE_VERSION}`, { ...process.env, GOBIN: staging });
  });
  return path.join(installed, 'aws-lambda-rie');
}

/**
 * Returns `dir` once it holds a complete install; otherwise runs `install` into a fresh
 * staging folder next to it and renames that into place (whoever finishes first wins).
 */
export function ensureInstalled(dir: string, what: string, log: (line: string) => void, install: (staging: string) => void): string {
  if (fs.existsSync(path.join(dir, COMPLETE))) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // One installer at a time (an npm build takes minutes of CPU); the others wait for its result.
  const lock = `${dir}.lock`;
  if (!takeLock(lock)) {
    log(`waiting for another process installing ${what}`);
    while (!takeLock(lock)) {
      if (fs.existsSync(path.join(dir, COMPLETE))) return dir;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    if (fs.existsSync(path.join(dir, COMPLETE))) return dir;
    return installInto(dir, what, log, install);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Creates the lock folder; a lock older than {@link STALE_LOCK_MS} is taken over (its owner died). */
function takeLock(lock: string): boolean {
  try {
    fs.mkdirSync(lock);
    return true;
  } catch {
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS) {
        fs.rmSync(lock, { recursive: true, force: true });
      }
    } catch {
      // released meanwhile
    }
    return false;
  }
}

const STALE_LOCK_MS = 30 * 60_000;

function installInto(dir: string, what: string, log: (line: string) => void, install: (staging: string) => void): string {
  const staging = fs.mkdtempSync(`${dir}.tmp-`);
  log(`installing ${what} into ${path.relative(process.cwd(), dir) || dir} (once; this can take a few minutes)`);
  const started = Date.now();
  try {
    install(staging);
    fs.writeFileSync(path.join(staging, COMPLETE), `${new Date().toISOString()}\n`);
    fs.renameSync(staging, dir);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (fs.existsSync(path.join(dir, COMPLETE))) return dir; // someone else finished the same install first
    throw err;
  }
  log(`installed ${what} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some(dir => {
    try {
      fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(command: string, args: string[], what: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    const tail = output.length > 4_000 ? `...${output.slice(-4_000)}` : output;
    throw new Error(`${what} failed (${result.error?.message ?? `exit code ${result.status}`})${tail ? `:\n${tail}` : ''}`);
  }
}
