/**
 * Java on the local host: `java21`/`java25` functions run on a local JDK (Temurin 25 here) with the official Java
 * runtime interface client from Maven Central, its JNI library included, and bad inputs fail with clear messages.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CLI_CONTEXT, LOCAL_FIXTURES, tempDir } from './apps';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { defaultJdkSearch, ensureJavaClient, findJdk, JAVA_RIC_VERSION, listJdks } from '../../lib/local/clients';
import { LocalLambda } from '../../lib/local/host';
import { JAVA_RIC_MAIN_CLASS, runtimeFamily } from '../../lib/local/runtimes';
import { javaCode } from '../../samples/coldstart';

// The first run installs the client with Maven (seconds when ~/.m2 has it); each JVM start is about half a second.
jest.setTimeout(5 * 60_000);

const HELLO = path.join(__dirname, '..', '..', 'samples', 'coldstart', 'java');
const FIXTURES = path.join(LOCAL_FIXTURES, 'functions', 'java');

let outdir: string;
let functions: ReadonlyArray<AssemblyFunction>;
const lambdas: LocalLambda[] = [];

beforeAll(() => {
  outdir = tempDir('java-out');
  const app = new App({ outdir, context: CLI_CONTEXT });
  const stack = new Stack(app, 'LocalJava');
  const hello = javaCode(HELLO);
  const fixtures = javaCode(FIXTURES);
  const fn = (id: string, runtime: lambda.Runtime, handler: string, code: lambda.Code, extra: Partial<lambda.FunctionProps> = {}) =>
    new lambda.Function(stack, id, { runtime, handler, code, memorySize: 256, ...extra });
  fn('Hello21', lambda.Runtime.JAVA_21, 'hello.Hello::handleRequest', hello);
  fn('Hello25', new lambda.Runtime('java25', lambda.RuntimeFamily.JAVA), 'hello.Hello::handleRequest', hello);
  fn('Describe', lambda.Runtime.JAVA_21, 'fixture.Handlers::describe', fixtures, {
    environment: { JAVA_TOOL_OPTIONS: '-Dfixture.flag=set-by-tool-options' },
  });
  fn('MissingClass', lambda.Runtime.JAVA_21, 'fixture.NoSuchClass::handleRequest', fixtures);
  fn('MissingMethod', lambda.Runtime.JAVA_21, 'fixture.Handlers::noSuchMethod', fixtures);
  fn('WrongSignature', lambda.Runtime.JAVA_21, 'fixture.Handlers::tooManyParameters', fixtures);
  fn('FailingInit', lambda.Runtime.JAVA_21, 'fixture.FailingInit::handleRequest', fixtures);
  const layerDir = greetingLayer();
  const layer = new lambda.LayerVersion(stack, 'GreetingLayer', { code: lambda.Code.fromAsset(path.join(layerDir, 'layer')) });
  fn('FromLayer', lambda.Runtime.JAVA_21, 'fixture.Handlers::fromLayer', fixtures, { layers: [layer] });
  app.synth();
  fs.rmSync(layerDir, { recursive: true, force: true }); // staged into the assembly
  functions = readAssembly(outdir).functions;
});

/** A folder whose `layer/` holds `java/lib/greeting.jar` (class `layer.Greeting`), built with the local javac and jar. */
function greetingLayer(): string {
  const dir = tempDir('java-layer');
  const src = path.join(dir, 'src', 'layer');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'Greeting.java'), 'package layer;\npublic class Greeting { public static final String TEXT = "hello from a layer jar"; }\n');
  const classes = path.join(dir, 'classes');
  execFileSync('javac', ['--release', '17', '-d', classes, path.join(src, 'Greeting.java')]);
  fs.mkdirSync(path.join(dir, 'layer', 'java', 'lib'), { recursive: true });
  execFileSync('jar', ['--create', '--file', path.join(dir, 'layer', 'java', 'lib', 'greeting.jar'), '-C', classes, '.']);
  return dir;
}

afterEach(async () => {
  await Promise.all(lambdas.splice(0).map(l => l.close()));
});

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function prepare(name: string): LocalLambda {
  const fn = functions.find(f => f.constructPath === `LocalJava/${name}`) as AssemblyFunction;
  const local = LocalLambda.prepare(fn);
  lambdas.push(local);
  return local;
}

test('java runtimes are their own family (java8.al2 is not run)', () => {
  expect(['java11', 'java17', 'java21', 'java25', 'java8.al2'].map(runtimeFamily)).toEqual(['java', 'java', 'java', 'java', undefined]);
});

