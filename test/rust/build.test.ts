import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { elfMachine } from '../../lib/core/elf';
import { startFunction } from '../../lib/local/process';
import { compareVersions, newestGlibc } from '../support/elf';
import { copyFixture, functionAssetDir, RUST_HANDLERS } from '../support/rust';

// Real builds: cargo-lambda (with zig) compiles the fixtures and the sample handlers for both architectures.
// arm64 bootstraps run through qemu-user. Nothing here needs AWS, Docker or the internet.
jest.setTimeout(30 * 60_000);

const AL2023_GLIBC = '2.34';
const QEMU = ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'];

const outdirs: string[] = [];
function newApp(): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-build-'));
  outdirs.push(outdir);
  return new App({ outdir });
}

function runNative(file: string): string {
  return execFileSync(file, { encoding: 'utf-8' }).trim();
}
function runArm64(file: string): string {
  return execFileSync(QEMU[0], [...QEMU.slice(1), file], { encoding: 'utf-8' }).trim();
}

beforeEach(() => CargoLambdaBuild.reset());
afterAll(() => {
  CargoLambdaBuild.reset();
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('building a small workspace', () => {
  let workspace: string;
  beforeAll(() => { workspace = copyFixture('tiny-workspace'); });
  afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

  test('three arm64 functions of one workspace cause one cargo-lambda build; each asset is its own aarch64 bootstrap', () => {
    const app = newApp();
    const stack = new Stack(app, 'Tiny');
    const fns = ['alpha', 'beta', 'gamma'].map(bin => new RustFunction(stack, bin, { manifestPath: workspace, binaryName: bin }));

    expect(CargoLambdaBuild.invocations).toBe(1);
    for (const fn of fns) {
      const dir = functionAssetDir(app.outdir, fn);
      expect(fs.readdirSync(dir)).toEqual(['bootstrap']);
      const bootstrap = path.join(dir, 'bootstrap');
      expect(elfMachine(bootstrap)).toBe(0xb7); // EM_AARCH64
      expect(compareVersions(newestGlibc(bootstrap)!, AL2023_GLIBC)).toBeLessThanOrEqual(0);
      expect(runArm64(bootstrap)).toBe(`${fn.binaryName} aarch64`);
    }
  });

  test('a second synth in a new process finds the finished build and runs no cargo', () => {
    const app = newApp();
    new RustFunction(new Stack(app, 'Again'), 'alpha', { manifestPath: workspace, binaryName: 'alpha' });
    expect(CargoLambdaBuild.invocations).toBe(0);
  });

  test('features reach the build (x86_64, run natively)', () => {
    const app = newApp();
    const stack = new Stack(app, 'Features');
    const plain = new RustFunction(stack, 'Plain', { manifestPath: workspace, binaryName: 'single', architecture: lambda.Architecture.X86_64 });
    const loud = new RustFunction(stack, 'Loud', {
      manifestPath: workspace, binaryName: 'single', architecture: lambda.Architecture.X86_64, bundling: { features: ['loud'] },
    });
    expect(CargoLambdaBuild.invocations).toBe(2);
    expect(runNative(path.join(functionAssetDir(app.outdir, plain), 'bootstrap'))).toBe('single x86_64');
    expect(runNative(path.join(functionAssetDir(app.outdir, loud), 'bootstrap'))).toBe('SINGLE x86_64');
  });

  test('a compile error fails the synth with cargo\'s message', () => {
    const broken = copyFixture('tiny-workspace');
    try {
      fs.writeFileSync(path.join(broken, 'multi', 'src', 'bin', 'beta.rs'), 'fn main() {\n    let total: u32 = "not a number";\n}\n');
      const app = newApp();
      let message = '';
      try {
        new RustFunction(new Stack(app, 'Broken'), 'beta', { manifestPath: broken, binaryName: 'beta', architecture: lambda.Architecture.X86_64 });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/cargo lambda build failed for .* for x86_64/);
      expect(message).toMatch(/error\[E0308\]: mismatched types/);
      expect(message).toContain('multi/src/bin/beta.rs:2');
      expect(fs.readdirSync(path.join(broken, 'target', 'rustacean-lambda')).filter(n => !n.startsWith('.'))).toEqual([]);
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe('building the sample handlers', () => {
  let app: App;
  let helloArm: RustFunction;
  let helloX86: RustFunction;
  let apiX86: RustFunction;

  beforeAll(() => {
    CargoLambdaBuild.reset();
    app = newApp();
    const stack = new Stack(app, 'Handlers');
    helloArm = new RustFunction(stack, 'HelloArm', { manifestPath: RUST_HANDLERS, binaryName: 'hello' });
    helloX86 = new RustFunction(stack, 'HelloX86', { manifestPath: RUST_HANDLERS, binaryName: 'hello', architecture: lambda.Architecture.X86_64 });
    apiX86 = new RustFunction(stack, 'ApiX86', { manifestPath: RUST_HANDLERS, binaryName: 'http-api', architecture: lambda.Architecture.X86_64 });
  });

  test('each bootstrap is an ELF for its architecture that needs no glibc newer than al2023\'s 2.34', () => {
    const cases: Array<[RustFunction, number]> = [[helloArm, 0xb7], [helloX86, 0x3e], [apiX86, 0x3e]];
    for (const [fn, machine] of cases) {
      const bootstrap = path.join(functionAssetDir(app.outdir, fn), 'bootstrap');
      expect(elfMachine(bootstrap)).toBe(machine);
      const glibc = newestGlibc(bootstrap);
      expect(glibc).toBeDefined();
      expect(compareVersions(glibc!, AL2023_GLIBC)).toBeLessThanOrEqual(0);
    }
  });

  test.each([['x86_64'], ['arm64']])('hello (%s) answers through a local Lambda Runtime API', async (arch) => {
    const fn = arch === 'arm64' ? helloArm : helloX86;
    const local = await startFunction({ bootstrap: path.join(functionAssetDir(app.outdir, fn), 'bootstrap'), initTimeoutMs: 60_000 });
    try {
      const first = await local.invoke({ name: 'Ferris' }, { requestId: 'req-ferris' });
      expect(first.ok).toBe(true);
      expect(JSON.parse(first.payload)).toEqual({ message: 'Hello, Ferris!', requestId: 'req-ferris' });
      const second = await local.invoke({});
      expect(JSON.parse(second.payload)).toEqual({ message: 'Hello, world!', requestId: second.requestId });
    } finally {
      await local.stop();
    }
  });

  test('http-api answers API Gateway HTTP API v2 events: item, 404, validation error', async () => {
    const event = JSON.parse(fs.readFileSync(path.join(RUST_HANDLERS, 'http-api', 'events', 'get-item.json'), 'utf-8'));
    const local = await startFunction({ bootstrap: path.join(functionAssetDir(app.outdir, apiX86), 'bootstrap') });
    try {
      const found = JSON.parse((await local.invoke(event)).payload);
      expect(found.statusCode).toBe(200);
      expect(JSON.parse(found.body)).toEqual({ id: 1, name: 'Ferris plush', price: 12.5 });

      const missing = structuredClone(event);
      missing.rawPath = missing.requestContext.http.path = '/items/999';
      const notFound = JSON.parse((await local.invoke(missing)).payload);
      expect(notFound.statusCode).toBe(404);
      expect(JSON.parse(notFound.body)).toHaveProperty('error');

      const bad = structuredClone(event);
      bad.rawPath = bad.requestContext.http.path = '/items';
      bad.requestContext.http.method = 'POST';
      bad.body = JSON.stringify({ name: '', price: -1 });
      const invalid = JSON.parse((await local.invoke(bad)).payload);
      expect(invalid.statusCode).toBe(400);
      expect(JSON.parse(invalid.body)).toHaveProperty('error');
    } finally {
      await local.stop();
    }
  });
});
