/**
 * Benchmark: LlrtFunction, in one run on one machine.
 *
 * 0. LLRT built from crates.io (LlrtBinary.fromSource, x86_64): the bootstrap's size with the default preset
 *    against cargo's own release profile (OptimizationPreset.NONE), both zipped; the time of the build that filled
 *    the cache (recorded by the build; `--rebuild` builds the default preset again in a scratch cache and times it);
 *    the synth time of a stack of the three samples with a warm cache; and the local Init p50, Max Memory Used and
 *    cost per million cold starts of LLRT hello against Node.js hello, measured in this run through the local host.
 *    Needs Rust, cargo-lambda and zig (npm run setup); the builds are kept in .rustacean-lambda/cache.
 * 0b. Realistic bundles, JS vs bytecode vs Node.js 24 (same run, LLRT from crates.io, x86_64, 128 MB, through the
 *    local host): llrt-handlers/sdk-client.ts (the DynamoDB client of the AWS SDK v3, bundled) and
 *    llrt-handlers/validate.ts (zod), each as an LlrtFunction deploying JavaScript (bundling.bytecode false), as one
 *    deploying bytecode (the default), and as a Node.js 24 function running the same code bundled by esbuild for
 *    Node (SDK bundled too): Init p50/p90, package size, and the ratios (goals: bytecode Init <= 0.6x of JS on the
 *    SDK bundle; LLRT >= 5x below Node.js 24 on it). `--bytecode-only` runs this section alone.
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
 *        [--cold-starts 10] [--rebuild] [--skip-source] [--bytecode-only]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as esbuild from 'esbuild';
import { LlrtBinary, LlrtBinaryType, LlrtFunction, LlrtVersion, OptimizationPreset } from '../lib';
import { coldStartTable } from './coldstart';
import { benchAssembly, BenchRow } from '../lib/local';
import { LLRT_CACHE } from './coldstart/app';
import { bundleHandler, forgetLlrtState, llrtDownloads, startReleaseServer, writeReleases } from '../test/support/llrt';
import { buildLlrtFromCrates } from '../test/support/llrt-source';
import { cargoLambdaRuns, forgetCargoBuilds, recordedBuildSeconds } from '../test/support/rust';

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
const COLD_STARTS = Number(arg('cold-starts', '10'));
const REBUILD = argv.includes('--rebuild');
const SKIP_SOURCE = argv.includes('--skip-source');
const BYTECODE_ONLY = argv.includes('--bytecode-only');
const CRATE_VERSION = LlrtVersion.DEFAULT.version.replace(/^v/, '');

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
    if (!SKIP_SOURCE && !BYTECODE_ONLY) {
      const source = await fromSourceSection(scratch);
      results.fromSource = source.results;
      console.log(source.markdown);
      console.log('');
    }
    if (!SKIP_SOURCE) {
      const realistic = await realisticBundlesSection(scratch);
      results.realistic = realistic.results;
      console.log(realistic.markdown);
      console.log('');
      if (BYTECODE_ONLY) {
        if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
        return;
      }
    }

    // 1. Bundle sizes
    log('== bundling the samples for each binary type ==');
    const sizes: Array<{ sample: string; type: string; bytes: number; gzip: number; external: string[] }> = [];
    for (const sample of SAMPLES) {
      for (const type of TYPES) {
        const out = fs.mkdtempSync(path.join(scratch, `${sample}-${type}-`));
        const r = bundleHandler(path.join(HANDLERS, `${sample}.ts`), type, out, TAG);
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
      forgetLlrtState();
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
      return { ms, fetches: llrtDownloads() };
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

function timed<T>(f: () => T): { value: T; seconds: number } {
  const started = process.hrtime.bigint();
  const value = f();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

const zipped = (file: string) => zlib.deflateRawSync(fs.readFileSync(file), { level: 9 }).length;
const minutes = (seconds: number | undefined) => seconds === undefined ? 'not recorded' : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;

async function fromSourceSection(scratch: string): Promise<{ results: Record<string, unknown>; markdown: string }> {
  const build = (optimization: OptimizationPreset, cacheRoot = LLRT_CACHE): string => buildLlrtFromCrates(optimization, 'x86_64', cacheRoot);
  log('== LLRT from crates.io: default preset and cargo\'s release profile, x86_64 (first builds take minutes) ==');
  const preset = timed(() => build(OptimizationPreset.BALANCED));
  const plain = timed(() => build(OptimizationPreset.NONE));
  let rebuildSeconds: number | undefined;
  if (REBUILD) {
    // A fresh cache: the crate is downloaded again and every dependency compiled, as on a clean machine.
    const fresh = path.join(scratch, 'fresh-cache');
    forgetCargoBuilds();
    rebuildSeconds = timed(() => build(OptimizationPreset.BALANCED, fresh)).seconds;
  }
  const rows = [
    { name: 'default preset (BALANCED: opt-level s, fat LTO, 1 codegen unit, panic abort, stripped)', file: preset.value, seconds: recordedBuildSeconds(preset.value) },
    { name: 'cargo\'s release profile (OptimizationPreset.NONE: opt-level 3, no LTO, 16 codegen units, unwinding)', file: plain.value, seconds: recordedBuildSeconds(plain.value) },
  ].map(r => ({ ...r, bytes: fs.statSync(r.file).size, zip: zipped(r.file) }));
  const ratio = rows[0].zip / rows[1].zip;

  // Warm synth: a stack of the three samples on the default-preset build, every in-process memo cleared.
  const synthMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    forgetCargoBuilds();
    forgetLlrtState();
    AssetStaging.clearAssetHashCache();
    const started = process.hrtime.bigint();
    const app = new App({ outdir: path.join(scratch, `source-out${r}`) });
    const stack = new Stack(app, 'BenchLlrtSource');
    for (const sample of SAMPLES) {
      new LlrtFunction(stack, sample, {
        entry: path.join(HANDLERS, `${sample}.ts`),
        architecture: lambda.Architecture.X86_64,
        llrtBinary: LlrtBinary.fromSource({ cacheDirectory: LLRT_CACHE }),
      });
    }
    app.synth();
    synthMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (cargoLambdaRuns() !== 0) throw new Error(`warm synth ran cargo-lambda ${cargoLambdaRuns()} times, expected 0`);
  }

  // Local Init: LLRT hello (default preset, the bench's llrt-hello row) and Node.js hello in the same run.
  log(`== local cold starts: LLRT hello vs Node.js hello, ${COLD_STARTS} each ==`);
  const local = await coldStartTable({ cold: COLD_STARTS, warm: 20, out: path.join(scratch, 'coldstart'), only: ['llrt-hello', 'nodejs-hello'], docs: false }, log);
  const llrt = local.rows.find(r => r.id === 'llrt-hello');
  const node = local.rows.find(r => r.id === 'nodejs-hello');
  for (const row of [llrt, node]) {
    if (!row?.init) throw new Error(`the ${row?.label ?? 'missing'} row did not run: ${row?.error ?? row?.skipped ?? 'no figures'}`);
  }
  const initRatio = node!.init!.p50 / llrt!.init!.p50;
  const costRatio = node!.costPerMillion!.cold / llrt!.costPerMillion!.cold;

  const mib1 = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const lines: string[] = [];
  lines.push(`### LLRT ${CRATE_VERSION} built from crates.io (x86_64, glibc 2.34, no-sdk)`);
  lines.push('');
  lines.push('| build | bootstrap | zipped (deflate -9) | zipped vs cargo\'s release | build time (filled the cache) |');
  lines.push('|---|---|---|---|---|');
  for (const r of rows) {
    lines.push(`| ${r.name} | ${mib1(r.bytes)} | ${mib1(r.zip)} | ${(r.zip / rows[1].zip).toFixed(2)}x | ${minutes(r.seconds)} |`);
  }
  lines.push('');
  lines.push(`Goal, zipped default preset at most half of cargo's release profile: ${ratio <= 0.5 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x).`);
  if (rebuildSeconds !== undefined) lines.push(`Clean rebuild of the default preset (--rebuild, fresh cache, this run): ${minutes(rebuildSeconds)}.`);
  lines.push(`In this run: finding both builds in the cache took ${(preset.seconds + plain.seconds).toFixed(2)} s; synth of a stack of the ` +
    `3 samples with the warm cache: median ${median(synthMs).toFixed(0)} ms over ${synthMs.length} runs (cargo-lambda not run).`);
  lines.push('');
  lines.push(`### Local cold starts, same run (${COLD_STARTS} each, x86_64, 128 MB, through the local host)`);
  lines.push('');
  lines.push('| function | Init p50 | Init p90 | Max Memory Used | package (zip) | cost per 1M cold starts | lambda-perf Init (x86_64) |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of [llrt!, node!]) {
    lines.push(`| ${r.label} | ${r.init!.p50.toFixed(1)} ms | ${r.init!.p90.toFixed(1)} ms | ${r.maxMemoryMb} MB | ${mib1(r.packageBytes!.zip)} | ` +
      `${r.costPerMillion!.cold.toFixed(3)} USD | ${r.reference ? `${r.reference.initMs} ms` : '-'} |`);
  }
  lines.push('');
  lines.push(`Node.js / LLRT Init p50: ${initRatio.toFixed(1)}x (goal: at least 10x, LLRT's claim "up to 10x faster start": ` +
    `${initRatio >= 10 ? 'met' : 'NOT met'}); cost per cold start: ${costRatio.toFixed(2)}x (LLRT's claim "up to 2x cheaper").`);
  return {
    results: {
      builds: rows.map(r => ({ name: r.name, bytes: r.bytes, zipBytes: r.zip, buildSeconds: r.seconds })),
      zipRatio: ratio,
      rebuildSeconds,
      warmSynthMs: synthMs,
      local: { llrt, node, initRatio, costRatio, machine: local.machine },
    },
    markdown: lines.join('\n'),
  };
}

/** The realistic bundles of section 0b: JS vs bytecode on LLRT, and Node.js 24 running the same code. */
async function realisticBundlesSection(scratch: string): Promise<{ results: Record<string, unknown>; markdown: string }> {
  const bundles = [
    { id: 'sdk', label: 'DynamoDB client (AWS SDK v3)', entry: path.join(HANDLERS, 'sdk-client.ts'), event: { id: 'home' } },
    {
      id: 'zod',
      label: 'zod schema',
      entry: path.join(HANDLERS, 'validate.ts'),
      event: { id: 'o-1', email: 'ferris@example.com', items: [{ sku: 'crab', quantity: 2 }] },
    },
  ];
  const variants = ['js', 'bytecode', 'node'] as const;
  const outdir = path.join(scratch, 'realistic-out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'BenchLlrtBytecode');
  const describe = new Map<string, { id: string; label: string; event: unknown }>();
  const synthStarted = process.hrtime.bigint();
  for (const b of bundles) {
    for (const bytecode of [false, true]) {
      const id = `${b.id}-${bytecode ? 'bytecode' : 'js'}`;
      new LlrtFunction(stack, id, {
        entry: b.entry,
        architecture: lambda.Architecture.X86_64,
        llrtBinary: LlrtBinary.fromSource({ cacheDirectory: LLRT_CACHE }),
        bundling: { bytecode },
      });
      describe.set(`BenchLlrtBytecode/${id}`, { id, label: `LLRT ${bytecode ? 'bytecode' : 'JS'}, ${b.label}`, event: b.event });
    }
    // Node.js 24 runs the same code, bundled by esbuild for Node (the SDK bundled too, as on LLRT).
    const nodeDir = fs.mkdtempSync(path.join(scratch, `node-${b.id}-`));
    esbuild.buildSync({
      entryPoints: [b.entry],
      outfile: path.join(nodeDir, 'index.js'),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node24',
      minify: true,
      logLevel: 'silent',
    });
    new lambda.Function(stack, `${b.id}-node`, {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      memorySize: 128,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(nodeDir),
    });
    describe.set(`BenchLlrtBytecode/${b.id}-node`, { id: `${b.id}-node`, label: `Node.js 24, ${b.label}`, event: b.event });
  }
  app.synth();
  const synthSeconds = Number(process.hrtime.bigint() - synthStarted) / 1e9;
  log(`== realistic bundles: JS vs bytecode vs Node.js 24, ${COLD_STARTS} cold starts each (synth ${synthSeconds.toFixed(1)} s) ==`);
  const measured = await benchAssembly({
    assembly: outdir,
    functions: [...describe.keys()],
    cold: COLD_STARTS,
    warm: 5,
    log,
    describe: fn => describe.get(fn.constructPath),
  });
  const row = (id: string): BenchRow => {
    const r = measured.rows.find(x => x.id === id);
    if (!r?.init) throw new Error(`the ${id} row did not run: ${r?.error ?? r?.skipped ?? 'no figures'}`);
    return r;
  };
  const lines: string[] = [];
  lines.push(`### Realistic bundles: JavaScript vs bytecode on LLRT ${CRATE_VERSION} (from crates.io) vs Node.js 24`);
  lines.push('');
  lines.push(`Same run, ${COLD_STARTS} cold starts each, x86_64, 128 MB, through the local host (${measured.machine.cpus} cores).`);
  lines.push('');
  lines.push('| bundle | runtime | Init p50 | Init p90 | package (zip) | unzipped | vs LLRT JS Init p50 |');
  lines.push('|---|---|---|---|---|---|---|');
  const ratios: Record<string, { bytecodeVsJs: number; nodeVsBytecode: number; nodeVsJs: number }> = {};
  for (const b of bundles) {
    const [js, bc, node] = variants.map(v => row(`${b.id}-${v}`));
    for (const [name, r] of [['LLRT, JavaScript (index.mjs)', js], ['LLRT, bytecode (index.lrt)', bc], ['Node.js 24', node]] as const) {
      lines.push(`| ${b.label} | ${name} | ${r.init!.p50.toFixed(1)} ms | ${r.init!.p90.toFixed(1)} ms | ` +
        `${mib(r.packageBytes!.zip)} | ${mib(r.packageBytes!.unzipped)} | ${(r.init!.p50 / js.init!.p50).toFixed(2)}x |`);
    }
    ratios[b.id] = {
      bytecodeVsJs: bc.init!.p50 / js.init!.p50,
      nodeVsBytecode: node.init!.p50 / bc.init!.p50,
      nodeVsJs: node.init!.p50 / js.init!.p50,
    };
  }
  const sdk = ratios.sdk;
  lines.push('');
  lines.push(`SDK bundle: bytecode / JS Init p50 = ${sdk.bytecodeVsJs.toFixed(2)}x (goal <= 0.6x: ${sdk.bytecodeVsJs <= 0.6 ? 'met' : 'NOT met'}); ` +
    `Node.js 24 / LLRT bytecode = ${sdk.nodeVsBytecode.toFixed(1)}x, Node.js 24 / LLRT JS = ${sdk.nodeVsJs.toFixed(1)}x ` +
    `(goal >= 5x: ${sdk.nodeVsBytecode >= 5 ? 'met' : 'NOT met'}). zod bundle: bytecode / JS = ${ratios.zod.bytecodeVsJs.toFixed(2)}x, ` +
    `Node.js 24 / LLRT bytecode = ${ratios.zod.nodeVsBytecode.toFixed(1)}x.`);
  return {
    results: { rows: variants.flatMap(v => bundles.map(b => row(`${b.id}-${v}`))), ratios, synthSeconds, machine: measured.machine },
    markdown: lines.join('\n'),
  };
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
