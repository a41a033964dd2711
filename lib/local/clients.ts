/**
 * The official runtime interface clients the local host runs functions with, installed on demand into a project-local, git-ignored folder:
 *
 *   .rustacean-lambda/runtimes/python<major.minor>-awslambdaric-<v>/   pip install --target
 *   .rustacean-lambda/runtimes/node<major>-aws-lambda-ric-<v>/         npm install --prefix
 *   .rustacean-lambda/runtimes/java-ric-<v>/                            Maven: the client's jars in lib/, its JNI library in jni/
 *   .rustacean-lambda/runtimes/python<major.minor>-boto3-<v>/          pip install --target (the SDK Lambda's Python ships)
 *   .rustacean-lambda/runtimes/nodejs-aws-sdk-<v>/                     npm install --prefix (the SDK v3 Lambda's Node.js ships)
 *   .rustacean-lambda/runtimes/nodejs-esm-node-path-<hash>/           a module hook: ES modules resolve NODE_PATH, as on Lambda
 *
 * Each install goes to a temporary folder that is renamed into place when complete, so
 * concurrent callers (parallel test workers) never see half an install, and a later call
 * costs one `stat`. `RUSTACEAN_LAMBDA_HOME` moves the root (default `<cwd>/.rustacean-lambda`).
 */

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hostArchitecture } from '../core/arch';
import { withFileLock, stageDirectory } from '../core/cache';
import { onPath, run, runChecked } from '../core/process';
import { findPython, pipInstallInto } from '../core/python';
import { readZipEntries, readZipEntry } from '../core/zip';

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
/** `com.amazonaws:aws-lambda-java-runtime-interface-client` from Maven Central: what Lambda's Java runtimes run. */
export const JAVA_RIC_VERSION = process.env.RUSTACEAN_LAMBDA_JAVA_RIC_VERSION ?? '2.10.1';
const COMPLETE = '.complete';

/**
 * The boto3 the local host puts where Lambda's Python runtimes have theirs. Lambda ships boto3 with every Python
 * runtime and updates it over time (its documentation no longer names one version: it depends on the runtime
 * version and the region), so this is a recent release, pinned so that every run imports the same code.
 */
export const BOTO3_VERSION = process.env.RUSTACEAN_LAMBDA_BOTO3_VERSION ?? '1.44.8';
/**
 * The AWS SDK for JavaScript v3 the local host puts where Lambda's Node.js runtimes have theirs
 * (/var/runtime/node_modules). Lambda ships the whole SDK v3 with every current Node.js runtime (since Node.js 18) and updates it over time;
 * this is the release the repository's LLRT bundles use too, so the Node.js and LLRT rows run the same SDK code.
 */
export const NODE_SDK_VERSION = process.env.RUSTACEAN_LAMBDA_NODE_SDK_VERSION ?? '3.1169.0';
/**
 * The SDK v3 packages installed locally: Lambda has all of them; these are the clients functions use most (each
 * brings the SDK's shared core). A function that imports another one finds it in its own node_modules or bundle,
 * which wins on Lambda too.
 */
export const NODE_SDK_PACKAGES: ReadonlyArray<string> = [
  // All published at NODE_SDK_VERSION (not every client is released with every SDK version).
  'client-dynamodb', 'lib-dynamodb', 'client-s3', 'client-sqs', 'client-sns', 'client-ssm', 'client-sts', 'client-eventbridge',
].map(name => `@aws-sdk/${name}`);

/** Root of the local installs. */
export function localHome(): string {
  return path.resolve(process.env.RUSTACEAN_LAMBDA_HOME ?? path.join(process.cwd(), '.rustacean-lambda'));
}

/** Folder holding `awslambdaric` (a `pip --target` folder, to put on PYTHONPATH); installs it when missing. */
export function ensurePythonClient(log: (line: string) => void = () => undefined): string {
  const python = findPython();
  const dir = path.join(localHome(), 'runtimes', `python${python.version}-awslambdaric-${AWSLAMBDARIC_VERSION}`);
  return ensureInstalled(dir, `awslambdaric ${AWSLAMBDARIC_VERSION} (PyPI) for Python ${python.version}`, log, staging => {
    pipInstallInto(staging, [`awslambdaric==${AWSLAMBDARIC_VERSION}`]);
  });
}

