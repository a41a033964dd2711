import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BuildCache, LlrtBinary, LlrtBinarySource, LlrtBinaryType, LlrtFunction, LlrtVersion, OptimizationPreset, SccacheStorage } from '../../lib';
import { ARCHITECTURES } from '../../lib/core/arch';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { elfMachineOf } from '../../lib/core/elf';
import { LLRT_GLIBC, llrtPlan, obtainSourceCompiler } from '../../lib/llrt/source';
import { compareVersions, newestGlibc } from '../support/elf';
import { listFiles, LLRT_HANDLERS, synthError } from '../support/llrt';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS, LLRT_CRATE_VERSION, LLRT_TEST_CACHE, testLlrt } from '../support/llrt-source';
import { functionAssetDir } from '../support/rust';

// LlrtBinary.fromSource(): LLRT built from crates.io with cargo-lambda. The builds are real (cached in
// .rustacean-lambda/cache, shared with every LLRT test); so are the failures, on small crates that fail fast.

jest.setTimeout(FIRST_BUILD_TIMEOUT_MS);

const HELLO = path.join(LLRT_HANDLERS, 'hello.ts');
const owned: string[] = [];
afterEach(() => {
  CargoLambdaBuild.reset();
  for (const dir of owned.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rl-llrt-src-${prefix}-`));
  owned.push(dir);
  return dir;
}

function head(file: string): Buffer {
  const buffer = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buffer, 0, 20, 0);
  } finally {
    fs.closeSync(fd);
  }
  return buffer;
}

describe('the binaries', () => {
  test('x86_64: an x86-64 ELF that needs no glibc newer than provided.al2023\'s 2.34', () => {
    const file = ensureLlrt('x86_64');
    expect(elfMachineOf(head(file))).toBe(ARCHITECTURES.x86_64.elfMachine);
    const glibc = newestGlibc(file)!;
    expect(compareVersions(glibc, LLRT_GLIBC)).toBeLessThanOrEqual(0);
  });

  test('arm64 (default preset): an aarch64 ELF that needs no glibc newer than 2.34', () => {
    // Checked as a file only: qemu-user cannot run threaded aarch64 glibc programs on our machines.
    const file = ensureLlrt('arm64', OptimizationPreset.BALANCED);
    expect(elfMachineOf(head(file))).toBe(ARCHITECTURES.arm64.elfMachine);
    const glibc = newestGlibc(file)!;
    expect(glibc).toMatch(/^2\.\d+/);
    expect(compareVersions(glibc, LLRT_GLIBC)).toBeLessThanOrEqual(0);
  });
});

describe('LlrtFunction with LlrtBinary.fromSource()', () => {
  test('deploys the built bootstrap next to index.lrt (bytecode); NO_SDK by default; one build for every function and the layer', () => {
    ensureLlrt('x86_64');
    // The compiler too (its first build may fall to this test, depending on which test file ran first).
    obtainSourceCompiler({ crateVersion: LLRT_CRATE_VERSION, optimization: 'balanced', cacheRoot: LLRT_TEST_CACHE });
    CargoLambdaBuild.reset();
    const app = new App({ outdir: scratch('out') });
    const stack = new Stack(app, 'Test');
    const llrtBinary = testLlrt();
    const x86 = lambda.Architecture.X86_64;
    const a = new LlrtFunction(stack, 'A', { entry: HELLO, architecture: x86, llrtBinary });
    const b = new LlrtFunction(stack, 'B', { entry: path.join(LLRT_HANDLERS, 'dynamodb.ts'), architecture: x86, llrtBinary });
    const c = new LlrtFunction(stack, 'C', { entry: HELLO, architecture: x86, llrtBinary, useLlrtLayer: true });
    const d = new LlrtFunction(stack, 'D', { entry: HELLO, architecture: x86, llrtBinary, useLlrtLayer: true });
    app.synth();

    expect(a.llrtBinaryType).toBe(LlrtBinaryType.NO_SDK);
    expect(a.llrtBinary.source).toBe(LlrtBinarySource.SOURCE);
    expect(a.llrtVersion).toBe(LlrtVersion.DEFAULT);
    expect(CargoLambdaBuild.invocations).toBe(0); // the cache served all four
    const built = fs.readFileSync(ensureLlrt('x86_64'));
    // Bytecode by default: index.lrt, compiled by the non-lambda build of the same crate (also from the cache).
    for (const fn of [a, b]) {
      expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['bootstrap', 'index.lrt']);
      expect(fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'bootstrap')).equals(built)).toBe(true);
    }
    // NO_SDK: the DynamoDB client is in the bundle (its strings are in the bytecode).
    expect(fs.readFileSync(path.join(functionAssetDir(app.outdir, b), 'index.lrt')).toString('latin1')).toContain('DynamoDB_20120810');
    for (const fn of [c, d]) expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['index.lrt']);
    const layers = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
    expect(Object.keys(layers)).toHaveLength(1);
    const layer = Object.values(layers)[0];
    expect(layer.Properties.Description).toBe(`LLRT v${LLRT_CRATE_VERSION} runtime (x64, no-sdk) built from crates.io`);
    const layerDir = path.join(app.outdir, `asset.${(layer.Properties.Content.S3Key as string).replace('.zip', '')}`);
    expect(fs.readFileSync(path.join(layerDir, 'bootstrap')).equals(built)).toBe(true);
  });

  test('LLRT builds take the build cache: LlrtBinary.fromSource({ buildCache }) first, else RUSTACEAN_LAMBDA_BUILD_CACHE', () => {
    const build = { crateVersion: LLRT_CRATE_VERSION, optimization: 'balanced' as const, cacheRoot: LLRT_TEST_CACHE };
    const saved = process.env.RUSTACEAN_LAMBDA_BUILD_CACHE;
    process.env.RUSTACEAN_LAMBDA_BUILD_CACHE = 'redis://127.0.0.1:6379';
    try {
      expect(llrtPlan(build, 'x86_64').request.buildCache).toEqual({ kind: 'sccache', storage: { kind: 'redis', endpoint: 'redis://127.0.0.1:6379' } });
      const own = BuildCache.sccache({ storage: SccacheStorage.local({ directory: '/var/cache/sccache' }) });
      expect(llrtPlan({ ...build, buildCache: own._config }, 'x86_64').request.buildCache).toEqual(own._config);
      expect(llrtPlan({ ...build, buildCache: BuildCache.none()._config }, 'x86_64').request.buildCache).toEqual({ kind: 'none' });
      // how fast, never what: the build's asset hash is the same with any cache
      expect(llrtPlan({ ...build, buildCache: own._config }, 'x86_64').assetHash).toBe(llrtPlan(build, 'x86_64').assetHash);
    } finally {
      if (saved === undefined) delete process.env.RUSTACEAN_LAMBDA_BUILD_CACHE;
      else process.env.RUSTACEAN_LAMBDA_BUILD_CACHE = saved;
    }
  });

  test.each([LlrtBinaryType.STANDARD, LlrtBinaryType.FULL_SDK])('asking for %s is a synth error that says why and what to do', type => {
    const stack = new Stack(new App({ outdir: scratch('out') }), 'Test');
    expect(() => new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: testLlrt(), llrtBinaryType: type })).toThrow(
      `llrtBinaryType '${type}' cannot come from LlrtBinary.fromSource(): the llrt crate on crates.io carries no AWS SDK, ` +
      'so a source build is the no-sdk binary; remove llrtBinaryType (the SDK clients you import are then bundled into ' +
      'index.mjs), or use LlrtBinary.fromRelease() or LlrtBinary.fromFile() for a binary with the ' + type + ' SDK');
  });

  test('LATEST cannot be built', () => {
    expect(() => LlrtBinary.fromSource({ version: LlrtVersion.LATEST })).toThrow(
      'LlrtBinary.fromSource() needs a pinned version, not LlrtVersion.LATEST (the latest release is looked up on GitHub, ' +
      "which a source build does not use); pin one, e.g. LlrtVersion.of('v0.8.1-beta')");
  });

  test('bundling skipped (cdk synth -e of another stack): nothing is fetched or built', () => {
    const cache = scratch('cache');
    const app = new App({ outdir: scratch('out'), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    new LlrtFunction(stack, 'Fn', { entry: HELLO, llrtBinary: LlrtBinary.fromSource({ cacheDirectory: cache }) });
    app.synth();
    expect(fs.readdirSync(cache)).toEqual([]);
  });
});

describe('bad input fails at synth and leaves nothing in the cache', () => {
  const synthWith = (llrtBinary: LlrtBinary) => () => {
    const app = new App({ outdir: scratch('out') });
    new LlrtFunction(new Stack(app, 'Test'), 'Fn', { entry: HELLO, architecture: lambda.Architecture.X86_64, llrtBinary });
    app.synth();
  };

  test('a version crates.io does not have (asked of the real crates.io index)', () => {
    const cache = scratch('cache');
    const message = synthError(synthWith(LlrtBinary.fromSource({ version: LlrtVersion.of('v0.0.1-nope'), cacheDirectory: cache })));
    expect(message).toMatch(/crates\.io has no llrt 0\.0\.1-nope; published versions include .*0\.8\.1-beta.*; choose one of them, e\.g\. LlrtBinary\.fromSource\(\{ version: LlrtVersion\.V0_8_1_BETA \}\) \(the default\)$/);
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  test('a failing build (a crate that does not compile) reports cargo\'s error and keeps no build output', () => {
    // A stand-in for the crate in the cache (marked as fetched), whose source does not compile: the real
    // cargo-lambda build runs and fails in seconds.
    const cache = scratch('cache');
    const crate = path.join(cache, 'llrt-source', '0.0.2-broken', 'llrt');
    fs.mkdirSync(path.join(crate, 'src'), { recursive: true });
    fs.writeFileSync(path.join(crate, 'Cargo.toml'), [
      '[package]', 'name = "llrt"', 'version = "0.0.2-broken"', 'edition = "2021"', '',
      '[features]', 'lambda = []', '', '[dependencies]', 'snmalloc-rs = { path = "snmalloc-rs" }', '', '[workspace]', '',
    ].join('\n'));
    fs.writeFileSync(path.join(crate, 'src', 'main.rs'), 'fn main() { let _x: u32 = "not a number"; }\n');
    // The feature the build asks for (snmalloc-rs/build_cc), on a local stand-in of the allocator crate.
    fs.mkdirSync(path.join(crate, 'snmalloc-rs', 'src'), { recursive: true });
    fs.writeFileSync(path.join(crate, 'snmalloc-rs', 'Cargo.toml'), [
      '[package]', 'name = "snmalloc-rs"', 'version = "0.0.0"', 'edition = "2021"', '', '[features]', 'build_cc = []', '',
    ].join('\n'));
    fs.writeFileSync(path.join(crate, 'snmalloc-rs', 'src', 'lib.rs'), '');
    execFileSync('cargo', ['generate-lockfile', '--offline', '--manifest-path', path.join(crate, 'Cargo.toml')], { stdio: 'ignore' });
    fs.writeFileSync(path.join(crate, '.rustacean-lambda-source'), 'stand-in for tests\n');
    const message = synthError(synthWith(LlrtBinary.fromSource({
      version: LlrtVersion.of('v0.0.2-broken'), cacheDirectory: cache, optimization: OptimizationPreset.NONE,
    })));
    expect(message).toContain('cannot build LLRT 0.0.2-broken from source for x86_64: cargo lambda build failed for');
    expect(message).toMatch(/error\[E0308\]: mismatched types/);
    expect(message).toContain('or use LlrtBinary.fromRelease() or LlrtBinary.fromFile()');
    const buildCache = path.join(crate, 'target', 'rustacean-lambda');
    expect(fs.existsSync(buildCache) ? fs.readdirSync(buildCache) : []).toEqual([]);
  });

  test('no C compiler for the target (zig missing) names QuickJS and how to install zig', () => {
    // cargo-lambda without zig: PATH holds the pinned cargo-lambda, cargo and the system's tools, not zig, and the
    // system python3 has no ziglang module.
    const bin = scratch('bin');
    fs.symlinkSync(fs.realpathSync(path.join(__dirname, '..', '..', '.rustacean-lambda', 'tools', 'bin', 'cargo-lambda')), path.join(bin, 'cargo-lambda'));
    const cargoBin = path.dirname(execFileSync('which', ['cargo'], { encoding: 'utf-8' }).trim());
    const savedPath = process.env.PATH;
    process.env.PATH = [bin, cargoBin, '/usr/bin', '/bin'].join(path.delimiter);
    try {
      CargoLambdaBuild.reset();
      const cache = scratch('cache');
      fs.cpSync(path.join(LLRT_TEST_CACHE, 'llrt-source', LLRT_CRATE_VERSION), path.join(cache, 'llrt-source', LLRT_CRATE_VERSION), {
        recursive: true, filter: src => path.basename(src) !== 'target',
      });
      const message = synthError(synthWith(LlrtBinary.fromSource({ cacheDirectory: cache, optimization: OptimizationPreset.NONE })));
      expect(message).toContain(`cannot build LLRT ${LLRT_CRATE_VERSION} from source for x86_64: no C compiler for the target ` +
        '(LLRT\'s JavaScript engine QuickJS, and zlib-ng, zstd and ring, are C code compiled for the Lambda architecture); ' +
        'install zig for cargo-lambda (`pip install ziglang`');
      expect(message).toContain('zig was not found');
      const crate = path.join(cache, 'llrt-source', LLRT_CRATE_VERSION, 'llrt');
      expect(fs.existsSync(path.join(crate, 'target', 'rustacean-lambda')) ? fs.readdirSync(path.join(crate, 'target', 'rustacean-lambda')) : []).toEqual([]);
    } finally {
      process.env.PATH = savedPath;
      CargoLambdaBuild.reset();
    }
  });
});
