/**
 * Local cold-start benchmark: the sample functions of this repository, synthesized into a
 * small CDK app (all x86_64, 128 MB, so times are native on an x86_64 machine) and run
 * through the local host. For each: N cold starts (a fresh execution environment each) and
 * M warm invokes of one environment; Init p50/p90/p99, warm p50/p99, Max Memory Used,
 * package size and the estimated bill per million invocations; lambda-perf's published
 * figures beside ours. Writes Markdown, JSON and an SVG chart.
 *
 * A row is skipped only for a documented, expected reason; none is expected today: LLRT runs on
 * LLRT_BINARY_PATH when it names a release binary, else on LLRT built from crates.io with the
 * default preset (cached in .rustacean-lambda/cache). A row that cannot be built or fails is an
 * error, and the command exits 1.
 *
 * Runs from a clone of the repository (it needs rust-handlers/ and samples/).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AssemblyFunction, readAssembly } from './assembly';
import type { CliIo } from './cli';
import { ensureInstalled, localHome } from './clients';
import { sampleEvent } from './events';
import { LocalLambda } from './host';
import { billedDurationMs, costPerMillion, MEMORY_NOT_MEASURED, percentile } from './measure';
import { findPython, pipInstallInto as pipInstall } from '../core/python';
import { LlrtBinary, LlrtFunction } from '../llrt';
import { buildLlrt } from '../llrt/source';
import { LlrtVersion } from '../llrt/types';
import { RustFunction } from '../rust';
import { OptimizationPreset } from '../rust/types';
import { PythonBundling, WebAdapterFunction, WebAdapterLayer } from '../web-adapter';
import { compileBytecode, LocalPython } from '../web-adapter/bytecode';

const REPO = path.resolve(__dirname, '..', '..');
const RUST_HANDLERS = path.join(REPO, 'rust-handlers');
const COLDSTART_SAMPLES = path.join(REPO, 'samples', 'coldstart');
const FLASK_APP = path.join(REPO, 'samples', 'web-adapter', 'flask');
const WSGI_ADAPTER = path.join(REPO, 'bench', 'coldstart', 'flask-wsgi');
const LLRT_HELLO = path.join(REPO, 'llrt-handlers', 'hello.ts');
/** Where LLRT's source and builds are kept (shared with the tests and `npm run bench:llrt`). */
export const LLRT_CACHE = path.join(REPO, '.rustacean-lambda', 'cache');
const STACK = 'ColdStartLocal';

/** lambda-perf, 7-day means, Aug 2026, zip, 128 MB, x86_64 (from the product brief). */
export const LAMBDA_PERF_X86_64: Record<string, { initMs: number; memoryMb: number; warmMs?: number }> = {
  'rust': { initMs: 16, memoryMb: 15, warmMs: 1.5 },
  'llrt': { initMs: 68, memoryMb: 30, warmMs: 1.5 },
  'python3.12': { initMs: 86, memoryMb: 36 },
  // lambda-perf's newest Node.js figure in our data is Node.js 20's; the table labels it as such.
  'node20': { initMs: 142, memoryMb: 67, warmMs: 12 },
};
export const LAMBDA_PERF_SOURCE = 'maxday/lambda-perf, 7-day means (Aug 2026), zip, 128 MB, x86_64 (its Node.js figure is Node.js 20\'s, the newest in our data)';

/** One function of the benchmark. */
interface RowDefinition {
  readonly id: string;
  readonly label: string;
  /** Key into {@link LAMBDA_PERF_X86_64}. */
  readonly reference?: string;
  readonly event: unknown;
  /** Adds the function to the stack; returns a reason instead when it cannot be built here. */
  readonly add: (stack: Stack, id: string) => lambda.Function | string;
  /** A Python row: built for, and run by, the local interpreter. */
  readonly python?: boolean;
}

/** Measured figures of one row (times in ms, memory in MB, sizes in bytes, cost in USD). */
export interface BenchRow {
  readonly id: string;
  readonly label: string;
  readonly runtime?: string;
  readonly architecture?: string;
  readonly memorySizeMb?: number;
  readonly skipped?: string;
  readonly notes?: string[];
  /** Python rows: the interpreter that built the asset (pip, bytecode) and runs it here. */
  readonly python?: { readonly version: string; readonly executable: string; readonly pycFiles: number };
  readonly init?: { readonly p50: number; readonly p90: number; readonly p99: number; readonly samples: number[] };
  readonly coldDuration?: { readonly p50: number };
  readonly warm?: { readonly p50: number; readonly p99: number; readonly roundTripP50: number; readonly samples: number };
  readonly maxMemoryMb?: number;
  readonly packageBytes?: { readonly zip: number; readonly unzipped: number };
  readonly costPerMillion?: { readonly cold: number; readonly warm: number };
  readonly reference?: { readonly initMs: number; readonly memoryMb: number; readonly warmMs?: number };
  readonly error?: string;
}

