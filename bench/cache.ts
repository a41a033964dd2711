/**
 * Benchmark: what a shared compile cache (sccache through Redis) saves on a clean build of the cold-start
 * benchmark's driver, the library's biggest Rust build (the AWS SDK for Rust).
 *
 * Three clean builds in one run, each with an empty target folder (CARGO_TARGET_DIR, the same path each time) in a
 * new synth process:
 *   1. no cache                           (BuildCache off)
 *   2. a cold shared cache                (an empty Redis: every crate is compiled and stored)
 *   3. a warm shared cache                (the same Redis: crates come from it, as on a teammate's or CI's machine)
 * printed side by side, as ratios of the clean build. Goal: warm <= 0.25x.
 *
 * The driver is built exactly as users get it: a `ColdStartBenchmark` of the package's public API, with the cache
 * turned on by the app-wide default `RUSTACEAN_LAMBDA_BUILD_CACHE` (which reaches the benchmark's driver without any
 * prop), so the workspace's path, profile and preset are the construct's own and survive a move of the workspace.
 * redis-server runs on 127.0.0.1 (a free port, stopped after); sccache's server is one of our own.
 *
 * Usage: npm run bench:cache [-- --arch x86_64|arm64 --json bench-results/cache.json]
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ColdStartBenchmark } from '../lib';
import { isolatedSccache, SccacheCounts, startRedis } from '../test/support/build-cache';
import { functionAssetDir } from '../test/support/rust';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const ARCH = arg('arch', 'x86_64');
const JSON_OUT = arg('json', '');
const log = (s: string) => process.stderr.write(`${s}\n`);

/** One synth in this (child) process: a ColdStartBenchmark whose driver is built; prints the synth's wall time. */
function child(): void {
  const started = process.hrtime.bigint();
  const app = new App({ outdir: process.env.BENCH_OUTDIR! });
  const stack = new Stack(app, 'CacheBench');
  // The function the benchmark would measure: any will do, only the driver is built.
  const target = new lambda.Function(stack, 'Measured', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  });
  const bench = new ColdStartBenchmark(stack, 'Bench', {
    functions: [target],
    architecture: ARCH === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
  });
  app.synth();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bootstrap = fs.readFileSync(path.join(functionAssetDir(app.outdir, bench.driver), 'bootstrap'));
  process.stdout.write(JSON.stringify({ seconds, sha256: createHash('sha256').update(bootstrap).digest('hex'), bytes: bootstrap.length }));
}

interface Run {
  readonly name: string;
  readonly seconds: number;
  /** SHA-256 of the driver's bootstrap: the same in all three builds (the cache never changes the output). */
  readonly sha256: string;
  readonly hits: number;
  readonly misses: number;
  readonly notCached: Record<string, number>;
}

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-cache-'));
  const targetDir = path.join(scratch, 'target');
  const redis = await startRedis();
  const sccache = await isolatedSccache();
  const runs: Run[] = [];
  try {
    const build = (name: string, cache: string): Run => {
      fs.rmSync(targetDir, { recursive: true, force: true }); // a clean build: empty target folder, no build-once cache
      const outdir = fs.mkdtempSync(path.join(scratch, 'out-'));
      const before: SccacheCounts = sccache.stats();
      log(`== ${name} ==`);
      // A new process for each build, as a new `cdk synth` (the child's own start-up is not in its time).
      const tsNode = [require.resolve('ts-node/dist/bin'), '--project', path.join(__dirname, '..', 'test', 'tsconfig.json')];
      const result = spawnSync(process.execPath, [...tsNode, __filename, '--child', '--arch', ARCH], {
        env: {
          ...sccache.env,
          TS_NODE_TRANSPILE_ONLY: 'true',
          CARGO_TARGET_DIR: targetDir,
          BENCH_OUTDIR: outdir,
          // The app-wide default through the environment, read by every build of the library.
          RUSTACEAN_LAMBDA_BUILD_CACHE: cache,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf-8',
      });
      if (result.status !== 0) throw new Error(`the ${name} build failed (exit code ${result.status})`);
      const after = sccache.stats();
      const notCached: Record<string, number> = {};
      for (const [reason, count] of Object.entries(after.notCached)) notCached[reason] = count - (before.notCached[reason] ?? 0);
      const out = JSON.parse(result.stdout) as { seconds: number; sha256: string };
      const run: Run = {
        name,
        seconds: out.seconds,
        sha256: out.sha256,
        hits: after.hits - before.hits,
        misses: after.misses - before.misses,
        notCached,
      };
      log(`   ${run.seconds.toFixed(1)} s, sccache ${run.hits} hits, ${run.misses} misses`);
      runs.push(run);
      return run;
    };

    const clean = build('clean build, no cache', 'off');
    redis.flush();
    const cold = build('clean build, cold shared cache (empty Redis)', redis.endpoint);
    const stored = redis.dbsize();
    const warm = build('clean build, warm shared cache (the same Redis)', redis.endpoint);

    const lines = [
      `### Clean build of the cold-start driver (${ARCH}, the AWS SDK for Rust), ${os.cpus().length} cores, load ${os.loadavg().map(l => l.toFixed(1)).join(' ')}`,
      '',
      '| build | time | vs no cache | sccache hits | misses |',
      '|---|---|---|---|---|',
      ...[clean, cold, warm].map(r => `| ${r.name} | ${r.seconds.toFixed(1)} s | ${(r.seconds / clean.seconds).toFixed(2)}x | ${r.hits} | ${r.misses} |`),
      '',
      `Redis held ${stored} entries after the cold build. Not cacheable (each build): ` +
        `${Object.entries(warm.notCached).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'} ` +
        '(binaries, build scripts and proc-macros are linked by rustc and never cached; C code compiled through zig is not cached either).',
      `The driver's bootstrap is byte-identical in the three builds: ${new Set([clean, cold, warm].map(r => r.sha256)).size === 1 ? 'yes' : 'NO'} ` +
        `(sha256 ${clean.sha256.slice(0, 16)}...).`,
      `Goal: warm shared cache <= 0.25x of the clean build: ${(warm.seconds / clean.seconds).toFixed(2)}x, ` +
        `${warm.seconds / clean.seconds <= 0.25 ? 'met' : 'NOT met'}.`,
    ];
    console.log(lines.join('\n'));
    if (JSON_OUT) {
      fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
      fs.writeFileSync(JSON_OUT, JSON.stringify({ arch: ARCH, runs, load: os.loadavg() }, null, 2));
    }
  } finally {
    sccache.stop();
    redis.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (argv.includes('--child')) {
  child();
} else {
  main().catch(e => {
    console.error(e);
    process.exitCode = 1;
  });
}