/**
 * Folder holding boto3 (a `pip --target` folder, put on PYTHONPATH after the function's code and layers, where
 * Lambda has its runtime-included libraries); installs it for the local Python when missing. pip compiles the
 * bytecode, as Lambda's runtime has it.
 */
export function ensurePythonSdk(log: (line: string) => void = () => undefined): string {
  const python = findPython();
  const dir = path.join(localHome(), 'runtimes', `python${python.version}-boto3-${BOTO3_VERSION}`);
  return ensureInstalled(dir, `boto3 ${BOTO3_VERSION} (PyPI) for Python ${python.version}`, log, staging => {
    pipInstallInto(staging, [`boto3==${BOTO3_VERSION}`]);
  });
}

/**
 * The `node_modules` folder holding the SDK v3 ({@link NODE_SDK_PACKAGES} at {@link NODE_SDK_VERSION}), put on
 * NODE_PATH after the layers' folders, where Lambda has /var/runtime/node_modules; installs it when missing.
 */
export function ensureNodeSdk(log: (line: string) => void = () => undefined): string {
  const dir = path.join(localHome(), 'runtimes', `nodejs-aws-sdk-${NODE_SDK_VERSION}`);
  const installed = ensureInstalled(dir, `the AWS SDK for JavaScript ${NODE_SDK_VERSION} (npm)`, log, staging => {
    fs.writeFileSync(path.join(staging, 'package.json'), '{"private":true}\n');
    runChecked('npm', ['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--ignore-scripts',
      ...NODE_SDK_PACKAGES.map(p => `${p}@${NODE_SDK_VERSION}`)], `npm install the AWS SDK for JavaScript ${NODE_SDK_VERSION}`);
  });
  return path.join(installed, 'node_modules');
}

/**
 * Hooks that make ES modules resolve bare imports from the NODE_PATH folders, as Lambda's Node.js runtimes do since
 * Node.js 18 (Node.js itself consults NODE_PATH for `require` only). They only step in when Node's own resolution
 * fails, so a function's own copy of a package (its node_modules, its bundle) wins, as on Lambda. Only NODE_PATH
 * entries that are `node_modules` folders are searched, so nothing above them leaks in.
 */
const ESM_NODE_PATH_HOOKS_CJS = `'use strict';
// rustacean-lambda: ES module imports resolve NODE_PATH, as on Lambda's Node.js runtimes.
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const folders = (process.env.NODE_PATH || '').split(path.delimiter).filter(d => path.basename(d) === 'node_modules');

/** The parent URL that resolves a bare specifier from the NODE_PATH folder holding its package, if one does. */
function parentIn(specifier) {
  if (/^[.\/#]/.test(specifier) || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const folder = folders.find(d => fs.existsSync(path.join(d, name, 'package.json')));
  return folder && pathToFileURL(path.join(path.dirname(folder), 'rustacean-lambda-node-path.mjs')).href;
}

const missing = err => Boolean(err) && err.code === 'ERR_MODULE_NOT_FOUND';

function resolveSync(specifier, context, next) {
  try {
    return next(specifier, context);
  } catch (err) {
    const parentURL = missing(err) && parentIn(specifier);
    if (!parentURL) throw err;
    return next(specifier, { ...context, parentURL });
  }
}

module.exports = { parentIn, missing, resolveSync };
`;

/** The same hooks for `module.register` (Node.js before 22.15: asynchronous, in a loader thread). */
const ESM_NODE_PATH_HOOKS_MJS = `// rustacean-lambda: node-path-hooks.cjs for module.register.
import hooks from './node-path-hooks.cjs';

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const parentURL = hooks.missing(err) && hooks.parentIn(specifier);
    if (!parentURL) throw err;
    return next(specifier, { ...context, parentURL });
  }
}
`;

/**
 * Preloaded with `node --require`: registers the hooks in the main thread with `module.registerHooks` where Node.js
 * has it (22.15+; a CommonJS preload costs well under a millisecond of Init), else with `module.register`.
 */