/** The whole result document (bench-results/coldstart.json). */
export interface BenchResults {
  readonly generatedAt: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly arch: string;
    readonly loadAverage: number[];
    readonly node: string;
    readonly python?: string;
  };
  readonly settings: { readonly cold: number; readonly warm: number };
  readonly rows: BenchRow[];
  readonly hostOverhead?: { readonly durationP50: number; readonly roundTripP50: number; readonly roundTripP99: number; readonly samples: number };
  readonly goals?: Array<{ readonly goal: string; readonly met: boolean; readonly detail: string }>;
  readonly referenceSource: string;
  readonly formulas: Record<string, string>;
}

const HELLO_EVENT = { name: 'Ferris' };

function flaskEvent(): unknown {
  const event = sampleEvent('apigw-v2') as { rawPath: string; requestContext: { http: { path: string } } };
  event.rawPath = '/hello/Ferris';
  event.requestContext.http.path = '/hello/Ferris';
  return event;
}

/**
 * The Python every Python row is built for and runs on here: the local host's interpreter. Each row's runtime is
 * `python<its version>` and its asset holds bytecode compiled by it (unchecked-hash, as WebAdapterFunction ships
 * it), so the rows compare like with like: no row compiles its imports from source at each cold start.
 */
function localPython(): LocalPython {
  const python = findPython();
  return { command: python.executable, prefixArgs: [], version: python.version, source: 'the local host\'s Python' };
}

function localPythonRuntime(): lambda.Runtime {
  const name = `python${localPython().version}`;
  return lambda.Runtime.ALL.find(r => r.name === name) ?? new lambda.Runtime(name, lambda.RuntimeFamily.PYTHON);
}

/** Temporary asset folders of this run, removed at its end. */
const temporaryAssets: string[] = [];

/** A copy of `dir` (plus extra files) with bytecode for the local Python, in a temporary folder. */
function compiledCopy(dir: string, prefix: string, extra: Record<string, string> = {}): string {
  const asset = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryAssets.push(asset);
  fs.cpSync(dir, asset, { recursive: true, filter: src => !['__pycache__', '.complete'].includes(path.basename(src)) && !src.endsWith('.pyc') });
  for (const [name, from] of Object.entries(extra)) fs.copyFileSync(from, path.join(asset, name));
  const { failed } = compileBytecode(localPython(), asset);
  if (failed.length > 0) process.stderr.write(`${failed.length} files of ${dir} did not compile to bytecode\n`);
  return asset;
}

function rowDefinitions(): RowDefinition[] {
  const x86 = lambda.Architecture.X86_64;
  return [
    {
      id: 'rust-hello',
      label: 'Rust hello',
      reference: 'rust',
      event: HELLO_EVENT,
      add: (stack, id) => new RustFunction(stack, id, { manifestPath: RUST_HANDLERS, binaryName: 'hello', architecture: x86, memorySize: 128 }),
    },
    {
      // The newest Node.js Lambda supports; the local host runs it on Node.js 24 (scripts/setup.sh installs one).
      id: 'nodejs-hello',
      label: 'Node.js 24 hello',
      reference: 'node20',
      event: HELLO_EVENT,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: x86,
        memorySize: 128,
        handler: 'index.handler',
        code: lambda.Code.fromAsset(path.join(COLDSTART_SAMPLES, 'node')),
      }),
    },
    {
      id: 'python-hello',
      label: `Python ${localPython().version} hello`,
      reference: 'python3.12',
      event: HELLO_EVENT,
      python: true,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: localPythonRuntime(),
        architecture: x86,
        memorySize: 128,
        handler: 'hello.handler',
        code: lambda.Code.fromAsset(compiledCopy(path.join(COLDSTART_SAMPLES, 'python'), 'rustacean-lambda-hello-')),
      }),
    },
    {
      id: 'llrt-hello',
      label: 'LLRT hello',
      reference: 'llrt',
      event: HELLO_EVENT,
      add: (stack, id) => {
        const file = process.env.LLRT_BINARY_PATH;
        if (!file) {
          // Built here, before the synth, so a failed build fails this row alone.
          buildLlrt({ crateVersion: LlrtVersion.DEFAULT.version.replace(/^v/, ''), optimization: OptimizationPreset.BALANCED, cacheRoot: LLRT_CACHE }, 'x86_64');
        }
        const llrtBinary = file ? LlrtBinary.fromFile(file) : LlrtBinary.fromSource({ cacheDirectory: LLRT_CACHE });
        return new LlrtFunction(stack, id, { entry: LLRT_HELLO, architecture: x86, memorySize: 128, llrtBinary });
      },
    },
    {
      id: 'flask-web-adapter',
      label: `Flask via Web Adapter, Python ${localPython().version}`,
      event: flaskEvent(),
      python: true,
      add: (stack, id) => webAdapterFlask(stack, id),
    },
    {
      id: 'flask-wsgi',
      label: `Flask via apig-wsgi, Python ${localPython().version}`,
      event: flaskEvent(),
      python: true,
      add: (stack, id) => new lambda.Function(stack, id, {
        runtime: localPythonRuntime(),
        architecture: x86,
        memorySize: 128,
        handler: 'wsgi_handler.handler',
        code: lambda.Code.fromAsset(wsgiAsset()),
      }),
    },
  ];
}

