/**
 * How each runtime family is started locally, the way Lambda starts it:
 *
 * - `provided.*`: the asset's `bootstrap` (arm64 ones through qemu-user on x86_64);
 * - `python3.x`: `python3 -m awslambdaric <handler>` (the official client from PyPI), with
 *   PYTHONPATH covering the task root, the layers' `python/` folders and then, as Lambda's runtime-included
 *   libraries, boto3 (pinned, see clients.ts);
 * - `nodejs*`: `node <aws-lambda-ric> <handler>` (the official client from npm) on a Node.js of the declared
 *   major when the machine has one (else this process's, with a note), with NODE_PATH covering the layers'
 *   `nodejs/` folders and then, as Lambda's /var/runtime/node_modules, the AWS SDK v3 (pinned); ES modules
 *   resolve NODE_PATH too, as on Lambda (hooks preloaded with `--require`). The function's own copy of a package
 *   wins in both runtimes, as on Lambda;
 * - `java<N>`: `java ... com.amazonaws.services.lambda.runtime.api.client.AWSLambda <handler>` (the official client
 *   from Maven Central) on a local JDK of major N or newer, with JVM flags like Lambda's own command line (serial GC,
 *   C1 only, heap from the memory setting; JAVA_TOOL_OPTIONS is read by the JVM itself). The client loads the
 *   handler from the task root (the working directory) and its `lib/*.jar`; the layers' `java/lib/*.jar`, which it
 *   looks for in a fixed /opt/java, go on the class path instead;
 * - `AWS_LAMBDA_EXEC_WRAPPER` (managed runtimes only): the wrapper runs with the runtime's command
 *   line as its arguments; a path under `/opt` is taken from the extracted layers, never from /opt;
 * - layers are merged into a temporary "opt" folder (later layers win, as on Lambda) and every
 *   executable in its `extensions/` is started as an external extension.
 *
 * The code asset itself is used in place (an asset folder of the cloud assembly); only zipped
 * assets and inline code are written to a temporary task root. Nothing writes into the assembly:
 * Python runs with PYTHONDONTWRITEBYTECODE, as /var/task is read-only on Lambda.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { AssemblyFunction } from './assembly';
import { currentNode, ensureEsmNodePathHooks, ensureJavaClient, ensureNodeClient, ensureNodeSdk, ensurePythonClient, ensurePythonSdk, findJdk, findNode } from './clients';
import type { ProcessSpec } from './process';
import type { Architecture } from '../core/arch';
import { findPython } from '../core/python';
import { extractZip } from '../core/zip';

/** The runtime families the host can start. */
export type RuntimeFamily = 'provided' | 'python' | 'nodejs' | 'java';

/** Everything `startFunction` needs to launch one execution environment. */
export interface LaunchPlan {
  readonly family: RuntimeFamily;
  readonly bootstrap: string;
  readonly bootstrapArgs: ReadonlyArray<string>;
  /** Set for native bootstraps (`provided.*`), so a wrong-architecture build is refused and arm64 runs under qemu. */
  readonly arch?: Architecture;
  /** The task root (`LAMBDA_TASK_ROOT`, the working directory). */
  readonly taskRoot: string;
  /** The merged layers ("/opt"), when the function has any. */
  readonly optDir?: string;
  readonly extensions: ReadonlyArray<ProcessSpec>;
  /** Environment on top of `startFunction`'s Lambda-like defaults. */
  readonly env: Readonly<Record<string, string>>;
  /** Where the local run differs from Lambda (interpreter versions, emulation), for the user to read. */
  readonly notes: ReadonlyArray<string>;
}

/** A prepared function: its plan and the temporary folders to remove afterwards. */
export interface PreparedRuntime {
  readonly plan: LaunchPlan;
  /** Removes the temporary task root and opt folders. Idempotent. */
  dispose(): void;
}

/** Options for {@link prepareRuntime}. */
export interface PrepareOptions {
  /** Progress messages (client installs). */
  readonly log?: (line: string) => void;
}

