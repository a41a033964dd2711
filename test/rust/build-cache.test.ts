/**
 * The build cache against a real shared cache: a redis-server of this test on 127.0.0.1 (a free port, no
 * persistence, killed after) and sccache's own server on a port of its own. A small workspace (a library crate,
 * which sccache caches, and the binary that uses it) is built with an empty target folder (cache cold), then the
 * target folder, and with it the build-once cache, is wiped and it is built again: sccache's own statistics must
 * show hits, and the bootstrap must be byte-identical, also to a build without any cache.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BuildCache, RustFunction, SccacheStorage } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { sccacheEnvironment } from '../../lib/core/cargo/build-cache';
import { architectureOfMachine, elfMachineOf } from '../../lib/core/elf';
import { run } from '../../lib/core/process';
import { isolatedSccache, LocalRedis, startRedis } from '../support/build-cache';
import { copyFixture, functionAssetDir } from '../support/rust';

jest.setTimeout(20 * 60_000);

let redis: LocalRedis;
let sccache: Awaited<ReturnType<typeof isolatedSccache>>;
const scratch: string[] = [];

// What the machine (or .ci/run) set for its own builds stays out of these tests: they choose every setting.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('SCCACHE_') || name === 'RUSTC_WRAPPER' || name === 'RUSTACEAN_LAMBDA_BUILD_CACHE') delete process.env[name];
}
const savedPort = process.env.SCCACHE_SERVER_PORT;

beforeAll(async () => {
  redis = await startRedis();
  // sccache's server of this test only: its statistics are this test's builds, and no other server is touched.
  sccache = await isolatedSccache();
  process.env.SCCACHE_SERVER_PORT = sccache.port;
});

afterAll(() => {
  sccache?.stop();
  redis?.stop();
  if (savedPort === undefined) delete process.env.SCCACHE_SERVER_PORT;
  else process.env.SCCACHE_SERVER_PORT = savedPort;
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  CargoLambdaBuild.reset();
});

const sccacheStats = () => sccache.stats();

/** Synthesizes one function of the workspace in a fresh app (as a new `cdk synth` would); returns its bootstrap. */
function build(workspace: string, architecture: lambda.Architecture, buildCache?: BuildCache, binaryName = 'hello'): Buffer {
  CargoLambdaBuild.reset(); // a new process: only what is on disk is left
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cache-build-'));
  scratch.push(outdir);
  const app = new App({ outdir });
  const fn = new RustFunction(new Stack(app, 'Cached'), 'Hello', {
    manifestPath: workspace,
    binaryName,
    architecture,
    bundling: buildCache ? { buildCache } : undefined,
  });
  expect(CargoLambdaBuild.invocations).toBe(1);
  return fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'bootstrap'));
}

describe.each([['x86_64', lambda.Architecture.X86_64], ['arm64', lambda.Architecture.ARM_64]])('%s through Redis', (_name, architecture) => {
  let workspace: string;
  beforeAll(() => {
    workspace = copyFixture('cache-workspace');
    scratch.push(workspace);
  });

  test('a cold build fills the cache; after wiping the target folder, the build hits it; the bootstrap is identical, also to one built without a cache', () => {
    const cache = BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint: redis.endpoint }) });
    const target = path.join(workspace, 'target');
    expect(fs.existsSync(target)).toBe(false);

    const start = sccacheStats();
    const cold = build(workspace, architecture, cache);
    const afterCold = sccacheStats();
    expect(afterCold.location).toContain(redis.endpoint);
    expect(afterCold.misses - start.misses).toBeGreaterThanOrEqual(1); // the library crate was compiled and stored
    expect(afterCold.hits - start.hits).toBe(0);
    expect(redis.dbsize()).toBeGreaterThanOrEqual(1);

    fs.rmSync(target, { recursive: true, force: true }); // the target folder and the build-once cache in it
    const warm = build(workspace, architecture, cache);
    const afterWarm = sccacheStats();
    expect(afterWarm.hits - afterCold.hits).toBeGreaterThanOrEqual(1);
    expect(afterWarm.misses - afterCold.misses).toBe(0);
    // The library's own report of the build agrees with sccache's statistics.
    const [report] = [...CargoLambdaBuild.cacheReports.values()];
    expect(report).toMatchObject({ hits: afterWarm.hits - afterCold.hits, misses: 0 });

    fs.rmSync(target, { recursive: true, force: true });
    const uncached = build(workspace, architecture, BuildCache.none());
    expect(sccacheStats().hits).toBe(afterWarm.hits); // no compile went through sccache

    expect(warm.equals(cold)).toBe(true);
    expect(uncached.equals(cold)).toBe(true);
  });
});

describe.each([['x86_64', lambda.Architecture.X86_64, 'x86_64-unknown-linux-gnu'], ['arm64', lambda.Architecture.ARM_64, 'aarch64-unknown-linux-gnu']])(
  '%s: a C library named twice, static and without kind, as snmalloc-sys (LLRT\'s allocator) names it', (name, architecture, triple) => {
    let workspace: string;
    beforeAll(() => {
      workspace = copyFixture('twice-linked-workspace');
      scratch.push(workspace);
    });

    if (name === 'x86_64') {
      test('plain sccache as the compiler wrapper breaks the link: it turns the repeat into `-l dylib=twice`, and zig\'s linker finds no libtwice.so', () => {
        const result = run('cargo', ['lambda', 'build', '--release', '--target', triple, '--bin', 'hello'], {
          cwd: workspace,
          env: { ...process.env, ...sccacheEnvironment({ kind: 'redis', endpoint: redis.endpoint }), RUSTC_WRAPPER: 'sccache' },
          timeoutMs: 10 * 60_000,
        });
        expect(result.status).not.toBe(0);
        expect(`${result.stdout}${result.stderr}`).toContain('unable to find dynamic system library "twice"');
        fs.rmSync(path.join(workspace, 'target'), { recursive: true, force: true });
      });

      test('the same RUSTC_WRAPPER=sccache inherited from the shell (as CI setups export it), no cache asked for: the construct links', () => {
        Object.assign(process.env, sccacheEnvironment({ kind: 'redis', endpoint: redis.endpoint }), { RUSTC_WRAPPER: 'sccache' });
        try {
          const before = sccacheStats();
          const bootstrap = build(workspace, architecture);
          expect(architectureOfMachine(elfMachineOf(bootstrap))).toBe('x86_64');
          // it went through the inherited sccache (the library's script in front of it)
          expect(sccacheStats().misses - before.misses).toBeGreaterThanOrEqual(1);
        } finally {
          delete process.env.RUSTC_WRAPPER;
          for (const variable of Object.keys(sccacheEnvironment({ kind: 'redis', endpoint: redis.endpoint }))) delete process.env[variable];
          fs.rmSync(path.join(workspace, 'target'), { recursive: true, force: true });
        }
      });
    }

    test('through the build cache it links; after wiping the target folder the build hits; the bootstrap equals one built without a cache', () => {
      const cache = BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint: redis.endpoint }) });
      const target = path.join(workspace, 'target');
      const cold = build(workspace, architecture, cache);
      const afterCold = sccacheStats();
      fs.rmSync(target, { recursive: true, force: true });
      const warm = build(workspace, architecture, cache);
      const afterWarm = sccacheStats();
      expect(afterWarm.hits - afterCold.hits).toBeGreaterThanOrEqual(1); // the `native` library crate
      fs.rmSync(target, { recursive: true, force: true });
      const uncached = build(workspace, architecture, BuildCache.none());
      expect(warm.equals(cold)).toBe(true);
      expect(uncached.equals(cold)).toBe(true);
    });
  });
