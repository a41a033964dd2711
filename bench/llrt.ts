/**
 * Benchmark: LlrtFunction, in one run on one machine, with no network beyond 127.0.0.1.
 *
 * 1. Bundle size of each sample handler in llrt-handlers/ per LLRT binary type (index.mjs, and gzip -9 as an
 *    estimate of its share of the deployment zip). The AWS SDK packages a binary contains stay out of the bundle.
 * 2. Synth time of a stack with the three samples (arm64, standard binary): cold cache (empty cache folder, no lock
 *    file: the release zip is downloaded from a release server this benchmark starts on 127.0.0.1, verified,
 *    unpacked and cached) against warm cache (binary from the cache, checked against the lock file). Each measured
 *    synth starts like a new `cdk synth` process: fresh cloud assembly folder, in-process memos cleared.
 *
 * The release zip is a stand-in of realistic size (no LLRT binary can be fetched here): a `bootstrap` with an ELF
 * header and --bootstrap-mb megabytes of content that compresses about 2:1, like an executable.
 *
 * Usage: npx ts-node --project test/tsconfig.json bench/llrt.ts [--runs 5 --cold-runs 3 --bootstrap-mb 8 --json out.json]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { LlrtBinary, LlrtBinaryType, LlrtFunction } from '../lib';
import { BinaryStore } from '../lib/llrt/store';
import { bundle, Esbuild } from '../lib/llrt/bundling';
import { startReleaseServer, writeReleases } from '../test/support/llrt';

const HANDLERS = path.join(__dirname, '..', 'llrt-handlers');
const SAMPLES = ['hello', 'http', 'dynamodb'];
const TYPES = [LlrtBinaryType.NO_SDK, LlrtBinaryType.STANDARD, LlrtBinaryType.FULL_SDK];
const TAG = 'v0.8.1-beta';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const RUNS = Number(arg('runs', '5'));
const COLD_RUNS = Number(arg('cold-runs', '3'));
const BOOTSTRAP_MB = Number(arg('bootstrap-mb', '8'));
const JSON_OUT = arg('json', '');

const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-llrt-'));
  const savedCache = process.env.RUSTACEAN_LAMBDA_CACHE;
  const savedBase = process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL;
  delete process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL;
  const results: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${os.arch()}`, runs: RUNS, coldRuns: COLD_RUNS };
  try {
    // 1. Bundle sizes
    log('== bundling the samples for each binary type ==');
    const sizes: Array<{ sample: string; type: string; bytes: number; gzip: number; external: string[] }> = [];
    for (const sample of SAMPLES) {
      for (const type of TYPES) {
        const out = fs.mkdtempSync(path.join(scratch, `${sample}-${type}-`));
        const r = bundle({ entry: path.join(HANDLERS, `${sample}.ts`), exportName: 'handler', binaryType: type, options: {} }, out, TAG, []);
        const gzip = zlib.gzipSync(fs.readFileSync(r.outputFile), { level: 9 }).length;
        sizes.push({ sample, type, bytes: r.bytes, gzip, external: r.externalImports });
      }
    }
    results.bundles = sizes;

    // 2. Synth times against a loopback release server
    const releases = writeReleases(path.join(scratch, 'releases'), TAG, BOOTSTRAP_MB * 1024 * 1024);
    const zipBytes = fs.statSync(path.join(releases, TAG, 'llrt-lambda-arm64.zip')).size;
    log(`== release server on 127.0.0.1 (zip ${mib(zipBytes)}, bootstrap ${BOOTSTRAP_MB} MiB) ==`);
    const server = await startReleaseServer(releases);
    let outCounter = 0;
    const synth = (cacheDir: string, lockFile: string, useLayer: boolean) => {
      process.env.RUSTACEAN_LAMBDA_CACHE = cacheDir;
      BinaryStore.reset();
      Esbuild.reset();
      AssetStaging.clearAssetHashCache();
      const started = process.hrtime.bigint();
      const app = new App({ outdir: path.join(scratch, `out${outCounter++}`) });
      const stack = new Stack(app, 'BenchLlrt');
      for (const sample of SAMPLES) {
        new LlrtFunction(stack, sample, {
          entry: path.join(HANDLERS, `${sample}.ts`),
          llrtBinary: LlrtBinary.fromRelease({ baseUrl: server.baseUrl, lockFile }),
          useLlrtLayer: useLayer,
        });
      }
      app.synth();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      return { ms, fetches: BinaryStore.fetches };
    };
    const times: Record<string, number[]> = { cold: [], warm: [], warmLayer: [] };
    try {
      // Warm-up, not counted: the first synth of a process also pays for loading aws-cdk-lib and esbuild.
      const warmUp = fs.mkdtempSync(path.join(scratch, 'warm-up-'));
      synth(path.join(warmUp, 'cache'), path.join(warmUp, 'llrt.lock.json'), false);
      for (let r = 0; r < COLD_RUNS; r++) {
        const dir = fs.mkdtempSync(path.join(scratch, 'cold-'));
        const { ms, fetches } = synth(path.join(dir, 'cache'), path.join(dir, 'llrt.lock.json'), false);
        if (fetches !== 1) throw new Error(`cold synth made ${fetches} fetches, expected 1`);
        times.cold.push(ms);
      }
      const warmDir = fs.mkdtempSync(path.join(scratch, 'warm-'));
      synth(path.join(warmDir, 'cache'), path.join(warmDir, 'llrt.lock.json'), false); // fills cache and lock
      for (let r = 0; r < RUNS; r++) {
        const { ms, fetches } = synth(path.join(warmDir, 'cache'), path.join(warmDir, 'llrt.lock.json'), false);
        if (fetches !== 0) throw new Error(`warm synth made ${fetches} fetches, expected 0`);
        times.warm.push(ms);
      }
      for (let r = 0; r < RUNS; r++) {
        times.warmLayer.push(synth(path.join(warmDir, 'cache'), path.join(warmDir, 'llrt.lock.json'), true).ms);
      }
    } finally {
      await server.stop();
    }
    for (const [k, v] of Object.entries(times)) log(`  ${k}: ${v.map(x => x.toFixed(0)).join(', ')} ms`);
    results.synthMs = times;

    const lines: string[] = [];
    lines.push('### Bundle size of the LLRT samples (index.mjs, minified ESM)');
    lines.push('');
    lines.push('| sample | NO_SDK | STANDARD | FULL_SDK | left to the runtime (STANDARD) |');
    lines.push('|---|---|---|---|---|');
    for (const sample of SAMPLES) {
      const cell = (type: LlrtBinaryType) => {
        const s = sizes.find(x => x.sample === sample && x.type === type)!;
        return `${kib(s.bytes)} (gzip ${kib(s.gzip)})`;
      };
      const std = sizes.find(x => x.sample === sample && x.type === LlrtBinaryType.STANDARD)!;
      lines.push(`| ${sample} | ${cell(LlrtBinaryType.NO_SDK)} | ${cell(LlrtBinaryType.STANDARD)} | ${cell(LlrtBinaryType.FULL_SDK)} | ${std.external.join(', ') || '-'} |`);
    }
    lines.push('');
    lines.push(`### Synth time, stack with the 3 samples (arm64, STANDARD), release zip ${mib(zipBytes)} from 127.0.0.1`);
    lines.push('');
    lines.push('| cache | what happens | median | runs |');
    lines.push('|---|---|---|---|');
    lines.push(`| cold | download, SHA-256 recorded in the lock, unzip, cache, bundle 3 | ${median(times.cold).toFixed(0)} ms | ${times.cold.length} |`);
    lines.push(`| warm | cache hit checked against the lock, bundle 3 | ${median(times.warm).toFixed(0)} ms | ${times.warm.length} |`);
    lines.push(`| warm, useLlrtLayer | as warm, bootstrap staged once into a shared layer | ${median(times.warmLayer).toFixed(0)} ms | ${times.warmLayer.length} |`);
    lines.push('');
    lines.push(`Cold / warm: ${(median(times.cold) / median(times.warm)).toFixed(2)}x (machine: ${results.machine}; the download is from ` +
      'loopback, so a real network adds its transfer time to the cold row only).');
    console.log(lines.join('\n'));

    if (JSON_OUT) {
      fs.mkdirSync(path.dirname(path.resolve(JSON_OUT)), { recursive: true });
      fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
    }
  } finally {
    if (savedCache === undefined) delete process.env.RUSTACEAN_LAMBDA_CACHE;
    else process.env.RUSTACEAN_LAMBDA_CACHE = savedCache;
    if (savedBase !== undefined) process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL = savedBase;
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
