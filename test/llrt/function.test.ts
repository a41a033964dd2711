import * as fs from 'fs';
import * as path from 'path';
import { Annotations, App, Errors, Stack } from 'aws-cdk-lib';
import { Annotations as AssertAnnotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinary, LlrtBinaryType, LlrtFunction, LlrtLogLevel, LlrtTlsVersion, LlrtVersion } from '../../lib';
import { sha256 as sha256Hex } from '../../lib/core/hash';
import { cfnLintAssembly } from '../support/cfn-lint';
import { fakeBootstrap, fakeReleaseZip, listFiles, LLRT_FIXTURES, LLRT_HANDLERS, llrtSandbox, LlrtSandbox, makeZip } from '../support/llrt';
import { functionAssetDir } from '../support/rust';

// Props-to-template and asset-layout tests. The binary comes from LlrtBinary.fromFile (a fake release zip), so no
// server and no network are involved; the download pipeline has its own tests (binary.test.ts).

const HELLO = path.join(LLRT_HANDLERS, 'hello.ts');

let sandbox: LlrtSandbox;
let armZip: string;
let x64Zip: string;
beforeEach(() => {
  sandbox = llrtSandbox();
  armZip = path.join(sandbox.dir, 'llrt-lambda-arm64.zip');
  x64Zip = path.join(sandbox.dir, 'llrt-lambda-x64.zip');
  fs.writeFileSync(armZip, fakeReleaseZip('arm64', 'arm64 standard'));
  fs.writeFileSync(x64Zip, fakeReleaseZip('x64', 'x64 standard'));
});
afterEach(() => sandbox.restore());

function newStack() {
  const app = new App({ outdir: path.join(sandbox.dir, 'cdk.out') });
  return { app, stack: new Stack(app, 'Test') };
}

function layerAssetDir(app: App, stack: Stack): string {
  const layers = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
  const key: string = Object.values(layers)[0].Properties.Content.S3Key;
  return path.join(app.outdir, `asset.${key.replace('.zip', '')}`);
}

