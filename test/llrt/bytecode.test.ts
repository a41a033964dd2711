import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinary, LlrtFunction, LlrtFunctionProps, LlrtVersion } from '../../lib';
import { dictionaryId, frameDictionaryId } from '../../lib/llrt/compiler';
import { obtainSourceCompiler } from '../../lib/llrt/source';
import { LocalLambda } from '../../lib/local/host';
import { fakeBootstrap, listFiles, LLRT_FIXTURES, synthError } from '../support/llrt';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS, LLRT_CRATE_VERSION, LLRT_TEST_CACHE, synthLlrtFunction } from '../support/llrt-source';
import { functionAssetDir } from '../support/rust';

// LlrtFunction deploys LLRT bytecode (index.lrt), compiled at synth by a non-lambda build of the runtime's own
// release. The real cases build (or find in .rustacean-lambda/cache) LLRT and its compiler for x86_64 and run the
// bytecode on the real runtime through the local Lambda host; the refusals use small stand-in compilers.

jest.setTimeout(FIRST_BUILD_TIMEOUT_MS);

const HANDLER = path.join(LLRT_FIXTURES, 'bytecode', 'handler.ts');
const owned: string[] = [];
const lambdas: LocalLambda[] = [];
afterAll(async () => {
  await Promise.all(lambdas.map(l => l.close()));
  for (const dir of owned) fs.rmSync(dir, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rl-llrt-bc-${prefix}-`));
  owned.push(dir);
  return dir;
}

/** A stand-in `llrt` for this machine: prints a version banner, and records (then fails) any compile. */
function fakeCompiler(dir: string, version: string): { file: string; compiled: string } {
  const file = path.join(dir, 'llrt');
  const compiled = path.join(dir, 'compiled');
  fs.writeFileSync(file, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "LLRT ${version} (linux, x64)"; exit 0; fi\n` +
    `touch '${compiled}'\necho 'compile refused by the stand-in' >&2\nexit 1\n`, { mode: 0o755 });
  return { file, compiled };
}

/** A fake x86_64 runtime, optionally carrying LLRT's version banner as the real binary does. */
function fakeRuntime(dir: string, banner?: string): string {
  const file = path.join(dir, 'bootstrap');
  fs.writeFileSync(file, Buffer.concat([fakeBootstrap('x64', 'runtime'), Buffer.from(banner ? `\0${banner}\0` : '')]), { mode: 0o755 });
  return file;
}

function newFunction(props: Partial<LlrtFunctionProps> & { llrtBinary: LlrtBinary }) {
  const app = new App({ outdir: scratch('out') });
  const stack = new Stack(app, 'Test');
  const fn = new LlrtFunction(stack, 'Fn', { entry: HANDLER, architecture: lambda.Architecture.X86_64, ...props });
  return { app, stack, fn };
}

describe('on a real LLRT (x86_64, built from crates.io with its compiler)', () => {
  beforeAll(() => {
    ensureLlrt('x86_64');
  });

  test('fromSource() deploys index.lrt (uncompressed bytecode) and the bootstrap; the handler answers from bytecode', async () => {
    const { outdir, fn } = synthLlrtFunction(HANDLER);
    owned.push(outdir);
    const dir = (fn.code as { path: string }).path;
    expect(listFiles(dir)).toEqual(['bootstrap', 'index.lrt']);
    expect(fs.readFileSync(path.join(dir, 'index.lrt')).subarray(0, 6).toString('latin1')).toBe('lrt01u');
    const local = LocalLambda.prepare(fn, {});
    lambdas.push(local);
    const env = await local.start();
    const outcome = await env.invoke({ name: 'Ferris' });
    expect(outcome.result.ok).toBe(true);
    expect(JSON.parse(outcome.result.payload)).toEqual({ message: 'Hello from bytecode, Ferris!', greetingVersion: 3 });
  });

  // Each build of LLRT trains its zstd dictionary from its own bytecode (llrt_core's build script; the training order
  // follows a HashSet), and llrt_core embeds it beside the modules compressed with it. So the compiler's dictionary is
  // the Lambda build's only when both got the same llrt_core object (a shared target folder or sccache may give them
  // that); nothing guarantees it, hence the rewrite to uncompressed bytecode, which every LLRT of the release loads.
  test('the compiler writes zstd with the dictionary of its own build: hence the rewrite', () => {
    const compiler = obtainSourceCompiler({ crateVersion: LLRT_CRATE_VERSION, optimization: 'balanced', cacheRoot: LLRT_TEST_CACHE });
    expect(compiler.version).toBe(LlrtVersion.DEFAULT.version);
    const dir = scratch('raw');
    fs.writeFileSync(path.join(dir, 'index.mjs'), 'export const handler = async () => 1;\n');
    expect(spawnSync(compiler.file, ['compile', 'index.mjs', 'index.lrt'], { cwd: dir }).status).toBe(0);
    const raw = fs.readFileSync(path.join(dir, 'index.lrt'));
    expect(raw.subarray(0, 6).toString('latin1')).toBe('lrt01c');
    const id = frameDictionaryId(raw);
    expect(compiler.dictionaries.map(d => dictionaryId(fs.readFileSync(d)))).toContain(id);
    const dict = Buffer.alloc(8);
    dict.writeUInt32LE(0xec30a437, 0);
    dict.writeUInt32LE(id, 4);
    expect(fs.readFileSync(compiler.file).includes(dict)).toBe(true);
  });

  test('bundling: { bytecode: false } deploys JavaScript', () => {
    const { outdir, fn } = synthLlrtFunction(HANDLER, { bundling: { bytecode: false } });
    owned.push(outdir);
    expect(listFiles((fn.code as { path: string }).path)).toEqual(['bootstrap', 'index.mjs']);
  });

  test('a compile error names the source file and line (QuickJS names the function the error is in)', () => {
    const dir = scratch('too-many');
    const entry = path.join(dir, 'handler.ts');
    // Valid JavaScript that QuickJS refuses to compile: a call with more than 65534 arguments.
    fs.writeFileSync(entry, '// generated\nconst count = (...n: number[]) => n.length;\n\nexport const handler = async () => ({\n' +
      `  n: count(${new Array(70000).fill('1').join(', ')}),\n});\n`);
    const message = synthError(() => synthLlrtFunction(entry));
    expect(message).toContain(`LLRT ${LlrtVersion.DEFAULT.version} could not compile the bundle to bytecode at `);
    expect(message).toMatch(/at .*handler\.ts:4: Too many arguments in function call \(only 65534 allowed\)/);
  });

  test('a .lrt written by another release is refused: the runtime\'s banner names a version the compiler is not', () => {
    const compiler = obtainSourceCompiler({ crateVersion: LLRT_CRATE_VERSION, optimization: 'balanced', cacheRoot: LLRT_TEST_CACHE });
    const runtime = fakeRuntime(scratch('v090'), 'LLRT v0.9.0-beta (linux, x64)');
    const message = synthError(() => newFunction({ llrtBinary: LlrtBinary.fromFile(runtime, { compiler: compiler.file }) }));
    expect(message).toContain(`the LLRT bytecode compiler is LLRT ${LlrtVersion.DEFAULT.version} (the compiler ${compiler.file}) ` +
      'but the function runs LLRT v0.9.0-beta');
  });
});

describe('refusals and fallbacks (stand-in compilers)', () => {
  test('a compiler of another release than the runtime is refused at synth, naming both', () => {
    const dir = scratch('v070');
    const compiler = fakeCompiler(dir, 'v0.7.0-beta');
    const runtime = fakeRuntime(dir);
    const message = synthError(() => newFunction({
      llrtBinary: LlrtBinary.fromFile(runtime, { version: LlrtVersion.of('v0.8.1-beta'), compiler: compiler.file }),
    }));
    expect(message).toContain(`the LLRT bytecode compiler is LLRT v0.7.0-beta (the compiler ${compiler.file}) but the function ` +
      'runs LLRT v0.8.1-beta: bytecode (.lrt) is only loaded reliably by the release that wrote it');
    expect(fs.existsSync(compiler.compiled)).toBe(false);
  });

  test('an import LLRT lacks fails the synth before anything is compiled', () => {
    const dir = scratch('http');
    const compiler = fakeCompiler(dir, 'v0.8.1-beta');
    const message = synthError(() => newFunction({
      entry: path.join(LLRT_FIXTURES, 'uses-http.ts'),
      llrtBinary: LlrtBinary.fromFile(fakeRuntime(dir), { version: LlrtVersion.of('v0.8.1-beta'), compiler: compiler.file }),
    }));
    expect(message).toContain('imports modules LLRT v0.8.1-beta cannot provide at run time');
    expect(message).toContain('http: a Node.js module LLRT v0.8.1-beta does not provide');
    expect(fs.existsSync(compiler.compiled)).toBe(false);
  });

  test('a file of unknown version asked for bytecode with no compiler named: JavaScript, with a warning id', () => {
    const dir = scratch('unknown');
    const { app, stack, fn } = newFunction({ llrtBinary: LlrtBinary.fromFile(fakeRuntime(dir)), bundling: { bytecode: true } });
    expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['bootstrap', 'index.mjs']);
    Annotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp('ack: rustacean-lambda:llrt-bytecode-unknown-version'));
  });

  describe('on a machine where the compiler cannot run (macOS here, by its platform)', () => {
    const platform = process.platform;
    beforeEach(() => Object.defineProperty(process, 'platform', { value: 'darwin' }));
    afterEach(() => Object.defineProperty(process, 'platform', { value: platform }));

    test('bytecode by default: JavaScript, nothing compiled, and the warning llrt-bytecode-skipped says why', () => {
      const dir = scratch('darwin');
      const compiler = fakeCompiler(dir, 'v0.8.1-beta');
      const { app, stack, fn } = newFunction({
        llrtBinary: LlrtBinary.fromFile(fakeRuntime(dir), { version: LlrtVersion.of('v0.8.1-beta'), compiler: compiler.file }),
      });
      expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['bootstrap', 'index.mjs']);
      expect(fs.existsSync(compiler.compiled)).toBe(false);
      Annotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp(
        'not bytecode: LLRT\'s bytecode compiler runs at synth on Linux .*this machine is darwin .*ack: rustacean-lambda:llrt-bytecode-skipped'));
    });

    test('bytecode asked for: no silent JavaScript, the compiler is tried (and its failure fails the synth)', () => {
      const dir = scratch('darwin-asked');
      const compiler = fakeCompiler(dir, 'v0.8.1-beta');
      const message = synthError(() => newFunction({
        llrtBinary: LlrtBinary.fromFile(fakeRuntime(dir), { version: LlrtVersion.of('v0.8.1-beta'), compiler: compiler.file }),
        bundling: { bytecode: true },
      }));
      expect(message).toContain('compile refused by the stand-in');
      expect(fs.existsSync(compiler.compiled)).toBe(true);
    });
  });

  test('releases and files stay JavaScript unless asked (their compiler would need a Rust build)', () => {
    const dir = scratch('default');
    const { app, fn } = newFunction({ llrtBinary: LlrtBinary.fromFile(fakeRuntime(dir)) });
    expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['bootstrap', 'index.mjs']);
  });
});
