import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { synthScripted, tempDir } from './apps';
import { extractZip } from '../../lib/core/zip';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { BOTO3_VERSION, findNode, localHome, NODE_SDK_VERSION } from '../../lib/local/clients';
import { prepareRuntime, PreparedRuntime, runtimeFamily } from '../../lib/local/runtimes';

// Python and Node.js plans install the official clients on first use (npm builds a native addon: minutes).
jest.setTimeout(15 * 60_000);

let outdir: string;
let functions: ReadonlyArray<AssemblyFunction>;
const prepared: PreparedRuntime[] = [];

beforeAll(() => {
  outdir = synthScripted();
  functions = readAssembly(outdir).functions;
});

afterEach(() => {
  for (const p of prepared.splice(0)) p.dispose();
});

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function prepare(fn: AssemblyFunction): PreparedRuntime {
  const p = prepareRuntime(fn);
  prepared.push(p);
  return p;
}

const named = (name: string) => functions.find(f => f.constructPath === `LocalScripted/${name}`) as AssemblyFunction;

test('maps Lambda runtime names to the families the host can start', () => {
  expect(['provided.al2023', 'python3.12', 'python3.14', 'nodejs24.x', 'nodejs22.x'].map(runtimeFamily))
    .toEqual(['provided', 'python', 'python', 'nodejs', 'nodejs']);
  expect(['java21', 'java25'].map(runtimeFamily)).toEqual(['java', 'java']);
  expect(['java8.al2', 'dotnet10', 'ruby3.3', undefined].map(runtimeFamily)).toEqual([undefined, undefined, undefined, undefined]);
});

test('starts Python with the official awslambdaric client and the task root first on PYTHONPATH', () => {
  const fn = named('PyHello');
  const { plan } = prepare(fn);
  expect(plan.family).toBe('python');
  expect(path.basename(plan.bootstrap)).toMatch(/^python3(\.\d+)?$/);
  expect(plan.bootstrapArgs).toEqual(['-m', 'awslambdaric', 'hello.handler']);
  expect(plan.arch).toBeUndefined();
  expect(fn.code.kind === 'asset' && plan.taskRoot === fn.code.path).toBe(true);
  const pythonPath = plan.env.PYTHONPATH.split(path.delimiter);
  expect(pythonPath[0]).toBe(plan.taskRoot);
  const client = pythonPath[pythonPath.length - 1];
  expect(fs.existsSync(path.join(client, 'awslambdaric'))).toBe(true);
  // boto3 where Lambda has its runtime-included libraries: after the code and the layers, before the runtime client.
  expect(fs.existsSync(path.join(pythonPath[pythonPath.length - 2], 'boto3', '__init__.py'))).toBe(true);
  expect(plan.env).toMatchObject({ PYTHONDONTWRITEBYTECODE: '1', AWS_EXECUTION_ENV: 'AWS_Lambda_python3.12' });
  expect(plan.extensions).toEqual([]);
});

test('runs the layer\'s /opt/bootstrap wrapper around the runtime command, and its extensions, from a merged opt folder', () => {
  const p = prepare(named('PyLayered'));
  const { plan } = p;
  const optDir = plan.optDir as string;
  expect(optDir).toBeDefined();
  expect(plan.bootstrap).toBe(path.join(optDir, 'bootstrap'));
  expect(plan.bootstrapArgs.slice(1)).toEqual(['-m', 'awslambdaric', 'hello.describe']);
  expect(plan.env.AWS_LAMBDA_EXEC_WRAPPER).toBe(path.join(optDir, 'bootstrap'));
  expect(plan.extensions).toEqual([{ command: path.join(optDir, 'extensions', 'fake-extension') }]);
  expect(plan.env.PYTHONPATH.split(path.delimiter)).toContain(path.join(optDir, 'python'));
  expect(plan.env.GREETING).toBe('hi');
  expect(plan.notes.join('\n')).toMatch(/layer arn:aws:lambda:us-east-1:123456789012:layer:elsewhere:3 cannot be fetched locally/);
  expect(plan.notes.join('\n')).toMatch(/known only at deploy time are left unset: BUCKET/);
  expect(() => fs.accessSync(plan.bootstrap, fs.constants.X_OK)).not.toThrow();
  p.dispose();
  expect(fs.existsSync(optDir)).toBe(false);
});