test('installs the official client with its JNI library for this host, once', () => {
  const client = ensureJavaClient();
  expect(client.version).toBe(JAVA_RIC_VERSION);
  expect(client.classpath.map(jar => path.basename(jar))).toContain(`aws-lambda-java-runtime-interface-client-${JAVA_RIC_VERSION}.jar`);
  expect(client.classpath.some(jar => /aws-lambda-java-core-.*\.jar$/.test(jar))).toBe(true);
  // An ELF shared object for this host's machine (x86_64: e_machine 62, arm64: 183).
  const elf = fs.readFileSync(client.jniLibrary);
  expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(elf.readUInt16LE(18)).toBe(process.arch === 'arm64' ? 183 : 62);
  expect(ensureJavaClient()).toEqual(client);
});

describe.each(['Hello21', 'Hello25'])('%s', name => {
  test('initialises, answers and stays warm; the notes name the JDK that ran it', async () => {
    const local = prepare(name);
    const { plan } = local;
    expect(plan.family).toBe('java');
    expect(plan.bootstrapArgs).toEqual(expect.arrayContaining(['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', JAVA_RIC_MAIN_CLASS]));
    expect(plan.bootstrapArgs[plan.bootstrapArgs.length - 1]).toBe('hello.Hello::handleRequest');
    const runtime = name === 'Hello21' ? 'java21' : 'java25';
    const jdk = findJdk(runtime, Number(runtime.slice(4)));
    expect(plan.bootstrap).toBe(jdk.executable);
    expect(local.notes.join('\n')).toContain(`${runtime} runs on the local JDK ${jdk.description}`);
    expect(plan.env.AWS_EXECUTION_ENV).toBe(`AWS_Lambda_${runtime}`);

    const env = await local.start();
    expect(env.initDurationMs).toBeGreaterThan(0);
    const first = await env.invoke({ name: 'Duke' });
    expect(first.result.ok).toBe(true);
    expect(JSON.parse(first.result.payload)).toEqual({ message: 'Hello, Duke!' });
    expect(first.cold).toBe(true);
    const second = await env.invoke({});
    expect(JSON.parse(second.result.payload)).toEqual({ message: 'Hello, world!' });
    expect(second.cold).toBe(false);
  });
});

test('the JVM runs in the task root with a heap from the memory setting, and honours JAVA_TOOL_OPTIONS', async () => {
  const local = prepare('Describe');
  const env = await local.start();
  const outcome = await env.invoke({ hello: 'there' });
  expect(outcome.result.ok).toBe(true);
  const body = JSON.parse(outcome.result.payload);
  expect(body.event).toEqual({ hello: 'there' });
  expect(fs.realpathSync(body.cwd)).toBe(fs.realpathSync(local.plan.taskRoot));
  expect(body.taskRoot).toBe(local.plan.taskRoot);
  expect(Number(body.javaVersion.split('.')[0])).toBeGreaterThanOrEqual(21);
  // 85% of 256 MB, as the JVM rounds it.
  expect(body.maxHeapMb).toBeGreaterThan(200);
  expect(body.maxHeapMb).toBeLessThanOrEqual(218);
  expect(body.fromToolOptions).toBe('set-by-tool-options');
});

test('a layer\'s java/lib jars are on the class path (Lambda\'s /opt/java/lib)', async () => {
  const local = prepare('FromLayer');
  expect(local.notes.join('\n')).toContain('the layers\' java/lib jars are on the JVM\'s class path');
  const env = await local.start();
  const outcome = await env.invoke({});
  expect(JSON.parse(outcome.result.payload)).toBe('hello from a layer jar');
});

test('a JAVA_HOME older than the runtime is passed over, with a note', () => {
  const old = listJdks().find(jdk => jdk.major < 21);
  if (!old) return; // this machine has no JDK older than 21
  const saved = process.env.JAVA_HOME;
  process.env.JAVA_HOME = old.home;
  try {
    const local = prepare('Hello21');
    expect(local.plan.bootstrap).not.toBe(old.executable);
    expect(local.notes).toContain(`JAVA_HOME (${old.home}) is not used: it is not a JDK 21 or newer`);
  } finally {
    if (saved === undefined) delete process.env.JAVA_HOME;
    else process.env.JAVA_HOME = saved;
  }
});

