import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthScripted, tempDir } from './apps';
import { extractZip } from '../../lib/core/zip';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { findNode } from '../../lib/local/clients';
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
  expect(['java21', 'dotnet10', 'ruby3.3', undefined].map(runtimeFamily)).toEqual([undefined, undefined, undefined, undefined]);
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
  expect(plan.bootstrapArgs[0]).toBe('--import');
  expect(plan.bootstrapArgs[1]).toMatch(/^file:.*nodejs-esm-node-path-[0-9a-f]+\/register\.mjs$/);
  expect(plan.bootstrapArgs[2]).toMatch(/aws-lambda-ric[/\\](bin[/\\])?index\.mjs$/);
  expect(plan.bootstrapArgs[3]).toBe('index.handler');
  // The SDK v3 where Lambda has /var/runtime/node_modules: last on NODE_PATH, after the layers' folders.
  const nodePath = plan.env.NODE_PATH.split(path.delimiter);
  expect(fs.existsSync(path.join(nodePath[nodePath.length - 1], '@aws-sdk', 'client-dynamodb', 'package.json'))).toBe(true);
  expect(fs.readFileSync(path.join(plan.taskRoot, 'index.js'), 'utf8')).toContain('inline: true');
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
  expect(() => prepareRuntime({ ...named('PyHello'), runtime: 'java21' }))
    .toThrow(/runtime 'java21' is not supported by the local host; supported: the provided family \(provided.al2023\), python3.x, nodejs\*.x/);
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