describe('LlrtFunction template', () => {
  test('provided.al2023, handler index.handler, arm64 and 128 MB by default', () => {
    const { stack } = newStack();
    new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(armZip) });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      MemorySize: 128,
    });
    // No environment unless something asks for one.
    expect(Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment).toBeUndefined();
  });

  test('user props win over defaults: x86_64, memory, export name, environment', () => {
    const { stack } = newStack();
    new LlrtFunction(stack, 'Fn', {
      entry: path.join(LLRT_FIXTURES, 'no-handler.ts'),
      handler: 'main',
      architecture: lambda.Architecture.X86_64,
      memorySize: 256,
      environment: { STAGE: 'test' },
      llrtBinary: LlrtBinary.fromFile(x64Zip),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.main',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Environment: { Variables: { STAGE: 'test' } },
    });
  });

  test('typed LLRT settings become LLRT_* variables next to the user\'s', () => {
    const { stack } = newStack();
    new LlrtFunction(stack, 'Fn', {
      entry: HELLO,
      llrtBinary: LlrtBinary.fromFile(armZip),
      environment: { TABLE: 't' },
      llrtLogLevel: LlrtLogLevel.WARN,
      llrtGcThresholdMb: 32,
      llrtTlsVersion: LlrtTlsVersion.TLS_1_3,
      llrtSdkConnectionWarmup: false,
      llrtNetAllow: ['dynamodb.us-east-1.amazonaws.com', 'sts.amazonaws.com'],
      llrtNetDeny: ['169.254.169.254'],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TABLE: 't',
          LLRT_LOG: 'warn',
          LLRT_GC_THRESHOLD_MB: '32',
          LLRT_TLS_VERSION: '1.3',
          LLRT_SDK_CONNECTION_WARMUP: '0',
          LLRT_NET_ALLOW: 'dynamodb.us-east-1.amazonaws.com sts.amazonaws.com',
          LLRT_NET_DENY: '169.254.169.254',
        },
      },
    });
  });

  test('exposes entry, version and binary type; pinned v0.8.1-beta and STANDARD by default', () => {
    const { stack } = newStack();
    const fn = new LlrtFunction(stack, 'Fn', { entry: path.relative(process.cwd(), HELLO), llrtBinary: LlrtBinary.fromFile(armZip) });
    expect(fn.entry).toBe(HELLO);
    expect(fn.llrtVersion).toBe(LlrtVersion.DEFAULT);
    expect(fn.llrtVersion.version).toBe('v0.8.1-beta');
    expect(fn.llrtVersion.isLatest).toBe(false);
    expect(fn.llrtBinaryType).toBe(LlrtBinaryType.STANDARD);
    expect(fn.llrtLayer).toBeUndefined();
  });

  test('template snapshot (asset hashes masked)', () => {
    const { stack } = newStack();
    new LlrtFunction(stack, 'Hello', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(armZip), llrtLogLevel: LlrtLogLevel.INFO });
    new LlrtFunction(stack, 'Api', { entry: path.join(LLRT_HANDLERS, 'http.ts'), llrtBinary: LlrtBinary.fromFile(x64Zip), architecture: lambda.Architecture.X86_64 });
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

describe('asset layout', () => {
  test('the asset holds an executable bootstrap at the root next to index.mjs, and nothing else', () => {
    const { app, stack } = newStack();
    const fn = new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(armZip) });
    app.synth();
    const dir = functionAssetDir(app.outdir, fn);
    expect(listFiles(dir)).toEqual(['bootstrap', 'index.mjs']);
    expect((fs.statSync(path.join(dir, 'bootstrap')).mode % 0o1000).toString(8)).toBe('755');
    expect(fs.readFileSync(path.join(dir, 'bootstrap')).equals(fakeBootstrap('arm64', 'arm64 standard'))).toBe(true);
    const code = fs.readFileSync(path.join(dir, 'index.mjs'), 'utf-8');
    expect(code).toMatch(/export\s*\{[^}]*handler/);
  });

  test('LlrtBinary.fromFile() may be given the bootstrap itself, checked against sha256', () => {
    const bootstrap = path.join(sandbox.dir, 'bootstrap');
    fs.writeFileSync(bootstrap, fakeBootstrap('arm64', 'raw'));
    const { app, stack } = newStack();
    const fn = new LlrtFunction(stack, 'Fn', {
      entry: HELLO,
      llrtBinary: LlrtBinary.fromFile(bootstrap, { sha256: sha256Hex(fs.readFileSync(bootstrap)).toUpperCase() }),
    });
    app.synth();
    expect(fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'bootstrap')).toString('latin1')).toContain('fake llrt raw');
  });

  test('an unchanged handler and binary give an unchanged asset hash; a changed handler a new one', () => {
    const entry = path.join(sandbox.dir, 'handler.ts');
    fs.writeFileSync(entry, 'export const handler = async () => 1;\n');
    const hash = () => {
      sandbox.freshProcess();
      const { stack } = newStack();
      new LlrtFunction(stack, 'Fn', { entry, llrtBinary: LlrtBinary.fromFile(armZip) });
      return JSON.stringify(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    };
    const first = hash();
    expect(hash()).toEqual(first);
    fs.writeFileSync(entry, 'export const handler = async () => 2;\n');
    expect(hash()).not.toEqual(first);
  });

  test('stacks excluded from bundling need neither esbuild nor a binary', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: path.join(sandbox.dir, 'cdk.out') });
    const stack = new Stack(app, 'Test');
    new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(path.join(sandbox.dir, 'missing.zip')) });
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('shared layer mode', () => {
  test('one layer per version, architecture and type for the whole stack; functions then ship only index.mjs', () => {
    const { app, stack } = newStack();
    const a = new LlrtFunction(stack, 'A', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(armZip), useLlrtLayer: true });
    const b = new LlrtFunction(stack, 'B', { entry: path.join(LLRT_HANDLERS, 'http.ts'), llrtBinary: LlrtBinary.fromFile(armZip), useLlrtLayer: true });
    const c = new LlrtFunction(stack, 'C', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(x64Zip), useLlrtLayer: true, architecture: lambda.Architecture.X86_64 });
    app.synth();

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 2);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      CompatibleRuntimes: ['provided.al2023'],
      LicenseInfo: 'Apache-2.0',
      Description: Match.stringLikeRegexp('^LLRT v0.8.1-beta runtime \\(arm64, standard\\)'),
    });
    expect(a.llrtLayer).toBe(b.llrtLayer);
    expect(c.llrtLayer).not.toBe(a.llrtLayer);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: stack.getLogicalId(a.llrtLayer!.node.defaultChild as lambda.CfnLayerVersion) }],
      Runtime: 'provided.al2023',
    });
    for (const fn of [a, b, c]) expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['index.mjs']);
    expect(listFiles(layerAssetDir(app, stack))).toEqual(['bootstrap']);

    const lint = cfnLintAssembly(app.outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  }, 120_000);
});

