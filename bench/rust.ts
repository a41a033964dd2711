/**
 * Benchmark: RustFunction against cargo-lambda-cdk's RustFunction, in one run on one machine.
 *
 * 1. Bootstrap size of the sample `hello` handler on arm64 and x86_64: our default preset (and SIZE) against
 *    cargo-lambda-cdk's defaults.
 * 2. Synth time of a stack with 1 and with 8 functions of one workspace, warm cache (each measured synth starts
 *    like a new `cdk synth` process: fresh cloud assembly folder, in-process memo cleared, on-disk caches kept).
 *
 * Usage: npm run bench [-- --runs 5 --arch x86_64 --synth-only --json bench-results/rust.json]
 *   --synth-only  skip the bootstrap sizes (6 builds); synth times only (one build of ours, one of the anchor)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as anchor from 'cargo-lambda-cdk';
import { OptimizationPreset, RustFunction } from '../lib';
import { forgetCargoBuilds, toolchainFor } from '../test/support/rust';

const HANDLERS = path.join(__dirname, '..', 'rust-handlers');
const BINS = ['hello', 'http-api'];

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const RUNS = Number(arg('runs', '5'));
const SYNTH_ARCH = arg('arch', 'x86_64') === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
const JSON_OUT = arg('json', '');
const SYNTH_ONLY = argv.includes('--synth-only');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-'));
let outdirCounter = 0;
const newApp = () => new App({ outdir: path.join(scratch, `out${outdirCounter++}`) });

/**
 * cargo-lambda-cdk runs `cargo lambda build` through the rustup proxy, which needs the target in the selected
 * toolchain. Where the default toolchain lacks it (our build machines), point it at the one that has it; its
 * build flags and defaults stay its own. It gets its own target dir so the two never overwrite each other's
 * binaries.
 */
function anchorBundling(architecture: lambda.Architecture): anchor.BundlingOptions {
  const toolchain = toolchainFor(architecture.name === 'arm64' ? 'arm64' : 'x86_64');
  return {
    architecture,
    cargoLambdaFlags: toolchain ? ['--skip-target-check'] : [],
    environment: {
      CARGO_TARGET_DIR: path.join(HANDLERS, 'target', 'cargo-lambda-cdk'),
      ...(toolchain ? { RUSTUP_TOOLCHAIN: toolchain } : {}),
    },
  };
}

type Kind = 'ours' | 'ours-size' | 'anchor' | 'floor';

/** A prebuilt bootstrap folder for the CDK floor: plain lambda.Function + Code.fromAsset, no build at all. */
let floorAsset = '';

function addFunction(stack: Stack, id: string, kind: Kind, bin: string, architecture: lambda.Architecture): lambda.Function {
  if (kind === 'floor') {
    return new lambda.Function(stack, id, {
      code: lambda.Code.fromAsset(floorAsset),
      handler: 'bootstrap',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture,
    });
  }
  if (kind === 'anchor') {
    return new anchor.RustFunction(stack, id, {
      manifestPath: HANDLERS,
      binaryName: bin,
      architecture,
      bundling: anchorBundling(architecture),
    });
  }
  return new RustFunction(stack, id, {
    manifestPath: HANDLERS,
    binaryName: bin,
    architecture,
    bundling: { optimization: kind === 'ours-size' ? OptimizationPreset.SIZE : undefined },
  });
}

function bootstrapOf(app: App, fn: lambda.Function): string {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const code = Stack.of(fn).resolve(cfn.code) as { s3Key: string };
  return path.join(app.outdir, `asset.${code.s3Key.replace('.zip', '')}`, 'bootstrap');
}

/** Synthesizes a stack of `count` functions; returns wall time in ms. */
function synth(kind: Kind, count: number, architecture: lambda.Architecture): { ms: number; app: App; fns: lambda.Function[] } {
  forgetCargoBuilds(); // like a new process: only on-disk caches remain
  const started = process.hrtime.bigint();
  const app = newApp();
  const stack = new Stack(app, `Bench${count}`);
  const fns: lambda.Function[] = [];
  for (let i = 0; i < count; i++) fns.push(addFunction(stack, `Fn${i}`, kind, BINS[i % BINS.length], architecture));
  app.synth();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, app, fns };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const log = (s: string) => process.stderr.write(`${s}\n`);