const ESM_NODE_PATH_REGISTER = `'use strict';
// rustacean-lambda: registers node-path-hooks.cjs (see there).
const nodeModule = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

if ((process.env.NODE_PATH || '') !== '') {
  if (typeof nodeModule.registerHooks === 'function') nodeModule.registerHooks({ resolve: require('./node-path-hooks.cjs').resolveSync });
  else nodeModule.register(pathToFileURL(path.join(__dirname, 'node-path-hooks.mjs')).href);
}
`;

/** The CommonJS module for `node --require` that registers the ES-module NODE_PATH hooks; written once. */
export function ensureEsmNodePathHooks(log: (line: string) => void = () => undefined): string {
  const files: Record<string, string> = {
    'node-path-hooks.cjs': ESM_NODE_PATH_HOOKS_CJS,
    'node-path-hooks.mjs': ESM_NODE_PATH_HOOKS_MJS,
    'register.cjs': ESM_NODE_PATH_REGISTER,
  };
  const digest = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 10);
  const dir = path.join(localHome(), 'runtimes', `nodejs-esm-node-path-${digest}`);
  const installed = ensureInstalled(dir, 'the ES-module NODE_PATH hooks', log, staging => {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(staging, name), text);
  });
  return path.join(installed, 'register.cjs');
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
  const result = run(executable, ['--version']);
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
    runChecked('npm', ['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error',
      `aws-lambda-ric@${version}`], `npm install aws-lambda-ric@${version}`, { env });
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

/**
 * Returns `dir` once it holds a complete install; otherwise runs `install` into a fresh
 * staging folder next to it and renames that into place (whoever finishes first wins).
 */