describe('errors at synth', () => {
  const make = (props: Partial<ConstructorParameters<typeof LlrtFunction>[2]>) => () => {
    const { stack } = newStack();
    new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(armZip), ...props });
  };

  test('a missing entry', () => {
    expect(make({ entry: 'nowhere/handler.ts' }))
      .toThrow(`entry 'nowhere/handler.ts' does not exist (resolved to ${path.resolve('nowhere/handler.ts')}); relative paths start at the current working directory`);
  });

  test('an entry that is not JavaScript or TypeScript', () => {
    expect(make({ entry: path.join(LLRT_HANDLERS, 'README.md') }))
      .toThrow(/entry '.*README.md' is not a JavaScript or TypeScript file; expected one of \.ts, \.mts, \.cts, \.js, \.mjs, \.cjs$/);
  });

  test('an entry without the handler export lists the exports', () => {
    expect(make({ entry: path.join(LLRT_FIXTURES, 'no-handler.ts') }))
      .toThrow(/'.*no-handler.ts' has no export named 'handler'; exports: main, other; export the handler/);
  });

  test('a handler name that is not an identifier', () => {
    expect(make({ handler: 'index.handler' }))
      .toThrow("handler 'index.handler' is not the name of an exported function; expected a JavaScript identifier");
  });

  test('a syntax error shows esbuild\'s message with file and line', () => {
    expect(make({ entry: path.join(LLRT_FIXTURES, 'broken.mjs') }))
      .toThrow(/esbuild could not bundle '.*broken.mjs' for LLRT:\n {2}.*broken.mjs:4:\d+: Unexpected end of file/);
  });

  test('an unsupported architecture', () => {
    expect(make({ architecture: lambda.Architecture.custom('riscv64') }))
      .toThrow("architecture 'riscv64' is not supported by LLRT; expected arm64 or x86_64");
  });

  test('a binary for the other architecture', () => {
    expect(make({ llrtBinary: LlrtBinary.fromFile(x64Zip) }))
      .toThrow(/the LLRT bootstrap from LlrtBinary.fromFile\('.*llrt-lambda-x64.zip'\) is an x86_64 executable but the function's architecture is arm64; use llrt-lambda-arm64.zip/);
  });

  test('a malformed sha256 and a mismatching one', () => {
    expect(() => LlrtBinary.fromFile(armZip, { sha256: 'abc' }))
      .toThrow("sha256 of LlrtBinary.fromFile() 'abc' is not a SHA-256; expected 64 hexadecimal characters");
    expect(() => LlrtBinary.fromRelease({ sha256: 'xyz' }))
      .toThrow("sha256 of LlrtBinary.fromRelease() 'xyz' is not a SHA-256; expected 64 hexadecimal characters");
    expect(make({ llrtBinary: LlrtBinary.fromFile(armZip, { sha256: '0'.repeat(64) }) }))
      .toThrow(new RegExp('checksum mismatch for LlrtBinary.fromFile\\(\'.*llrt-lambda-arm64.zip\'\\): expected sha256 0{64} \\(sha256\\), got [0-9a-f]{64}; use the file you meant to trust'));
  });

  test('a missing file', () => {
    expect(make({ llrtBinary: LlrtBinary.fromFile(path.join(sandbox.dir, 'missing.zip')) }))
      .toThrow(/LlrtBinary.fromFile\('.*missing.zip'\): the file does not exist or is not a file; point it at an LLRT bootstrap or at a release zip such as llrt-lambda-arm64.zip/);
  });

  test('a zip without bootstrap given to LlrtBinary.fromFile()', () => {
    const zip = path.join(sandbox.dir, 'other.zip');
    fs.writeFileSync(zip, makeZip([{ name: 'README', data: Buffer.from('hi') }]));
    expect(make({ llrtBinary: LlrtBinary.fromFile(zip) }))
      .toThrow(/LlrtBinary.fromFile\('.*other.zip'\) is a zip but it holds no 'bootstrap' at its root \(entries: README\)/);
  });

  test('a base URL that is not http(s)', () => {
    expect(() => LlrtBinary.fromRelease({ baseUrl: 'ftp://mirror.example.com/llrt' }))
      .toThrow("baseUrl 'ftp://mirror.example.com/llrt' uses ftp:; expected an http or https URL");
    expect(() => LlrtBinary.fromRelease({ baseUrl: 'mirror' })).toThrow("baseUrl 'mirror' is not a URL");
  });

  test('a typed setting and the same variable in environment', () => {
    expect(make({ llrtLogLevel: LlrtLogLevel.DEBUG, environment: { LLRT_LOG: 'trace' } }))
      .toThrow('llrtLogLevel and environment.LLRT_LOG are both set; keep one of them');
  });

  test('a GC threshold that is not a positive whole number', () => {
    expect(make({ llrtGcThresholdMb: 0 })).toThrow('llrtGcThresholdMb 0 is not a positive whole number of megabytes');
    expect(make({ llrtGcThresholdMb: 2.5 })).toThrow('llrtGcThresholdMb 2.5 is not a positive whole number');
  });
});

