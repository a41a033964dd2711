import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinary, LlrtBinaryType, LlrtFunction, LlrtFunctionProps, LlrtVersion } from '../../lib';
import { modulesFromSources } from '../../lib/llrt/modules';
import { RELEASE_MODULES } from '../../lib/llrt/release-modules';
import { llrtSource } from '../../lib/llrt/source';
import { fakeReleaseZip, LLRT_FIXTURES, LLRT_HANDLERS, llrtSandbox, LlrtSandbox } from '../support/llrt';
import { LLRT_CRATE_VERSION, LLRT_TEST_CACHE } from '../support/llrt-source';

// Code that bundles fine but cannot run on LLRT fails at synth: the bundle's metafile is checked against the
// modules the LLRT release provides (read from its sources) and the SDK packages of the binary.

let sandbox: LlrtSandbox;
let zip: string;
beforeEach(() => {
  sandbox = llrtSandbox();
  zip = path.join(sandbox.dir, 'llrt-lambda-x64.zip');
  fs.writeFileSync(zip, fakeReleaseZip('x64', 'imports'));
});
afterEach(() => sandbox.restore());

function synth(entry: string, props: Partial<LlrtFunctionProps> = {}) {
  const app = new App({ outdir: fs.mkdtempSync(path.join(sandbox.dir, 'out-')) });
  const stack = new Stack(app, 'Test');
  new LlrtFunction(stack, 'Fn', { entry, architecture: lambda.Architecture.X86_64, llrtBinary: LlrtBinary.fromFile(zip), ...props });
  app.synth();
  return stack;
}

function synthError(entry: string, props: Partial<LlrtFunctionProps> = {}): string {
  try {
    synth(entry, props);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth succeeded');
}

test('a Node.js module LLRT lacks (http) is refused with the import chain and fetch as the alternative', () => {
  const message = synthError(path.join(LLRT_FIXTURES, 'uses-http.ts'));
  expect(message).toMatch(/'.*uses-http\.ts' imports modules LLRT v0\.8\.1-beta cannot provide at run time \(binary type standard\):/);
  expect(message).toMatch(/ {2}node:http: a Node\.js module LLRT v0\.8\.1-beta does not provide \(test\/fixtures\/llrt\/uses-http\.ts -> node:http\); use the global fetch\(\) \(LLRT has no http module\)/);
  expect(message).toMatch(/LLRT's own modules: assert, async_hooks, buffer, .*fs\/promises.*llrt:xml/);
});

test('an llrt: module the release does not have is refused', () => {
  expect(synthError(path.join(LLRT_FIXTURES, 'uses-llrt-module.ts')))
    .toContain('llrt:wasm: LLRT v0.8.1-beta has no such module (test/fixtures/llrt/uses-llrt-module.ts -> llrt:wasm)');
});

test('a package left external that neither LLRT nor the binary\'s SDK provides is refused', () => {
  expect(synthError(path.join(LLRT_FIXTURES, 'uses-package.ts'), { bundling: { externalModules: ['pg'] } })).toContain(
    'pg: left external (bundling.externalModules) but neither an LLRT module nor in the standard binary\'s SDK, so nothing ' +
    'resolves it at run time (test/fixtures/llrt/uses-package.ts -> pg); bundle it (remove it from bundling.externalModules)');
});

test('a real npm package that uses http, https and http2 (aws-cdk-lib\'s triggers handler) is refused, with the chain through node_modules', () => {
  const message = synthError(path.join(LLRT_FIXTURES, 'uses-https-package.ts')); // its @aws-sdk/client-lambda comes with the standard binary
  const chain = 'test/fixtures/llrt/uses-https-package.ts -> node_modules/aws-cdk-lib/custom-resource-handlers/dist/triggers/lambda/index.js';
  expect(message).toContain(`  http: a Node.js module LLRT v0.8.1-beta does not provide (${chain} -> http); use the global fetch()`);
  expect(message).toContain(`  http2: a Node.js module LLRT v0.8.1-beta does not provide (${chain} -> http2); use the global fetch()`);
  // LLRT v0.8.1-beta does declare an https module (its sources export only Agent), so https alone is not refused.
  expect(message).not.toContain('  https:');
});

test('what LLRT provides passes: node: and bare built-ins, llrt: modules, the SDK of a standard binary', () => {
  synth(path.join(LLRT_FIXTURES, 'runtime-modules.mjs'));
  synth(path.join(LLRT_HANDLERS, 'dynamodb.ts'));
  synth(path.join(LLRT_HANDLERS, 'dynamodb.ts'), { llrtBinaryType: LlrtBinaryType.NO_SDK });
});

test('a release without a module list is not checked, and says so', () => {
  const stack = synth(path.join(LLRT_FIXTURES, 'uses-http.ts'), { llrtBinary: LlrtBinary.fromFile(zip, { version: LlrtVersion.of('v0.9.9-beta') }) });
  Annotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp('no module list for LLRT v0.9.9-beta: the bundle\'s imports are not checked'));
});

test('the module list of the pinned release is the one its sources declare', () => {
  const crateDir = llrtSource(LLRT_CRATE_VERSION, LLRT_TEST_CACHE);
  // The dependencies' sources (llrt_core, llrt_modules, ...) as the build would unpack them; quick when they are there.
  execFileSync('cargo', ['fetch', '--locked', '--manifest-path', path.join(crateDir, 'Cargo.toml')], { stdio: 'ignore' });
  expect(RELEASE_MODULES[LlrtVersion.DEFAULT.version]).toEqual(modulesFromSources(crateDir, LLRT_CRATE_VERSION).modules);
  expect(Object.keys(RELEASE_MODULES[LlrtVersion.DEFAULT.version])).toEqual(expect.arrayContaining(['fs', 'fs/promises', 'crypto', 'stream', 'llrt:hex']));
  expect(Object.keys(RELEASE_MODULES[LlrtVersion.DEFAULT.version])).not.toContain('http');
}, 10 * 60_000);