/**
 * The Web Adapter row: the Flask sample with the adapter layer built from crates.io for x86_64 (no other
 * account's layer, nothing to download but crates). A layer or app that cannot be built fails the row.
 */
function webAdapterFlask(stack: Stack, id: string): lambda.Function {
  // pip for the local Python's version, and its bytecode (WebAdapterFunction's default), as for the other rows.
  return new WebAdapterFunction(stack, id, {
    appPath: FLASK_APP,
    runtime: localPythonRuntime(),
    architecture: lambda.Architecture.X86_64,
    memorySize: 128,
    layer: WebAdapterLayer.fromSource(),
    pythonBundling: PythonBundling.LOCAL,
  });
}

/**
 * The Flask sample plus apig-wsgi, installed for the local Python (cached under .rustacean-lambda/bench), with
 * bytecode compiled for it (pip's own, timestamp-based, would not match the copied files' times).
 */
function wsgiAsset(): string {
  const python = findPython();
  const requirements = fs.readFileSync(path.join(WSGI_ADAPTER, 'requirements.txt'), 'utf8').split('\n').map(l => l.trim()).filter(Boolean);
  const key = requirements.join(',').replace(/[^A-Za-z0-9.,=-]/g, '');
  const deps = ensureInstalled(path.join(localHome(), 'bench', `flask-wsgi-python${python.version}-${key}`), 'Flask + apig-wsgi',
    line => process.stderr.write(`${line}\n`), staging => pipInstall(staging, requirements));
  return compiledCopy(deps, 'rustacean-lambda-wsgi-', {
    'app.py': path.join(FLASK_APP, 'app.py'),
    'wsgi_handler.py': path.join(WSGI_ADAPTER, 'wsgi_handler.py'),
  });
}

/** How many `.pyc` files for `version` a folder holds. */
function countPyc(dir: string, version: string): number {
  const tag = `.cpython-${version.replace('.', '')}.pyc`;
  let count = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += countPyc(path.join(dir, entry.name), version);
    else if (entry.name.endsWith(tag)) count++;
  }
  return count;
}

/** Sizes of a function's package: its code asset plus its layers, unzipped and as a zip (deflate, computed). */
export function packageSize(paths: string[]): { zip: number; unzipped: number } {
  let zip = 22; // end of central directory
  let unzipped = 0;
  const visit = (file: string, name: string) => {
    const stat = fs.lstatSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry), `${name}${entry}${fs.lstatSync(path.join(file, entry)).isDirectory() ? '/' : ''}`);
      return;
    }
    const data = stat.isSymbolicLink() ? Buffer.from(fs.readlinkSync(file)) : fs.readFileSync(file);
    unzipped += data.length;
    // Local header (30) + central directory entry (46) + the name twice + the smaller of stored and deflated.
    zip += 76 + 2 * Buffer.byteLength(name) + Math.min(data.length, zlib.deflateRawSync(data).length);
  };
  for (const p of paths) {
    if (fs.statSync(p).isDirectory()) {
      visit(p, '');
    } else {
      const bytes = fs.statSync(p).size;
      zip += bytes;
      unzipped += bytes;
    }
  }
  return { zip, unzipped };
}

export interface BenchOptions {
  readonly cold: number;
  readonly warm: number;
  readonly out: string;
  readonly only?: string[];
  readonly docs: boolean;
}