describe('bad handlers fail with the class or method named, and nothing hangs', () => {
  test('a handler class that does not exist', async () => {
    const error = await failure('MissingClass');
    // As on Lambda: the client reports it at the first invoke, not at init.
    expect(error).toBe('{"errorMessage":"Class not found: fixture.NoSuchClass","errorType":"java.lang.ClassNotFoundException"}');
  });

  test('a method that does not exist', async () => {
    const error = await failure('MissingMethod');
    expect(error).toMatch(/"No public method named noSuchMethod with appropriate method signature found on class fixture\.Handlers"/);
  });

  test('a method with a signature Lambda cannot call', async () => {
    const error = await failure('WrongSignature');
    expect(error).toMatch(/"No public method named tooManyParameters with appropriate method signature found on class fixture\.Handlers"/);
  });

  test('a class whose initialiser throws: an init error', async () => {
    const error = await failure('FailingInit');
    expect(error).toMatch(/^runtime failed to initialise: java\.lang\.ExceptionInInitializerError: Error loading class fixture\.FailingInit\n/);
    expect(error).toMatch(/Caused by: java\.lang\.IllegalStateException: FailingInit cannot start: no configuration/);
    // JDK 24 and newer warn when a library is loaded without --enable-native-access; the host grants it.
    expect(error).not.toMatch(/restricted method/);
  });

  /** The error of the init, or else of the first invoke, as the user would read it. */
  async function failure(name: string): Promise<string> {
    const started = Date.now();
    const local = prepare(name);
    let message: string;
    try {
      const env = await local.start();
      const outcome = await env.invoke({});
      expect(outcome.result.ok).toBe(false);
      message = outcome.result.payload;
    } catch (err) {
      message = (err as Error).message;
    }
    expect(Date.now() - started).toBeLessThan(30_000);
    return message;
  }
});

describe('JDK discovery', () => {
  test('finds the JDKs of the machine, each home once, with its version', () => {
    const jdks = listJdks();
    expect(jdks.length).toBeGreaterThan(0);
    expect(new Set(jdks.map(j => j.home)).size).toBe(jdks.length);
    for (const jdk of jdks) {
      expect(fs.existsSync(jdk.executable)).toBe(true);
      expect(jdk.version.startsWith(String(jdk.major))).toBe(true);
    }
  });

  test('a JDK older than the runtime: the message names the runtime, what was found and the fix', () => {
    const old = listJdks().filter(jdk => jdk.major < 21)[0];
    if (!old) return; // this machine has no JDK older than 21 to test with
    expect(() => findJdk('java21', 21, { javaHome: old.home }))
      .toThrow(new RegExp(`runtime java21 needs a JDK 21 or newer to run locally, but the host found only ${escape(old.description)} ` +
        `\\(${escape(old.home)}\\) in JAVA_HOME \\(${escape(old.home)}\\), \`java\` on PATH; install a JDK >= 21 .* or set JAVA_HOME to one`));
  });

  test('no JDK at all', () => {
    const empty = tempDir('no-jdk');
    expect(() => findJdk('java25', 25, { jvmRoot: empty, path: empty }))
      .toThrow(/runtime java25 needs a JDK 25 or newer to run locally, but the host found no JDK in JAVA_HOME \(unset\), .*no-jdk.*; install a JDK >= 25/);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  test('a JAVA_HOME that does not exist is skipped', () => {
    expect(findJdk('java21', 21, { javaHome: '/nonexistent/jdk', jvmRoot: '/usr/lib/jvm' }).major).toBeGreaterThanOrEqual(21);
  });

  test('JDKs named by JAVA_HOME_<major>_X64/ARM64 (GitHub runners, setup-java) are found besides JAVA_HOME', () => {
    const root = tempDir('versioned-jdk');
    const home = path.join(root, 'Java_Temurin-Hotspot_jdk', '21.0.9', 'x64');
    fs.mkdirSync(path.join(home, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(home, 'bin', 'java'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'release'), 'IMPLEMENTOR="Eclipse Adoptium"\nIMPLEMENTOR_VERSION="Temurin-21.0.9+10"\nJAVA_VERSION="21.0.9"\n');
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const search = defaultJdkSearch({ JAVA_HOME_21_X64: home, JAVA_HOME_X64: '/not/versioned', PATH: empty });
    expect(search.versionedHomes).toEqual([home]);
    const found = findJdk('java21', 21, { ...search, jvmRoot: empty });
    expect(found).toMatchObject({ home: fs.realpathSync(home), major: 21, version: '21.0.9', description: 'Temurin 21.0.9' });
    expect(() => findJdk('java25', 25, { ...search, jvmRoot: empty }))
      .toThrow(new RegExp(`found only Temurin 21\\.0\\.9 .* in JAVA_HOME \\(unset\\), JAVA_HOME_<major>_X64/ARM64 \\(${escape(home)}\\)`));
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('JAVA_HOME wins when it is new enough', () => {
    const jdks = listJdks().filter(jdk => jdk.major >= 21);
    const newest = jdks.sort((a, b) => b.major - a.major)[0];
    expect(findJdk('java21', 21, { javaHome: newest.home, jvmRoot: '/usr/lib/jvm' }).home).toBe(newest.home);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