describe('warnings', () => {
  test('a bootstrap that is not ELF (a script) is a warning with its own id, not an error', () => {
    const script = path.join(sandbox.dir, 'bootstrap');
    fs.writeFileSync(script, '#!/bin/sh\necho placeholder\n');
    const { stack } = newStack();
    new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(script) });
    AssertAnnotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp('is not an ELF executable; Lambda runs it as is'));
    AssertAnnotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp('ack: rustacean-lambda:llrt-bootstrap-not-elf'));
  });

  test('one warning can be acknowledged without the others', () => {
    const script = path.join(sandbox.dir, 'bootstrap');
    fs.writeFileSync(script, '#!/bin/sh\necho placeholder\n');
    const { stack } = newStack();
    const fn = new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromFile(script) });
    Annotations.of(fn).acknowledgeWarning('rustacean-lambda:llrt-bootstrap-not-elf');
    AssertAnnotations.fromStack(stack).hasNoWarning('/Test/Fn', Match.anyValue());
  });
});

describe('errors name the construct', () => {
  /** The error a construct raises, with its path. */
  function failure(build: () => void): { validation: boolean; path?: string; message: string } {
    try {
      build();
    } catch (e) {
      return { validation: Errors.isValidationError(e), path: (e as { constructPath?: string }).constructPath, message: (e as Error).message };
    }
    throw new Error('no error');
  }

  test('a bad prop checked before the function exists: the function\'s own path', () => {
    const { stack } = newStack();
    const error = failure(() => new LlrtFunction(stack, 'Fn', { entry: HELLO, handler: 'not-an-identifier', llrtBinary: LlrtBinary.fromFile(armZip) }));
    expect(error).toMatchObject({ validation: true, path: 'Test/Fn' });
    expect(error.message).toContain("handler 'not-an-identifier' is not the name of an exported function");
  });

  test('a failure while bundling (CDK runs it inside super()): the path of the function\'s asset, the message kept', () => {
    const { stack } = newStack();
    const error = failure(() => new LlrtFunction(stack, 'Fn', { entry: path.join(LLRT_FIXTURES, 'no-handler.ts'), llrtBinary: LlrtBinary.fromFile(armZip) }));
    expect(error).toMatchObject({ validation: true, path: 'Test/Fn/Code/Stage' });
    expect(error.message).toMatch(/has no export named 'handler'/);
  });

  test('a binary of the other architecture in a shared layer: the layer\'s path', () => {
    const { stack } = newStack();
    const error = failure(() => new LlrtFunction(stack, 'Fn', { entry: HELLO, useLlrtLayer: true, llrtBinary: LlrtBinary.fromFile(x64Zip) }));
    expect(error.validation).toBe(true);
    expect(error.path).toMatch(/^Test\/LlrtRuntime-v0\.8\.1-beta-arm64-standard-file[0-9a-f]{8}\/Code\/Stage$/);
    expect(error.message).toMatch(/is an x86_64 executable but the function's architecture is arm64/);
  });
});