const BENCH_USAGE = `usage: rustacean-lambda bench [--quick] [--cold N] [--warm M] [--only id,id] [--out dir] [--docs]

  --quick        3 cold starts and 10 warm invokes per function (the README's main job)
  --cold N       cold starts per function (default 20)
  --warm M       warm invokes per function (default 100)
  --only ids     only these rows: rust-hello, nodejs-hello, python-hello, llrt-hello, flask-web-adapter, flask-wsgi
  --out dir      where coldstart.{md,json,svg} go (default bench-results)
  --docs         also copy the chart to docs/coldstart.svg
`;

function parseBenchArgs(argv: string[]): BenchOptions | undefined {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  const known = new Set(['--quick', '--docs', '--cold', '--warm', '--out', '--only']);
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i])) throw new Error(`bench: unknown option '${argv[i]}'\n\n${BENCH_USAGE}`);
    if (['--cold', '--warm', '--out', '--only'].includes(argv[i])) {
      if (argv[i + 1] === undefined) throw new Error(`bench: ${argv[i]} needs a value`);
      i++;
    }
  }
  const quick = argv.includes('--quick');
  const count = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got '${raw}'`);
    return n;
  };
  return {
    cold: count('cold', quick ? 3 : 20),
    warm: count('warm', quick ? 10 : 100),
    out: value('out') ?? 'bench-results',
    only: value('only')?.split(',').map(s => s.trim()).filter(Boolean),
    docs: argv.includes('--docs'),
  };
}

/** The `bench` verb. */
export async function runBench(argv: string[], io: CliIo): Promise<number> {
  const options = parseBenchArgs(argv);
  if (!options) {
    io.stdout(BENCH_USAGE);
    return 0;
  }
  if (!fs.existsSync(path.join(RUST_HANDLERS, 'Cargo.toml')) || !fs.existsSync(COLDSTART_SAMPLES)) {
    throw new Error(`the benchmark runs from a clone of the repository (it needs ${RUST_HANDLERS} and ${COLDSTART_SAMPLES})`);
  }
  const log = (line: string) => io.stderr(`${line}\n`);
  const results = await benchmark(options, log);
  fs.mkdirSync(options.out, { recursive: true });
  const markdown = renderMarkdown(results);
  fs.writeFileSync(path.join(options.out, 'coldstart.json'), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(options.out, 'coldstart.md'), markdown);
  const svg = renderSvg(results);
  fs.writeFileSync(path.join(options.out, 'coldstart.svg'), svg);
  if (options.docs) {
    fs.mkdirSync(path.join(REPO, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(REPO, 'docs', 'coldstart.svg'), svg);
  }
  io.stdout(markdown);
  log(`wrote ${['json', 'md', 'svg'].map(ext => path.join(options.out, `coldstart.${ext}`)).join(', ')}` +
    `${options.docs ? ' and docs/coldstart.svg' : ''}`);
  return results.rows.some(r => r.error) ? 1 : 0;
}

/** Synthesizes the benchmark app, runs every row and computes the figures. */
export async function benchmark(options: BenchOptions, log: (line: string) => void): Promise<BenchResults> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustacean-lambda-bench-'));
  const definitions = rowDefinitions().filter(d => !options.only || options.only.includes(d.id));
  const skipped = new Map<string, string>();
  const failed = new Map<string, string>();
  try {
    log(`synthesizing the benchmark app (${definitions.map(d => d.id).join(', ')}); first builds can take minutes`);
    const app = new App({ outdir });
    const stack = new Stack(app, STACK);
    for (const definition of definitions) {
      // A definition returns a reason only for a documented, expected skip (a binary that cannot exist here);
      // anything that throws is a failure of a row that should run: reported as an error, and the exit code is 1.
      let added: lambda.Function | string;
      try {
        added = definition.add(stack, definition.id);
      } catch (err) {
        failed.set(definition.id, `cannot be built: ${(err as Error).message.split('\n')[0]}`);
        log(`[${definition.id}] failed to build: ${(err as Error).message}`);
        continue;
      }
      if (typeof added === 'string') {
        skipped.set(definition.id, added);
        log(`[${definition.id}] skipped: ${added}`);
      }
    }
    app.synth();
    const functions = readAssembly(outdir).functions;

    // Cold starts round-robin over the rows (one per row per round), so a change in the machine's load during the
    // run (a shared build machine) affects every row alike; then each row's warm invokes.
    const slots: Array<{ definition: RowDefinition; reference: BenchRow['reference']; row?: BenchRow; run?: RowRun }> = [];
    for (const definition of definitions) {
      const reference = definition.reference ? LAMBDA_PERF_X86_64[definition.reference] : undefined;
      const failure = failed.get(definition.id);
      const reason = skipped.get(definition.id);
      const fn = functions.find(f => f.constructPath === `${STACK}/${definition.id}`);
      if (failure) {
        slots.push({ definition, reference, row: { id: definition.id, label: definition.label, error: failure, reference } });
      } else if (reason) {
        slots.push({ definition, reference, row: { id: definition.id, label: definition.label, skipped: reason, reference } });
      } else if (!fn) {
        slots.push({ definition, reference, row: { id: definition.id, label: definition.label, error: 'not found in the synthesized assembly', reference } });
      } else {
        try {
          slots.push({ definition, reference, run: new RowRun(definition, fn, log) });
        } catch (err) {
          slots.push({ definition, reference, row: failedRow(definition, reference, err as Error, log) });
        }
      }
    }
    for (let i = 0; i < options.cold; i++) {
      for (const slot of slots) {
        if (!slot.run || slot.row) continue;
        try {
          await slot.run.coldStart(i, options.cold);
        } catch (err) {
          slot.row = failedRow(slot.definition, slot.reference, err as Error, log);
          await slot.run.close();
        }
      }
    }
    const rows: BenchRow[] = [];
    let hostOverhead: BenchResults['hostOverhead'];
    for (const slot of slots) {
      if (slot.row) {
        rows.push(slot.row);
        continue;
      }
      const run = slot.run!;
      try {
        rows.push(await run.finish(options, slot.reference));
        if (slot.definition.id === 'rust-hello') hostOverhead = await measureHostOverhead(run.fn, options.warm, log);
      } catch (err) {
        rows.push(failedRow(slot.definition, slot.reference, err as Error, log));
      } finally {
        await run.close();
      }
    }
    const python = (() => {
      try {
        return findPython().version;
      } catch {
        return undefined;
      }
    })();
    return {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        arch: os.arch(),
        loadAverage: os.loadavg().map(l => Math.round(l * 100) / 100),
        node: process.versions.node,
        python,
      },
      settings: { cold: options.cold, warm: options.warm },
      rows,
      hostOverhead,
      goals: goals(rows, hostOverhead),
      referenceSource: LAMBDA_PERF_SOURCE,
      formulas: {
        init: 'from launching the processes until the runtime has called /runtime/invocation/next and every extension /extension/event/next',
        billedCold: 'ceil(Init Duration p50 + cold invoke Duration p50) ms (INIT is billed since Aug 2025)',
        billedWarm: 'ceil(warm Duration p50) ms',
        costPerMillion: '1e6 x billed ms / 1000 x memory MB / 1024 x USD per GB-s (x86_64 0.0000166667, arm64 0.0000133334) + USD 0.20 per 1M requests',
        maxMemory: 'max over the cold starts and the warm environment of: the sum of VmHWM of the process tree, or the highest sampled total VmRSS',
        packageZip: 'code asset + layers, deflated as a zip would store them (computed, not a real zip)',
      },
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
    for (const dir of temporaryAssets.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function failedRow(definition: RowDefinition, reference: BenchRow['reference'], err: Error, log: (line: string) => void): BenchRow {
  log(`[${definition.id}] failed: ${err.message}`);
  return { id: definition.id, label: definition.label, error: err.message.split('\n')[0], reference };
}

/** One row being measured: its cold starts (called round by round) and then its warm invokes. */
class RowRun {
  private readonly local: LocalLambda;
  private readonly tag: string;
  private readonly inits: number[] = [];
  private readonly coldDurations: number[] = [];
  /** Undefined where memory cannot be measured (no /proc). */
  private maxMemoryMb?: number;

  constructor(private readonly definition: RowDefinition, public readonly fn: AssemblyFunction, private readonly log: (line: string) => void) {
    this.tag = `[${definition.id}]`;
    this.local = LocalLambda.prepare(fn, { log: line => log(`${this.tag} ${line}`), sampleAfterInit: false });
  }

  /** One cold start: a fresh execution environment, one invoke. */
  public async coldStart(index: number, total: number): Promise<void> {
    const env = await this.local.start();
    try {
      const outcome = await env.invoke(this.definition.event);
      if (!outcome.result.ok) throw new Error(`the function failed: ${outcome.result.payload}`);
      this.inits.push(env.initDurationMs);
      this.coldDurations.push(outcome.result.durationMs);
      this.maxMemoryMb = peak(this.maxMemoryMb, outcome.report.maxMemoryUsedMb);
    } finally {
      await env.stop();
    }
    this.log(`${this.tag} cold ${index + 1}/${total}: Init ${this.inits[this.inits.length - 1].toFixed(2)} ms`);
  }

  /** The warm invokes of one environment, then the row's figures. */
  public async finish(options: BenchOptions, reference: BenchRow['reference']): Promise<BenchRow> {
    const { definition, fn, inits, coldDurations } = this;
    const warm: number[] = [];
    const roundTrips: number[] = [];
    const env = await this.local.start();
    try {
      await env.invoke(definition.event); // the cold one, not counted
      for (let i = 0; i < options.warm; i++) {
        const outcome = await env.invoke(definition.event);
        if (!outcome.result.ok) throw new Error(`the function failed: ${outcome.result.payload}`);
        warm.push(outcome.result.durationMs);
        roundTrips.push(outcome.roundTripMs);
      }
      this.maxMemoryMb = peak(this.maxMemoryMb, env.maxMemoryUsedMb());
    } finally {
      await env.stop();
    }
    this.log(`${this.tag} warm ${options.warm} invokes: p50 ${percentile(warm, 50).toFixed(3)} ms`);

    const init = { p50: percentile(inits, 50), p90: percentile(inits, 90), p99: percentile(inits, 99), samples: inits.map(round2) };
    const coldP50 = percentile(coldDurations, 50);
    const warmP50 = percentile(warm, 50);
    const arch = fn.architecture;
    const python = definition.python && fn.code.kind === 'asset' ? (() => {
      const interpreter = findPython();
      return { version: interpreter.version, executable: interpreter.executable, pycFiles: countPyc(fn.code.path, interpreter.version) };
    })() : undefined;
    return {
      id: definition.id,
      label: definition.label,
      python,
      runtime: fn.runtime,
      architecture: arch,
      memorySizeMb: fn.memorySizeMb,
      notes: [...this.local.notes],
      init: { p50: round2(init.p50), p90: round2(init.p90), p99: round2(init.p99), samples: init.samples },
      coldDuration: { p50: round2(coldP50) },
      warm: { p50: round3(warmP50), p99: round3(percentile(warm, 99)), roundTripP50: round3(percentile(roundTrips, 50)), samples: warm.length },
      maxMemoryMb: this.maxMemoryMb,
      packageBytes: packageSize([fn.code.kind === 'asset' ? fn.code.path : '', ...fn.layers.map(l => l.path)].filter(Boolean)),
      costPerMillion: {
        cold: round2(costPerMillion(billedDurationMs(coldP50, init.p50), fn.memorySizeMb, arch)),
        warm: round2(costPerMillion(billedDurationMs(warmP50), fn.memorySizeMb, arch)),
      },
      reference,
    };
  }

  public close(): Promise<void> {
    return this.local.close();
  }
}

/** The host's own cost per invoke: the Rust hello with an empty event does next to nothing. */
async function measureHostOverhead(fn: AssemblyFunction, count: number, log: (line: string) => void): Promise<BenchResults['hostOverhead']> {
  const local = LocalLambda.prepare(fn, { sampleAfterInit: false });
  const env = await local.start();
  try {
    await env.invoke({});
    const durations: number[] = [];
    const roundTrips: number[] = [];
    for (let i = 0; i < Math.max(count, 20); i++) {
      const outcome = await env.invoke({});
      durations.push(outcome.result.durationMs);
      roundTrips.push(outcome.roundTripMs);
    }
    const result = {
      durationP50: round3(percentile(durations, 50)),
      roundTripP50: round3(percentile(roundTrips, 50)),
      roundTripP99: round3(percentile(roundTrips, 99)),
      samples: roundTrips.length,
    };
    log(`[host-overhead] no-op Rust invoke: round trip p50 ${result.roundTripP50} ms, Duration p50 ${result.durationP50} ms`);
    return result;
  } finally {
    await env.stop();
    await local.close();
  }
}

/** The larger of two memory readings; undefined only when neither was measured. */
function peak(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** The goal lines, each computed from the measured figures. */
export function goals(rows: BenchRow[], host: BenchResults['hostOverhead']): BenchResults['goals'] {
  const get = (id: string) => rows.find(r => r.id === id && r.init);
  const rust = get('rust-hello');
  const node = get('nodejs-hello');
  const python = get('python-hello');
  const out: NonNullable<BenchResults['goals']> = [];
  if (rust?.init && node?.init) {
    const ratio = node.init.p50 / rust.init.p50;
    out.push({ goal: 'Rust hello Init p50 at least 10x lower than Node.js hello', met: ratio >= 10, detail: `${ratio.toFixed(1)}x (${rust.init.p50} ms vs ${node.init.p50} ms)` });
  }
  if (rust?.init && python?.init) {
    out.push({ goal: 'Rust hello Init p50 lower than Python hello', met: rust.init.p50 < python.init.p50, detail: `${rust.init.p50} ms vs ${python.init.p50} ms` });
  }
  const llrt = get('llrt-hello');
  if (llrt?.init && node?.init) {
    const ratio = node.init.p50 / llrt.init.p50;
    out.push({ goal: 'LLRT hello Init p50 at least 10x lower than Node.js hello (LLRT: "up to 10x faster start")', met: ratio >= 10, detail: `${ratio.toFixed(1)}x (${llrt.init.p50} ms vs ${node.init.p50} ms)` });
  }
  if (rust?.warm) {
    out.push({ goal: 'Rust warm p50 under 1 ms (host overhead included)', met: rust.warm.p50 < 1, detail: `Duration p50 ${rust.warm.p50} ms, round trip p50 ${rust.warm.roundTripP50} ms` });
  }
  const adapter = get('flask-web-adapter');
  const wsgi = get('flask-wsgi');
  if (adapter?.init && wsgi?.init) {
    out.push({
      goal: 'Flask behind the Web Adapter: Init p50 at most that of the same app in-process behind apig-wsgi',
      met: adapter.init.p50 <= wsgi.init.p50,
      // The adapter's readiness check serves the app's first request inside Init; in-process, the first invoke does.
      detail: `${adapter.init.p50} ms vs ${wsgi.init.p50} ms (${(adapter.init.p50 / wsgi.init.p50).toFixed(2)}x); ` +
        `Init + first invoke Duration: ${round2(adapter.init.p50 + (adapter.coldDuration?.p50 ?? 0))} ms vs ` +
        `${round2(wsgi.init.p50 + (wsgi.coldDuration?.p50 ?? 0))} ms`,
    });
  }
  if (rust?.warm && host) {
    // The host's own share of a warm round trip, so a reader can tell the handler's cost from ours.
    const share = host.roundTripP50 / rust.warm.roundTripP50;
    out.push({
      goal: 'local host overhead below 1 ms p50 per invoke (no-op Rust handler)',
      met: host.roundTripP50 < 1,
      detail: `round trip p50 ${host.roundTripP50} ms, p99 ${host.roundTripP99} ms (${(share * 100).toFixed(0)}% of Rust hello's warm round trip)`,
    });
  }
  return out;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