test('starts nodejs24.x on a Node.js 24 with the official aws-lambda-ric client; inline code gets a temporary task root', () => {
  const { plan } = prepare(named('NodeInline'));
  expect(plan.family).toBe('nodejs');
  // scripts/setup.sh installs Node.js 24 for the host when the machine's own Node.js is another major.
  expect(execFileSync(plan.bootstrap, ['--version'], { encoding: 'utf8' })).toMatch(/^v24\./);
  expect(plan.notes.join('\n')).not.toMatch(/runs on the local Node\.js/);
  expect(plan.env.PATH.split(path.delimiter)[0]).toBe(path.dirname(plan.bootstrap));
  // The hook that lets ES modules resolve NODE_PATH (as on Lambda) is loaded before the client.
  expect(plan.bootstrapArgs[0]).toBe('--require');
  expect(plan.bootstrapArgs[1]).toMatch(/nodejs-esm-node-path-[0-9a-f]+[/\\]register\.cjs$/);
  expect(plan.bootstrapArgs[2]).toMatch(/aws-lambda-ric[/\\](bin[/\\])?index\.mjs$/);
  expect(plan.bootstrapArgs[3]).toBe('index.handler');
  // The SDK v3 where Lambda has /var/runtime/node_modules: last on NODE_PATH, after the layers' folders.
  const nodePath = plan.env.NODE_PATH.split(path.delimiter);
  expect(fs.existsSync(path.join(nodePath[nodePath.length - 1], '@aws-sdk', 'client-dynamodb', 'package.json'))).toBe(true);
  expect(fs.readFileSync(path.join(plan.taskRoot, 'index.js'), 'utf8')).toContain('inline: true');
});