/** The family of a Lambda runtime name, or undefined when the host cannot run it. */
export function runtimeFamily(runtime: string | undefined): RuntimeFamily | undefined {
  if (!runtime) return undefined;
  if (runtime === 'provided' || runtime.startsWith('provided.')) return 'provided';
  if (/^python3\.\d+$/.test(runtime)) return 'python';
  if (/^nodejs\d+\.x$/.test(runtime)) return 'nodejs';
  // java8.al2 is left out: its JVM options and client differ, and Lambda deprecates it.
  if (/^java\d+$/.test(runtime)) return 'java';
  return undefined;
}

/**
 * Gets a function ready to start: task root, merged layers, the runtime client installed,
 * and the command line. Throws with the reason when the function cannot run locally.
 */
export function prepareRuntime(fn: AssemblyFunction, options: PrepareOptions = {}): PreparedRuntime {
  const family = runtimeFamily(fn.runtime);
  if (!family) {
    throw new Error(`${fn.constructPath}: runtime '${fn.runtime ?? '(none: container image)'}' is not supported by the local host; ` +
      'supported: the provided family (provided.al2023), python3.x, nodejs*.x, java11 and newer');
  }
  const temp: string[] = [];
  const dispose = () => {
    for (const dir of temp.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taskRoot = materialiseCode(fn, family, temp);
    const optDir = fn.layers.length > 0 ? mergeLayers(fn, temp) : undefined;
    const plan = launchPlan(fn, family, taskRoot, optDir, options);
    return { plan, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

/** The command line and environment for a prepared task root and opt folder. */
export function launchPlan(
  fn: AssemblyFunction, family: RuntimeFamily, taskRoot: string, optDir: string | undefined, options: PrepareOptions = {},
): LaunchPlan {
  const notes: string[] = [];
  const env: Record<string, string> = { ...fn.environment };
  const basePath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const optPath = (...parts: string[]) => (optDir ? [path.join(optDir, ...parts)] : []);
  let command: string;
  let args: string[];

  if (family === 'provided') {
    command = path.join(taskRoot, 'bootstrap');
    args = [];
    if (!fs.existsSync(command)) {
      throw new Error(`${fn.constructPath}: runtime ${fn.runtime} needs an executable 'bootstrap' at the root of its code, ` +
        `but ${command} does not exist`);
    }
    env.PATH = [basePath, ...optPath('bin')].join(path.delimiter);
  } else if (family === 'python') {
    const python = findPython();
    const client = ensurePythonClient(options.log);
    const declared = (fn.runtime as string).replace('python', '');
    if (declared !== python.version) {
      notes.push(`${fn.runtime} runs on the local Python ${python.version} (${python.executable})`);
    }
    command = python.executable;
    args = ['-m', 'awslambdaric', fn.handler ?? 'index.handler'];
    const sitePackages = [...new Set([declared, python.version])].flatMap(v => optPath('python', 'lib', `python${v}`, 'site-packages'));
    // Lambda's order: the task root, the layers, the runtime-included libraries (boto3), the runtime (awslambdaric).
    env.PYTHONPATH = [taskRoot, ...sitePackages, ...optPath('python'), ensurePythonSdk(options.log), client].join(path.delimiter);
    env.PYTHONDONTWRITEBYTECODE = '1';
    env.PYTHONNOUSERSITE = '1';
    env.PYTHONUNBUFFERED = '1';
    env.AWS_EXECUTION_ENV = `AWS_Lambda_${fn.runtime}`;
    // Lambda puts its interpreter first on PATH (/var/lang/bin); scripts that call `python3` get the same one.
    env.PATH = [path.dirname(python.executable), basePath, ...optPath('bin')].join(path.delimiter);
  } else if (family === 'java') {
    ({ command, args } = javaCommand(fn, optDir, notes, options));
    env.AWS_EXECUTION_ENV = `AWS_Lambda_${fn.runtime}`;
    env.JAVA_HOME = path.dirname(path.dirname(command));
    env.PATH = [path.dirname(command), basePath, ...optPath('bin')].join(path.delimiter);
  } else {
    const declared = (fn.runtime as string).replace(/^nodejs/, '').replace(/\.x$/, '');
    // The declared major when this machine has it (like Lambda's /var/lang/bin/node), else our own with a note.
    const node = findNode(Number(declared)) ?? currentNode();
    if (String(node.major) !== declared) notes.push(`${fn.runtime} runs on the local Node.js ${node.version} (${node.executable})`);
    const client = ensureNodeClient(options.log, node);
    command = node.executable;
    args = ['--require', ensureEsmNodePathHooks(options.log), client, fn.handler ?? 'index.handler'];
    // Lambda's order: the layers' folders, then the runtime's own node_modules with the SDK.
    env.NODE_PATH = [...optPath('nodejs', `node${declared}`, 'node_modules'), ...optPath('nodejs', 'node_modules'),
      ensureNodeSdk(options.log)].join(path.delimiter);
    env.AWS_EXECUTION_ENV = `AWS_Lambda_${fn.runtime}`;
    env.PATH = [path.dirname(node.executable), basePath, ...optPath('bin')].join(path.delimiter);
  }
  if (optDir) {
    env.LD_LIBRARY_PATH = [path.join(optDir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  }

  // Exec wrappers: only managed runtimes honour them (on provided.* the bootstrap is the runtime).
  const wrapper = fn.environment.AWS_LAMBDA_EXEC_WRAPPER;
  if (wrapper && family !== 'provided') {
    const local = mapOptPath(wrapper, optDir);
    if (!local || !fs.existsSync(local)) {
      throw new Error(`${fn.constructPath}: AWS_LAMBDA_EXEC_WRAPPER is '${wrapper}', which is not in the function's code or ` +
        `layers${fn.externalLayers.length ? ` (its layers ${fn.externalLayers.join(', ')} cannot be fetched locally)` : ''}`);
    }
    env.AWS_LAMBDA_EXEC_WRAPPER = local;
    args = [command, ...args];
    command = local;
  } else if (wrapper) {
    notes.push('AWS_LAMBDA_EXEC_WRAPPER is ignored on provided.* runtimes, as on Lambda');
  }

  for (const layer of fn.externalLayers) {
    notes.push(`layer ${layer} cannot be fetched locally: running without it`);
  }
  if (fn.unresolvedEnvironment.length > 0) {
    notes.push(`environment variables known only at deploy time are left unset: ${fn.unresolvedEnvironment.join(', ')}`);
  }
  const extensions = optDir ? listExtensions(path.join(optDir, 'extensions')) : [];
  return {
    family,
    bootstrap: command,
    bootstrapArgs: args,
    arch: family === 'provided' ? fn.architecture : undefined,
    taskRoot,
    optDir,
    extensions,
    env,
    notes,
  };
}

/** The JVM's main class in Lambda's Java runtimes: the client's entry point, which takes the handler as its argument. */
export const JAVA_RIC_MAIN_CLASS = 'com.amazonaws.services.lambda.runtime.api.client.AWSLambda';

/**
 * The JVM command line of a `java<N>` function, after the one Lambda's Java runtimes use: a heap of 85% of the memory
 * setting, serial GC, tiered compilation stopped at C1, the class-data sharing archive when the JDK has one, and the
 * client's JNI library by path.
 */
function javaCommand(
  fn: AssemblyFunction, optDir: string | undefined, notes: string[], options: PrepareOptions,
): { command: string; args: string[] } {
  const runtime = fn.runtime as string;
  const declared = Number(runtime.replace(/^java/, ''));
  const jdk = findJdk(runtime, declared);
  notes.push(`${runtime} runs on the local JDK ${jdk.description}${jdk.major !== declared ? ` (Java ${jdk.major})` : ''}, ${jdk.home}`);
  const javaHome = process.env.JAVA_HOME;
  if (javaHome && (!fs.existsSync(javaHome) || fs.realpathSync(javaHome) !== jdk.home)) {
    notes.push(`JAVA_HOME (${javaHome}) is not used: it is not a JDK ${declared} or newer`);
  }
  if (!fn.handler) throw new Error(`${fn.constructPath}: runtime ${runtime} needs a handler ('package.Class::method' or 'package.Class')`);
  const client = ensureJavaClient(options.log);
  const layerJars = optDir ? listJars(path.join(optDir, 'java', 'lib')) : [];
  if (layerJars.length > 0) {
    notes.push('the layers\' java/lib jars are on the JVM\'s class path (Lambda\'s client reads them from /opt/java/lib)');
  }
  const heapKb = Math.floor(fn.memorySizeMb * 1024 * 0.85);
  return {
    command: jdk.executable,
    args: [
      `-XX:MaxHeapSize=${heapKb}k`,
      '-XX:+UseSerialGC',
      '-Xshare:auto',
      '-XX:+TieredCompilation',
      '-XX:TieredStopAtLevel=1',
      '--add-opens=java.base/java.io=ALL-UNNAMED',
      '-XX:+ErrorFileToStderr',
      // From JDK 24 on, loading the client's JNI library without this prints four lines of warnings at each start.
      ...(jdk.major >= 24 ? ['--enable-native-access=ALL-UNNAMED'] : []),
      `-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=${client.jniLibrary}`,
      '-classpath',
      [...client.classpath, ...layerJars].join(path.delimiter),
      JAVA_RIC_MAIN_CLASS,
      fn.handler,
    ],
  };
}

function listJars(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter(f => f.endsWith('.jar')).sort().map(f => path.join(dir, f));
}

/** `/opt/x` → `<optDir>/x`; other absolute paths as they are; undefined for `/opt/...` without layers. */
function mapOptPath(file: string, optDir: string | undefined): string | undefined {
  if (file === '/opt' || file.startsWith('/opt/')) return optDir ? path.join(optDir, file.slice('/opt'.length)) : undefined;
  return file;
}

/** Executables in an `extensions/` folder, in name order (Lambda starts them all at once). */
function listExtensions(dir: string): ProcessSpec[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .sort()
    .map(name => path.join(dir, name))
    .filter(file => fs.statSync(file).isFile())
    .map(file => ({ command: file }));
}

/** The task root: the asset folder itself, or a temporary folder for zipped and inline code. */
function materialiseCode(fn: AssemblyFunction, family: RuntimeFamily, temp: string[]): string {
  const code = fn.code;
  if (code.kind === 'unsupported') throw new Error(`${fn.constructPath}: ${code.reason}`);
  if (code.kind === 'asset' && fs.statSync(code.path).isDirectory()) return code.path;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustacean-lambda-task-'));
  temp.push(dir);
  if (code.kind === 'asset') {
    extractZip(code.path, dir);
  } else {
    // CDK's inline code is always `index.<ext>`, the handler `index.<function>`.
    if (family === 'java') throw new Error(`${fn.constructPath}: inline code cannot run on ${fn.runtime} (Lambda takes Java code as a zip or jar)`);
    const file = family === 'python' ? 'index.py' : family === 'nodejs' ? 'index.js' : 'bootstrap';
    fs.writeFileSync(path.join(dir, file), code.source, { mode: 0o755 });
  }
  return dir;
}

/** Copies (or unzips) every layer into one temporary folder, in order. */
function mergeLayers(fn: AssemblyFunction, temp: string[]): string {
  const optDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustacean-lambda-opt-'));
  temp.push(optDir);
  for (const layer of fn.layers) {
    if (fs.statSync(layer.path).isDirectory()) {
      fs.cpSync(layer.path, optDir, { recursive: true, force: true, verbatimSymlinks: true });
    } else {
      extractZip(layer.path, optDir);
    }
  }
  return optDir;
}