function main() {
  const results: Record<string, unknown> = { machine: `${os.cpus().length} cores, ${os.arch()}`, runs: RUNS };

  // 1. Bootstrap sizes
  log('== building hello for arm64 and x86_64 with each configuration (first builds can take minutes) ==');
  const sizes: Array<{ arch: string; ours: number; oursSize: number; anchor: number }> = [];
  for (const architecture of SYNTH_ONLY ? [] : [lambda.Architecture.ARM_64, lambda.Architecture.X86_64]) {
    const size = (kind: Kind) => {
      const { app, fns } = synth(kind, 1, architecture);
      return fs.statSync(bootstrapOf(app, fns[0])).size;
    };
    sizes.push({ arch: architecture.name, ours: size('ours'), oursSize: size('ours-size'), anchor: size('anchor') });
  }
  results.sizes = sizes;
  const prebuilt = synth('ours', 1, SYNTH_ARCH);
  floorAsset = path.dirname(bootstrapOf(prebuilt.app, prebuilt.fns[0]));

  // 2. Synth times, warm cache
  log(`== synth times (${SYNTH_ARCH.name}, warm cache, median of ${RUNS}) ==`);
  const times: Record<string, number> = {};
  for (const kind of ['floor', 'ours', 'anchor'] as Kind[]) {
    for (const count of [1, 8]) {
      synth(kind, count, SYNTH_ARCH); // warm-up: fills caches
      const samples: number[] = [];
      for (let r = 0; r < RUNS; r++) samples.push(synth(kind, count, SYNTH_ARCH).ms);
      times[`${kind}-${count}`] = median(samples);
      log(`  ${kind} x${count}: ${samples.map(s => s.toFixed(0)).join(', ')} ms`);
    }
  }
  results.synthMs = times;

  const lines: string[] = [];
  if (sizes.length > 0) {
    lines.push('### Bootstrap size of `hello`');
    lines.push('');
    lines.push('| arch | rustacean-lambda (BALANCED, default) | rustacean-lambda (SIZE) | cargo-lambda-cdk defaults | default vs anchor |');
    lines.push('|---|---|---|---|---|');
    for (const s of sizes) {
      lines.push(`| ${s.arch} | ${kb(s.ours)} | ${kb(s.oursSize)} | ${kb(s.anchor)} | ${ratio(s.ours, s.anchor)} |`);
    }
    lines.push('');
  }
  lines.push(`### Synth time, ${SYNTH_ARCH.name}, warm cache (median of ${RUNS})`);
  lines.push('');
  lines.push('| functions from one workspace | rustacean-lambda | cargo-lambda-cdk | anchor / ours | CDK floor (prebuilt asset, no build) |');
  lines.push('|---|---|---|---|---|');
  for (const count of [1, 8]) {
    lines.push(`| ${count} | ${times[`ours-${count}`].toFixed(0)} ms | ${times[`anchor-${count}`].toFixed(0)} ms | ` +
      `${ratio(times[`anchor-${count}`], times[`ours-${count}`])} | ${times[`floor-${count}`].toFixed(0)} ms |`);
  }
  lines.push(`| 8 vs 1 | ${ratio(times['ours-8'], times['ours-1'])} | ${ratio(times['anchor-8'], times['anchor-1'])} | | ` +
    `${ratio(times['floor-8'], times['floor-1'])} |`);
  lines.push('');
  const atFloor = times['ours-1'] / times['floor-1'];
  const eightVsOne = times['ours-8'] / times['ours-1'];
  const floorEight = times['floor-8'] / times['floor-1'];
  lines.push('| ratio | rustacean-lambda | cargo-lambda-cdk | goal |');
  lines.push('|---|---|---|---|');
  lines.push(`| 1 function vs the CDK floor | ${ratio(times['ours-1'], times['floor-1'])} | ${ratio(times['anchor-1'], times['floor-1'])} | ` +
    `<= 1.5x: ${atFloor <= 1.5 ? 'met' : 'NOT met'} |`);
  // The issue's "8 functions within 1.2x of one" cannot hold while aws-cdk-lib's own synth of 8 prebuilt functions
  // takes about twice its synth of one; what the library controls is that 8 functions of one workspace cost no more
  // above aws-cdk-lib's own 8 than one does above its one (cargo metadata, rustc -V and the fingerprint read once).
  const eightVsFloor = times['ours-8'] / times['floor-8'];
  lines.push(`| 8 functions vs 1 | ${eightVsOne.toFixed(2)}x | ${ratio(times['anchor-8'], times['anchor-1'])} | ` +
    `<= 1.2x as the issue words it: ${eightVsOne <= 1.2 ? 'met' : 'NOT met'}, and not reachable while aws-cdk-lib's own 8 vs 1 is ${floorEight.toFixed(2)}x |`);
  lines.push(`| 8 functions vs the CDK floor's 8 | ${eightVsFloor.toFixed(2)}x | ${ratio(times['anchor-8'], times['floor-8'])} | ` +
    `<= 1.2x (the goal restated: 8 functions cost what aws-cdk-lib's 8 cost, nothing per function on top): ${eightVsFloor <= 1.2 ? 'met' : 'NOT met'} |`);
  lines.push('');
  const over1 = times['ours-1'] - times['floor-1'];
  const over8 = times['ours-8'] - times['floor-8'];
  lines.push(`Time above the CDK floor (what building Rust adds): ${over1.toFixed(0)} ms for 1 function, ` +
    // A ratio of the two only means something when 1 function costs measurably more than the floor.
    `${over8.toFixed(0)} ms for 8${over1 >= 1 ? ` (${ratio(over8, over1)})` : ' (within the noise of the floor, no ratio)'}; the rest is aws-cdk-lib's own cost per lambda.Function ` +
    `(${ratio(times['floor-8'], times['floor-1'])} from 1 to 8 with a prebuilt asset).`);
  console.log(lines.join('\n'));

  if (JSON_OUT) {
    fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
    fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
  }
}

try {
  main();
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
