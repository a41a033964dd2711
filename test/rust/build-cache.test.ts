/**
 * The build cache against a real shared cache: a redis-server of this test on 127.0.0.1 (a free port, no
 * persistence, killed after) and sccache's own server on a port of its own. A small workspace (a library crate,
 * which sccache caches, and the binary that uses it) is built with an empty target folder (cache cold), then the
 * target folder, and with it the build-once cache, is wiped and it is built again: sccache's own statistics must
 * show hits, and the bootstrap must be byte-identical, also to a build without any cache.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BuildCache, RustFunction, SccacheStorage } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { freePort, run } from '../../lib/core/process';
import { copyFixture, functionAssetDir } from '../support/rust';

jest.setTimeout(20 * 60_000);

interface SccacheJson {
  stats: { cache_hits: { counts: Record<string, number> }; cache_misses: { counts: Record<string, number> } };
  cache_location: string;
}

let redis: ChildProcess;
let redisPort: number;
let sccacheEnv: NodeJS.ProcessEnv;
const scratch: string[] = [];
const savedPort = process.env.SCCACHE_SERVER_PORT;

beforeAll(async () => {
  redisPort = await freePort();
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (run('redis-cli', ['-p', String(redisPort), 'ping']).stdout?.trim() !== 'PONG') {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${redisPort} (is it installed? npm run setup)`);
    await new Promise(r => setTimeout(r, 100));
  }
  // sccache's server of this test only: its statistics are this test's builds, and no other server is touched.
  process.env.SCCACHE_SERVER_PORT = String(await freePort());
  sccacheEnv = { ...process.env };
});

afterAll(() => {
  run('sccache', ['--stop-server'], { env: sccacheEnv });
  redis?.kill();
  if (savedPort === undefined) delete process.env.SCCACHE_SERVER_PORT;
  else process.env.SCCACHE_SERVER_PORT = savedPort;
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  CargoLambdaBuild.reset();
});

/** sccache's own view: `sccache --show-stats --stats-format json` of this test's server. */
function sccacheStats() {
  const result = run('sccache', ['--show-stats', '--stats-format', 'json'], { env: sccacheEnv });
  expect(result.status).toBe(0);
  const json = JSON.parse(result.stdout) as SccacheJson;
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return { hits: sum(json.stats.cache_hits.counts), misses: sum(json.stats.cache_misses.counts), location: json.cache_location };
}

/** Synthesizes one function of the workspace in a fresh app (as a new `cdk synth` would); returns its bootstrap. */
function build(workspace: string, architecture: lambda.Architecture, buildCache?: BuildCache): Buffer {
  CargoLambdaBuild.reset(); // a new process: only what is on disk is left
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cache-build-'));
  scratch.push(outdir);
  const app = new App({ outdir });
  const fn = new RustFunction(new Stack(app, 'Cached'), 'Hello', {
    manifestPath: workspace,
    binaryName: 'hello',
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
    const cache = BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint: `redis://127.0.0.1:${redisPort}` }) });
    const target = path.join(workspace, 'target');
    expect(fs.existsSync(target)).toBe(false);

    const start = sccacheStats();
    const cold = build(workspace, architecture, cache);
    const afterCold = sccacheStats();
    expect(afterCold.location).toContain(`redis://127.0.0.1:${redisPort}`);
    expect(afterCold.misses - start.misses).toBeGreaterThanOrEqual(1); // the library crate was compiled and stored
    expect(afterCold.hits - start.hits).toBe(0);
    expect(Number(run('redis-cli', ['-p', String(redisPort), 'dbsize']).stdout.trim())).toBeGreaterThanOrEqual(1);

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