test('the SDKs Lambda\'s runtimes ship resolve as there: boto3, the SDK v3 (from ES modules too), the function\'s own copy first', () => {
  // Python: the host's pinned boto3 wins over any boto3 the local Python has in its own site-packages.
  const { plan: py } = prepare(named('PyHello'));
  const boto3 = spawnSync(py.bootstrap, ['-c', 'import boto3; print(boto3.__version__, boto3.__file__)'],
    { env: { PATH: py.env.PATH, PYTHONPATH: py.env.PYTHONPATH, PYTHONNOUSERSITE: '1' }, encoding: 'utf8' });
  expect(boto3.stderr).toBe('');
  expect(boto3.stdout.trim()).toBe(`${BOTO3_VERSION} ${path.join(localHome(), 'runtimes')}${path.sep}python${py.env.PYTHONPATH.match(/python(3\.\d+)-boto3/)![1]}-boto3-${BOTO3_VERSION}${path.sep}boto3${path.sep}__init__.py`);

  // Node.js: an ES module in a folder with no node_modules above it imports the SDK from NODE_PATH through the hook.
  const { plan: node } = prepare(named('NodeInline'));
  const [preloadFlag, hook] = node.bootstrapArgs;
  const dir = tempDir('esm-node-path');
  fs.writeFileSync(path.join(dir, 'probe.mjs'), "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n" +
    "console.log(typeof DynamoDBClient, import.meta.resolve('@aws-sdk/client-dynamodb'));\n");
  const probe = (interpreter: string, withHook = true) => spawnSync(interpreter, [...(withHook ? [preloadFlag, hook] : []), 'probe.mjs'],
    { cwd: dir, env: { PATH: node.env.PATH, NODE_PATH: node.env.NODE_PATH }, encoding: 'utf8' });
  // Node.js names a module by its real path (.rustacean-lambda may be a link).
  const sdk = `${fs.realpathSync(path.join(localHome(), 'runtimes', `nodejs-aws-sdk-${NODE_SDK_VERSION}`, 'node_modules', '@aws-sdk', 'client-dynamodb'))}${path.sep}`;
  // On the function's Node.js (module.registerHooks) and on this process's (module.register, before Node.js 22.15).
  for (const interpreter of [node.bootstrap, process.execPath]) {
    const ran = probe(interpreter);
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toMatch(new RegExp(`^function file://${sdk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }
  // Without the hook, Node.js's ES module resolution ignores NODE_PATH: the hook is what makes it Lambda's.
  expect(probe(node.bootstrap, false).stderr).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find package '@aws-sdk\/client-dynamodb'/);
  // The function's own copy wins over the runtime's, as on Lambda.
  const own = path.join(dir, 'node_modules', '@aws-sdk', 'client-dynamodb');
  fs.mkdirSync(own, { recursive: true });
  fs.writeFileSync(path.join(own, 'package.json'), '{"name":"@aws-sdk/client-dynamodb","version":"0.0.1","type":"module","main":"index.js"}');
  fs.writeFileSync(path.join(own, 'index.js'), 'export class DynamoDBClient {}\n');
  expect(probe(node.bootstrap).stdout).toBe(`function ${pathToFileURL(path.join(own, 'index.js')).href}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('starts provided.* functions from the asset\'s bootstrap and refuses an asset without one', () => {
  const code = tempDir('provided');
  const base = { ...named('PyHello'), runtime: 'provided.al2023', handler: 'bootstrap', code: { kind: 'asset' as const, path: code } };
  expect(() => prepareRuntime(base)).toThrow(/needs an executable 'bootstrap' at the root of its code, but .*bootstrap does not exist/);
  fs.writeFileSync(path.join(code, 'bootstrap'), '#!/bin/sh\n', { mode: 0o755 });
  const { plan } = prepare({ ...base, architecture: 'arm64', environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/x' } });
  expect(plan).toMatchObject({ family: 'provided', bootstrap: path.join(code, 'bootstrap'), bootstrapArgs: [], arch: 'arm64' });
  expect(plan.notes).toContain('AWS_LAMBDA_EXEC_WRAPPER is ignored on provided.* runtimes, as on Lambda');
});

test('names what is missing: an unsupported runtime, a wrapper from a layer that cannot be fetched', () => {
  expect(() => prepareRuntime({ ...named('PyHello'), runtime: 'dotnet10' }))
    .toThrow(/runtime 'dotnet10' is not supported by the local host; supported: the provided family \(provided.al2023\), python3.x, nodejs\*.x, java11 and newer/);
  const wrapped = { ...named('PyHello'), environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap' }, externalLayers: ['arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:25'] };
  expect(() => prepareRuntime(wrapped)).toThrow(/AWS_LAMBDA_EXEC_WRAPPER is '\/opt\/bootstrap', which is not in the function's code or layers \(its layers arn:.*LambdaAdapterLayerX86:25 cannot be fetched locally\)/);
});

describe('extractZip', () => {
  function zip(entries: Array<[string, string, number]>, file: string): void {
    const script = [
      'import sys, zipfile, json',
      'entries = json.loads(sys.argv[2])',
      'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
      '    for name, data, mode in entries:',
      '        info = zipfile.ZipInfo(name)',
      '        info.external_attr = mode << 16',
      '        info.compress_type = zipfile.ZIP_STORED if name.endswith("/") else zipfile.ZIP_DEFLATED',
      '        z.writestr(info, data)',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script, file, JSON.stringify(entries)], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
  }

  test('unpacks files and folders with their permissions', () => {
    const dir = tempDir('zip');
    const file = path.join(dir, 'layer.zip');
    zip([['extensions/', '', 0o40755], ['extensions/ext', '#!/bin/sh\necho hi\n', 0o100755], ['python/m.py', 'X = 1\n'.repeat(100), 0o100644]], file);
    const out = path.join(dir, 'out');
    extractZip(file, out);
    expect(fs.readFileSync(path.join(out, 'extensions', 'ext'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(fs.statSync(path.join(out, 'extensions', 'ext')).mode % 0o1000).toBe(0o755);
    expect(fs.readFileSync(path.join(out, 'python', 'm.py'), 'utf8')).toBe('X = 1\n'.repeat(100));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('refuses entries that would land outside the folder, and files that are not zips', () => {
    const dir = tempDir('zip-bad');
    const file = path.join(dir, 'evil.zip');
    zip([['../escape.txt', 'x', 0o100644]], file);
    expect(() => extractZip(file, path.join(dir, 'out'))).toThrow(/entry '..\/escape.txt' escapes the folder/);
    fs.writeFileSync(path.join(dir, 'plain.txt'), 'not a zip');
    expect(() => extractZip(path.join(dir, 'plain.txt'), dir)).toThrow(/is not a zip file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

test('finds a Node.js of the declared major: this process\'s own, the one setup installed, or none', () => {
  const own = Number(process.versions.node.split('.')[0]);
  expect(findNode(own)).toEqual({ executable: process.execPath, version: process.versions.node, major: own });
  const node24 = findNode(24);
  expect(node24?.major).toBe(24);
  expect(execFileSync(node24!.executable, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${node24!.version}`);
  expect(findNode(99)).toBeUndefined();
});