export function ensureInstalled(dir: string, what: string, log: (line: string) => void, install: (staging: string) => void): string {
  const complete = (d: string) => fs.existsSync(path.join(d, COMPLETE));
  if (complete(dir)) return dir;
  // One installer at a time (an npm build takes minutes of CPU); the others wait for its result.
  return withFileLock(dir, () => {
    if (complete(dir)) return dir;
    log(`installing ${what} into ${path.relative(process.cwd(), dir) || dir} (once; this can take a few minutes)`);
    const started = Date.now();
    stageDirectory(dir, staging => {
      install(staging);
      fs.writeFileSync(path.join(staging, COMPLETE), `${new Date().toISOString()}\n`);
    }, { tmpPrefix: `${path.basename(dir)}.tmp-`, complete });
    log(`installed ${what} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return dir;
  }, { waitMs: Infinity, staleMs: 30 * 60_000, pollMs: 500, onWait: () => log(`waiting for another process installing ${what}`) });
}

/** A JDK the host runs `java*` functions with. */
export interface JavaInstallation {
  /** The JDK's home (holds `bin/java` and `release`). */
  readonly home: string;
  readonly executable: string;
  /** Full version, e.g. `25.0.3`. */
  readonly version: string;
  readonly major: number;
  /** For messages and notes, e.g. `Temurin 25.0.3` or `OpenJDK 17.0.15 (Debian)`. */
  readonly description: string;
}

/** Where {@link findJdk} looks, in order. */
export interface JdkSearch {
  /** `$JAVA_HOME`. */
  readonly javaHome?: string;
  /**
   * JDK homes the environment names by major: `$JAVA_HOME_<major>_X64` / `_ARM64`, as GitHub-hosted runners and
   * actions/setup-java export them for every JDK they install (only one of them is `$JAVA_HOME`).
   */
  readonly versionedHomes?: ReadonlyArray<string>;
  /** A folder of JDK homes (`/usr/lib/jvm` on Debian and Ubuntu). */
  readonly jvmRoot?: string;
  /** `$PATH`, for a `java` on it. */
  readonly path?: string;
}

/** The default search: `$JAVA_HOME`, then `$JAVA_HOME_<major>_X64`/`_ARM64`, then `/usr/lib/jvm/*`, then `java` on PATH. */
export function defaultJdkSearch(env: NodeJS.ProcessEnv = process.env): JdkSearch {
  const versionedHomes = Object.keys(env).filter(name => VERSIONED_JAVA_HOME.test(name)).sort()
    .map(name => env[name] as string).filter(Boolean);
  return { javaHome: env.JAVA_HOME, versionedHomes, jvmRoot: '/usr/lib/jvm', path: env.PATH };
}

const VERSIONED_JAVA_HOME = /^JAVA_HOME_\d+_(X64|ARM64)$/;

/** Every JDK the search finds (each home once), in search order. */
export function listJdks(search: JdkSearch = defaultJdkSearch()): JavaInstallation[] {
  const homes: string[] = [];
  if (search.javaHome) homes.push(search.javaHome);
  homes.push(...search.versionedHomes ?? []);
  if (search.jvmRoot && fs.existsSync(search.jvmRoot)) {
    homes.push(...fs.readdirSync(search.jvmRoot).sort().map(name => path.join(search.jvmRoot as string, name)));
  }
  for (const dir of (search.path ?? '').split(path.delimiter).filter(Boolean)) {
    const java = path.join(dir, 'java');
    // bin/java of a JDK home, whatever links lead there (Debian's /usr/bin/java -> /etc/alternatives -> the JDK).
    if (fs.existsSync(java)) homes.push(path.dirname(path.dirname(fs.realpathSync(java))));
  }
  const seen = new Set<string>();
  const found: JavaInstallation[] = [];
  for (const home of homes) {
    let real: string;
    try {
      real = fs.realpathSync(home);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const jdk = describeJdk(real);
    if (jdk) found.push(jdk);
  }
  return found;
}

const jdkCache = new Map<string, JavaInstallation | undefined>();

/** The version of the JDK at `home`, from its `release` file (or `java -version` when it has none). */
function describeJdk(home: string): JavaInstallation | undefined {
  if (jdkCache.has(home)) return jdkCache.get(home);
  const executable = path.join(home, 'bin', 'java');
  let found: JavaInstallation | undefined;
  if (fs.existsSync(executable)) {
    const fields: Record<string, string> = {};
    const release = path.join(home, 'release');
    if (fs.existsSync(release)) {
      for (const line of fs.readFileSync(release, 'utf8').split('\n')) {
        const m = /^([A-Z_]+)="?(.*?)"?$/.exec(line.trim());
        if (m) fields[m[1]] = m[2];
      }
    }
    let version = fields.JAVA_VERSION;
    if (!version) {
      // `java -version` prints e.g. `openjdk version "21.0.4" 2024-07-16` on stderr.
      const result = run(executable, ['-version'], { timeoutMs: 10_000 });
      version = /version "([^"]+)"/.exec(`${result.stderr ?? ''}`)?.[1] ?? '';
    }
    // "1.8.0_412" is Java 8; "21", "21.0.4", "25-ea" are what they say.
    const parts = version.split(/[.\-_+]/);
    const major = parts[0] === '1' ? Number(parts[1]) : Number(parts[0]);
    if (Number.isFinite(major) && major > 0) {
      const vendor = fields.IMPLEMENTOR_VERSION?.split('-')[0];
      const description = vendor && vendor !== version ? `${vendor} ${version}`
        : `OpenJDK ${version}${fields.IMPLEMENTOR ? ` (${fields.IMPLEMENTOR})` : ''}`;
      found = { home, executable, version, major, description };
    }
  }
  jdkCache.set(home, found);
  return found;
}

/**
 * The JDK for a `java<major>` runtime: `$JAVA_HOME` when it is at least that major, else the found JDK of the closest
 * major at or above it (the declared major itself when present). Throws naming the runtime, what was found and the fix.
 */
export function findJdk(runtime: string, minMajor: number, search: JdkSearch = defaultJdkSearch()): JavaInstallation {
  const all = listJdks(search);
  const fits = all.filter(jdk => jdk.major >= minMajor);
  const home = search.javaHome && fs.existsSync(search.javaHome) ? fs.realpathSync(search.javaHome) : undefined;
  const fromHome = fits.find(jdk => jdk.home === home);
  const best = fromHome ?? [...fits].sort((a, b) => a.major - b.major || compareVersion(b.version, a.version))[0];
  if (best) return best;
  const where = [search.javaHome ? `JAVA_HOME (${search.javaHome})` : 'JAVA_HOME (unset)',
    ...(search.versionedHomes?.length ? [`JAVA_HOME_<major>_X64/ARM64 (${search.versionedHomes.join(', ')})`] : []),
    ...(search.jvmRoot ? [search.jvmRoot] : []), '`java` on PATH'].join(', ');
  const seen = all.length > 0 ? `found only ${all.map(jdk => `${jdk.description} (${jdk.home})`).join(', ')}` : 'found no JDK';
  throw new Error(`runtime ${runtime} needs a JDK ${minMajor} or newer to run locally, but the host ${seen} in ${where}; ` +
    `install a JDK >= ${minMajor} (e.g. Temurin ${minMajor} or \`apt-get install openjdk-${minMajor}-jdk-headless\`) or set JAVA_HOME to one`);
}

/** The installed Java runtime interface client: its jars (the JVM's class path) and its JNI library for this host. */
export interface JavaClient {
  readonly classpath: ReadonlyArray<string>;
  readonly jniLibrary: string;
  readonly version: string;
}

/**
 * The official Java runtime interface client with its dependencies, installed with Maven from Maven Central when
 * missing. Its native half (a JNI library inside the jar, one per platform) is unpacked at install time for this
 * host's architecture and handed to the JVM by path, as Lambda does (else every JVM would unpack it into /tmp).
 */
export function ensureJavaClient(log: (line: string) => void = () => undefined): JavaClient {
  const version = JAVA_RIC_VERSION;
  const arch = hostArchitecture();
  if (!arch) throw new Error(`the Java runtime interface client has no native library for this host (${process.arch}); Lambda's architectures are x86_64 and arm64`);
  const platform = arch === 'arm64' ? 'linux-aarch_64' : 'linux-x86_64';
  const artifact = `com.amazonaws:aws-lambda-java-runtime-interface-client:${version}`;
  const dir = ensureInstalled(path.join(localHome(), 'runtimes', `java-ric-${version}`), `${artifact} (Maven Central)`, log, staging => {
    if (!onPath('mvn')) {
      throw new Error(`installing ${artifact} for java* functions needs Maven (\`mvn\`) on PATH; on Debian: \`apt-get install maven\``);
    }
    const [groupId, artifactId] = artifact.split(':');
    fs.writeFileSync(path.join(staging, 'pom.xml'), [
      '<project xmlns="http://maven.apache.org/POM/4.0.0">',
      '  <modelVersion>4.0.0</modelVersion>',
      '  <groupId>local.rustacean-lambda</groupId><artifactId>java-ric</artifactId><version>1</version><packaging>pom</packaging>',
      `  <dependencies><dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency></dependencies>`,
      '</project>', '',
    ].join('\n'));
    runChecked('mvn', ['-B', '-q', '-f', path.join(staging, 'pom.xml'), 'dependency:copy-dependencies',
      `-DoutputDirectory=${path.join(staging, 'lib')}`, '-DincludeScope=runtime'], `mvn dependency:copy-dependencies of ${artifact}`,
    { timeoutMs: 10 * 60_000 });
    const jar = path.join(staging, 'lib', `${artifactId}-${version}.jar`);
    if (!fs.existsSync(jar)) throw new Error(`Maven finished without ${jar}`);
    fs.mkdirSync(path.join(staging, 'jni'));
    const zip = fs.readFileSync(jar);
    const entry = readZipEntries(zip).find(e => e.name === `jni/libaws-lambda-jni.${platform}.so`);
    if (!entry) throw new Error(`${jar} has no native library for ${platform} (jni/libaws-lambda-jni.${platform}.so)`);
    fs.writeFileSync(path.join(staging, 'jni', `libaws-lambda-jni.${platform}.so`), readZipEntry(zip, entry));
  });
  const lib = path.join(dir, 'lib');
  return {
    classpath: fs.readdirSync(lib).filter(f => f.endsWith('.jar')).sort().map(f => path.join(lib, f)),
    jniLibrary: path.join(dir, 'jni', `libaws-lambda-jni.${platform}.so`),
    version,
  };
}
