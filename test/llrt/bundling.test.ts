import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { LlrtBinary, LlrtBinaryType, LlrtFunction } from '../../lib';
import { bundle, BundleRequest, Esbuild, RUNTIME_MODULES, sdkExternals } from '../../lib/llrt/bundling';
import { LlrtWarnings } from '../../lib/llrt/warnings';
import { fakeReleaseZip, LLRT_FIXTURES, LLRT_HANDLERS, llrtSandbox, LlrtSandbox } from '../support/llrt';
import { functionAssetDir } from '../support/rust';

// Real esbuild runs; the AWS SDK comes from this repository's node_modules.

let sandbox: LlrtSandbox;
beforeEach(() => {
  sandbox = llrtSandbox();
});
afterEach(() => sandbox.restore());

function bundleOf(entry: string, binaryType = LlrtBinaryType.STANDARD, tag: string | undefined = 'v0.8.1-beta', options: BundleRequest['options'] = {}) {
  const out = fs.mkdtempSync(path.join(sandbox.dir, 'bundle-'));
  const warnings: LlrtWarnings = [];
  const result = bundle({ entry, exportName: 'handler', binaryType, options }, out, tag, warnings);
  return { ...result, code: fs.readFileSync(result.outputFile, 'utf-8'), warnings };
}

const importsOf = (code: string) => [...code.matchAll(/(?:import|from)\s*["']([^"']+)["']/g)].map(m => m[1]).sort();

describe('bundle', () => {
  test('one minified ES module index.mjs exporting the handler, no require()', () => {
    const { outputFile, code, target } = bundleOf(path.join(LLRT_HANDLERS, 'hello.ts'));
    expect(path.basename(outputFile)).toBe('index.mjs');
    expect(target).toBe('es2023');
    expect(code).toMatch(/export\s*\{\s*\w+ as handler\s*\}/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code.split('\n').filter(l => l.trim()).length).toBeLessThanOrEqual(2); // minified
  });

  test('Node.js built-ins (bare and node:) and llrt:* modules are left to the runtime', () => {
    const { externalImports, code } = bundleOf(path.join(LLRT_FIXTURES, 'runtime-modules.mjs'));
    expect(externalImports).toEqual(['crypto', 'fs', 'llrt:hex', 'node:fs/promises']);
    expect(importsOf(code)).toEqual(['crypto', 'fs', 'llrt:hex', 'node:fs/promises']);
  });

  test('@aws-sdk/client-dynamodb is bundled for NO_SDK and left to the runtime for STANDARD and FULL_SDK', () => {
    const entry = path.join(LLRT_FIXTURES, 'ddb.ts');
    const noSdk = bundleOf(entry, LlrtBinaryType.NO_SDK);
    const standard = bundleOf(entry, LlrtBinaryType.STANDARD);
    const full = bundleOf(entry, LlrtBinaryType.FULL_SDK);

    expect(noSdk.externalImports).toEqual([]);
    expect(importsOf(noSdk.code)).toEqual([]);
    expect(noSdk.code).toContain('ListTables'); // the client's code is inside
    expect(noSdk.bytes).toBeGreaterThan(50_000);

    for (const external of [standard, full]) {
      expect(external.externalImports).toEqual(['@aws-sdk/client-dynamodb']);
      expect(importsOf(external.code)).toEqual(['@aws-sdk/client-dynamodb']);
      expect(external.bytes).toBeLessThan(1_000);
    }
  });

  test('the target follows the LLRT release, compared as a version', () => {
    const entry = path.join(LLRT_FIXTURES, 'modern.ts');
    expect(bundleOf(entry, LlrtBinaryType.STANDARD, 'v0.10.0-beta').code).toContain('??=');
    const old = bundleOf(entry, LlrtBinaryType.STANDARD, 'v0.1.9-beta');
    expect(old.target).toBe('es2020');
    expect(old.code).not.toContain('??=');
  });

  test('user options: extra externals, define, banner, no minification', () => {
    const entry = path.join(sandbox.dir, 'options.ts');
    fs.writeFileSync(entry, [
      "import { helper } from 'my-layer-lib';",
      'declare const STAGE: string;',
      'export const handler = async () => helper(STAGE);',
    ].join('\n'));
    const { code, externalImports } = bundleOf(entry, LlrtBinaryType.STANDARD, 'v0.8.1-beta', {
      externalModules: ['my-layer-lib'],
      define: { STAGE: '"prod"' },
      banner: '// built for LLRT',
      minify: false,
    });
    expect(externalImports).toEqual(['my-layer-lib']);
    expect(code.startsWith('// built for LLRT\n')).toBe(true);
    expect(code).toContain('helper("prod")');
  });

  test('an unresolvable import names the file and the module', () => {
    const entry = path.join(sandbox.dir, 'missing-dep.ts');
    fs.writeFileSync(entry, "import x from 'not-installed-anywhere';\nexport const handler = async () => x;\n");
    expect(() => bundleOf(entry)).toThrow(/esbuild could not bundle '.*missing-dep.ts' for LLRT:\n {2}.*missing-dep.ts:1:\d+: Could not resolve "not-installed-anywhere"/);
  });
});