function ms(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '–' : `${n.toFixed(digits)} ms`;
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 10 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The Markdown report: the table, the host overhead, the goals, and how each figure is computed. */
export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(`Local cold starts, ${results.settings.cold} cold / ${results.settings.warm} warm per function, ` +
    `${m.cpus} × ${m.cpuModel} (${m.arch}), Node.js ${m.node}${m.python ? `, Python ${m.python}` : ''}, ` +
    `load average ${m.loadAverage.join(' ')} at the end, ${results.generatedAt.slice(0, 10)}.`);
  lines.push('');
  lines.push('| function | Init p50 | Init p90 | Init p99 | warm p50 | warm p99 | max memory | package (zip) | $ per 1M, cold | $ per 1M, warm | lambda-perf Init / memory |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results.rows) {
    const ref = r.reference ? `${r.reference.initMs} ms / ${r.reference.memoryMb} MB` : '–';
    if (r.skipped || r.error) {
      lines.push(`| ${r.label} | ${r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`} | | | | | | | | | ${ref} |`);
      continue;
    }
    lines.push(`| ${r.label} | ${ms(r.init?.p50)} | ${ms(r.init?.p90)} | ${ms(r.init?.p99)} | ${ms(r.warm?.p50, 2)} | ${ms(r.warm?.p99, 2)} | ` +
      `${r.maxMemoryMb === undefined ? MEMORY_NOT_MEASURED : `${r.maxMemoryMb} MB`} | ${r.packageBytes ? size(r.packageBytes.zip) : '–'} | ${r.costPerMillion?.cold.toFixed(2)} | ` +
      `${r.costPerMillion?.warm.toFixed(2)} | ${ref} |`);
  }
  lines.push('');
  if (results.hostOverhead) {
    const h = results.hostOverhead;
    lines.push(`Host overhead per invoke (no-op Rust handler, ${h.samples} invokes): round trip p50 ${h.roundTripP50} ms, ` +
      `p99 ${h.roundTripP99} ms; of which Duration p50 ${h.durationP50} ms.`);
    lines.push('');
  }
  if (results.goals?.length) {
    for (const g of results.goals) lines.push(`- ${g.met ? 'met' : 'NOT met'}: ${g.goal}: ${g.detail}`);
    lines.push('');
  }
  const pythons = results.rows.filter(r => r.python);
  if (pythons.length > 0) {
    const p = pythons[0].python!;
    lines.push(`Python rows (${pythons.map(r => r.label).join('; ')}): built for and run by the local Python ${p.version} ` +
      `(${p.executable}): dependencies installed for python${p.version}, bytecode compiled by that interpreter ` +
      `(unchecked-hash; ${pythons.map(r => `${r.python!.pycFiles} .pyc`).join(', ')}), run with PYTHONDONTWRITEBYTECODE as on Lambda.`);
    lines.push('');
  }
  const notes = results.rows.flatMap(r => (r.notes ?? []).map(n => `${r.label}: ${n}`));
  for (const n of notes) lines.push(`- note: ${n}`);
  if (notes.length) lines.push('');
  lines.push(`All functions x86_64, 128 MB. Reference column: ${results.referenceSource}. Cost: ${results.formulas.costPerMillion}; ` +
    `billed ms, cold: ${results.formulas.billedCold}; warm: ${results.formulas.billedWarm}. Init: ${results.formulas.init}. ` +
    `Max memory: ${results.formulas.maxMemory}. Package: ${results.formulas.packageZip}.`);
  return `${lines.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A horizontal bar chart of Init p50 per function on a logarithmic axis (the rows span three
 * orders of magnitude), with lambda-perf's published Init as a mark where there is one.
 */
export function renderSvg(results: BenchResults): string {
  const rows = results.rows;
  // The label column fits the longest label (13 px Helvetica: about 7.2 px a character).
  const left = Math.max(190, 20 + Math.ceil(Math.max(0, ...rows.map(r => r.label.length)) * 7.2));
  const width = left + 570;
  const right = 120;
  const top = 58;
  const rowHeight = 34;
  const plotWidth = width - left - right;
  const height = top + rows.length * rowHeight + 56;
  const values = rows.flatMap(r => [r.init?.p50, r.reference?.initMs]).filter((v): v is number => v !== undefined && v > 0);
  const minDecade = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...values))));
  const maxDecade = Math.max(minDecade + 1, Math.ceil(Math.log10(Math.max(10, ...values))));
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** minDecade)) - minDecade) / (maxDecade - minDecade)) * plotWidth;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="16" font-weight="bold">Init Duration p50, measured locally (log scale)</text>`);
  out.push(`<text x="${left}" y="40" fill="#555">${escapeXml(`${results.settings.cold} cold starts each, x86_64, 128 MB; mark = lambda-perf on Lambda`)}</text>`);
  for (let d = minDecade; d <= maxDecade; d++) {
    const gx = x(10 ** d).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + rows.length * rowHeight}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="#555">${10 ** d >= 1 ? 10 ** d : (10 ** d).toFixed(1)} ms</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    out.push(`<text x="${left - 10}" y="${y + 20}" text-anchor="end">${escapeXml(r.label)}</text>`);
    if (r.init) {
      const color = r.id.startsWith('rust') ? '#d9531e' : r.id.startsWith('llrt') ? '#b7410e' : r.id.startsWith('python') || r.id.startsWith('flask') ? '#3572a5' : '#6cc24a';
      out.push(`<rect x="${left}" y="${y + 6}" width="${Math.max(1, x(r.init.p50) - left).toFixed(1)}" height="20" fill="${color}"/>`);
      out.push(`<text x="${(x(r.init.p50) + 6).toFixed(1)}" y="${y + 20}">${r.init.p50.toFixed(1)} ms</text>`);
    } else {
      out.push(`<text x="${left + 6}" y="${y + 20}" fill="#888">${escapeXml(r.skipped ? 'skipped' : 'error')}</text>`);
    }
    if (r.reference) {
      const rx = x(r.reference.initMs).toFixed(1);
      out.push(`<line x1="${rx}" y1="${y + 2}" x2="${rx}" y2="${y + 30}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
  });
  const legendY = height - 18;
  out.push(`<line x1="${left}" y1="${legendY - 4}" x2="${left + 16}" y2="${legendY - 4}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
  out.push(`<text x="${left + 22}" y="${legendY}" fill="#555">lambda-perf Init on AWS Lambda (x86_64, 128 MB, 7-day mean)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
