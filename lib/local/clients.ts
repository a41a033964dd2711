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
import * as os from 'os';
import * as path from 'path';

/** `awslambdaric` from PyPI: what Lambda's Python runtimes use to talk to the Runtime API. */
export const AWSLAMBDARIC_VERSION = process.env.RUSTACEAN_LAMBDA_AWSLAMBDARIC_VERSION ?? '4.2.2';
/**
 * `aws-lambda-ric` from npm for a Node.js major: 4.x declares Node.js >= 22 (and ships its native addon prebuilt);
 * on older Node.js the 3.x line is used, which compiles curl and aws-lambda-cpp when installed and so needs a C++
 * compiler, make, cmake, autoconf, automake and libtool.
 */
export function awsLambdaRicVersion(nodeMajor: number): string {
  return process.env.RUSTACEAN_LAMBDA_NODE_RIC_VERSION ?? (nodeMajor >= 22 ? '4.0.2' : '3.3.0');
}
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

/** A Node.js interpreter the host runs `nodejs*.x` functions with. */
export interface NodeInterpreter {
  readonly executable: string;
  /** Full version without the `v`, e.g. `24.22.3`. */
  readonly version: string;
  readonly major: number;
}

const nodeCache = new Map<number, NodeInterpreter | undefined>();

/**
 * A Node.js of the given major: this process's own when it matches, else `.rustacean-lambda/runtimes/node<major>`
 * (scripts/setup.sh puts Node.js 24 there), `node<major>` on PATH, or the newest nvm install of that major.
 * Undefined when none is found (the caller falls back to this process's Node.js and says so).
 */
export function findNode(major: number): NodeInterpreter | undefined {
  if (nodeCache.has(major)) return nodeCache.get(major);
  const candidates = [process.execPath, path.join(localHome(), 'runtimes', `node${major}`, 'bin', 'node'),
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map(dir => path.join(dir, `node${major}`))];
  const nvm = path.join(process.env.NVM_DIR ?? path.join(os.homedir(), '.nvm'), 'versions', 'node');
  if (fs.existsSync(nvm)) {
    const installs = fs.readdirSync(nvm).filter(v => v.startsWith(`v${major}.`))
      .sort((a, b) => compareVersion(b.slice(1), a.slice(1)));
    candidates.push(...installs.map(v => path.join(nvm, v, 'bin', 'node')));
  }
  let found: NodeInterpreter | undefined;
  for (const executable of candidates) {
    const version = executable === process.execPath ? process.versions.node : nodeVersion(executable);
    if (version && Number(version.split('.')[0]) === major) {
      found = { executable, version, major };
      break;
    }
  }
  nodeCache.set(major, found);
  return found;
}

/** This process's own Node.js, as a {@link NodeInterpreter}. */
export function currentNode(): NodeInterpreter {
  return { executable: process.execPath, version: process.versions.node, major: Number(process.versions.node.split('.')[0]) };
}

function nodeVersion(executable: string): string | undefined {
  if (!fs.existsSync(executable)) return undefined;
  const result = spawnSync(executable, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().replace(/^v/, '') : undefined;
}

function compareVersion(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * Path of `aws-lambda-ric`'s entry point for a Node.js interpreter (default: this process's); installs the package
 * with that interpreter when missing.
 */
export function ensureNodeClient(log: (line: string) => void = () => undefined, node: NodeInterpreter = currentNode()): string {
  const version = awsLambdaRicVersion(node.major);
  const dir = path.join(localHome(), 'runtimes', `node${node.major}-aws-lambda-ric-${version}`);
  const packageDir = (root: string) => path.join(root, 'node_modules', 'aws-lambda-ric');
  const installed = ensureInstalled(dir, `aws-lambda-ric ${version} (npm) for Node.js ${node.major}`, log, staging => {
    const major = Number(version.split('.')[0]);
    const missing = major < 4 ? ['autoreconf', 'libtoolize', 'cmake', 'make', 'g++'].filter(tool => !onPath(tool)) : [];
    if (missing.length > 0) {
      throw new Error(`aws-lambda-ric ${version} builds a native addon and needs ${missing.join(', ')} on PATH; on Debian: ` +
        '`apt-get install autoconf automake libtool cmake make g++`');
    }
    fs.writeFileSync(path.join(staging, 'package.json'), '{"private":true}\n');
    // npm and the package's install scripts run with the interpreter the functions will run on.
    const home = path.dirname(path.dirname(node.executable));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: [path.dirname(node.executable), process.env.PATH].join(path.delimiter) };
    if (fs.existsSync(path.join(home, 'include', 'node', 'node.h'))) env.npm_config_nodedir = home;
    run('npm', ['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error',
      `aws-lambda-ric@${version}`], `npm install aws-lambda-ric@${version}`, env);
    const addons = [path.join(packageDir(staging), 'rapid-client.node'), path.join(packageDir(staging), 'dist', 'rapid-client.node')];
    if (!addons.some(addon => fs.existsSync(addon))) {
      throw new Error(`npm install aws-lambda-ric@${version} finished without its native addon ` +
        `(neither ${addons.join(' nor ')} exists); were install scripts disabled (npm --ignore-scripts)?`);
    }
  });
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir(installed), 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.['aws-lambda-ric'] ?? 'bin/index.mjs';
  return path.join(packageDir(installed), bin);
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