describe('externals per binary type', () => {
  test('NO_SDK leaves no SDK package out; STANDARD the clients LLRT ships; FULL_SDK more', () => {
    expect(sdkExternals(LlrtBinaryType.NO_SDK)).toEqual([]);
    const standard = sdkExternals(LlrtBinaryType.STANDARD);
    expect(standard).toEqual(expect.arrayContaining([
      '@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@aws-sdk/client-sqs',
      '@aws-sdk/credential-providers', '@aws-sdk/util-dynamodb', '@smithy/*', '@aws-crypto/*',
    ]));
    expect(standard).not.toContain('@aws-sdk/client-bedrock-runtime');
    const full = sdkExternals(LlrtBinaryType.FULL_SDK);
    expect(full).toEqual(expect.arrayContaining([...standard, '@aws-sdk/client-bedrock-runtime', '@aws-sdk/client-athena']));
    // Clients neither binary has are bundled, never assumed present.
    expect(full).not.toContain('@aws-sdk/client-iot');
  });

  test('runtime modules include every Node.js built-in and both wildcards', () => {
    expect(RUNTIME_MODULES).toEqual(expect.arrayContaining(['fs', 'fs/promises', 'crypto', 'stream', 'node:*', 'llrt:*']));
  });
});

describe('through LlrtFunction', () => {
  test('a handler importing @aws-sdk/client-dynamodb: bundled for NO_SDK, left out for STANDARD', () => {
    const zip = path.join(sandbox.dir, 'llrt.zip');
    fs.writeFileSync(zip, fakeReleaseZip('arm64', 'test'));
    const app = new App({ outdir: path.join(sandbox.dir, 'out') });
    const stack = new Stack(app, 'Test');
    const entry = path.join(LLRT_HANDLERS, 'dynamodb.ts');
    const noSdk = new LlrtFunction(stack, 'NoSdk', { entry, llrtBinary: LlrtBinary.fromFile(zip), llrtBinaryType: LlrtBinaryType.NO_SDK });
    const standard = new LlrtFunction(stack, 'Standard', { entry, llrtBinary: LlrtBinary.fromFile(zip) });
    app.synth();
    const codeOf = (fn: LlrtFunction) => fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'index.mjs'), 'utf-8');
    expect(importsOf(codeOf(noSdk))).toEqual([]);
    expect(importsOf(codeOf(standard))).toEqual(['@aws-sdk/client-dynamodb']);
  });
});

describe('esbuild', () => {
  test('missing esbuild says how to install it', () => {
    Esbuild.reset();
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-no-esbuild-'));
    try {
      expect(() => Esbuild.load([empty])).toThrow(`esbuild is needed to bundle LLRT functions but cannot be found from ${empty}; ` +
        'install it in your CDK project with `npm install --save-dev esbuild`');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
      Esbuild.reset();
    }
  });
});
