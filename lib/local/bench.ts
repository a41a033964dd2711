/**
 * `rustacean-lambda bench`: cold starts and warm invokes of the functions of any synthesized app (a cloud
 * assembly, `cdk.out`), through the local host. For each function: N cold starts (a fresh execution environment
 * each) and M warm invokes of one environment; Init p50/p90/p99, Duration p50 of the cold and of the warm invokes,
 * cold start + duration (Init + Duration of each cold start: what the caller of a cold start waits for) at p50, p90,
 * p95, p99 and max, Max Memory Used, package size and the estimated bill per million cold and warm invocations.
 * Writes Markdown, JSON and an SVG chart.
 *
 * Cold starts are taken round-robin over the functions (one per function per round), so a change in the machine's
 * load during the run affects every function alike; then each function's warm invokes.
 *
 * A function that cannot run locally (a container image, a runtime the host does not know) is a skipped row with
 * its reason; a function that fails is an error row, and the command exits 1.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AssemblyFunction, findFunction, readAssembly } from './assembly';
import { LocalLambda } from './host';
import { billedDurationMs, costPerMillion, MEMORY_NOT_MEASURED, percentile } from './measure';
import { runtimeFamily } from './runtimes';
import { findPython } from '../core/python';
import { zippedSize } from '../core/zip';

/** A reference figure for a row (for example lambda-perf's, measured on Lambda). */
export interface BenchReference {
  readonly initMs: number;
  /** Undefined when the source gives none (lambda-perf's Java figures in our data). */
  readonly memoryMb?: number;
  readonly warmMs?: number;
}

/** Percentiles of a set of samples (nearest rank), and its largest one. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Measured figures of one row (times in ms, memory in MB, sizes in bytes, cost in USD). */
export interface BenchRow {
  /** The construct path of the function, unless the caller names the row. */
  readonly id: string;
  readonly label: string;
  /** What the function does, when rows of several workloads are compared (the chart tells them apart). */
  readonly workload?: string;
  readonly runtime?: string;
  readonly architecture?: string;
  readonly memorySizeMb?: number;
  readonly skipped?: string;
  readonly notes?: string[];
  /** Python rows: the interpreter that runs the function here, and the bytecode for it that the asset holds. */
  readonly python?: { readonly version: string; readonly executable: string; readonly pycFiles: number };
  readonly init?: { readonly p50: number; readonly p90: number; readonly p99: number; readonly samples: number[] };
  /** Duration of the cold starts' invokes (samples in the order of the cold starts). */
  readonly coldDuration?: { readonly p50: number; readonly samples?: number[] };
  /** Cold start + duration: Init + Duration of each cold start, paired (samples in the order of the cold starts). */
  readonly coldTotal?: Percentiles & { readonly samples: number[] };
  readonly warm?: { readonly p50: number; readonly p99: number; readonly roundTripP50: number; readonly samples: number };
  readonly maxMemoryMb?: number;
  readonly packageBytes?: { readonly zip: number; readonly unzipped: number };
  readonly costPerMillion?: { readonly cold: number; readonly warm: number };
  readonly reference?: BenchReference;
  readonly error?: string;
}

/** The whole result document (`<out>/coldstart.json`). */
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
  /** The cloud assembly the functions were read from. */
  readonly assembly?: string;
  readonly settings: { readonly cold: number; readonly warm: number };
  readonly rows: BenchRow[];
  /** The host's own cost per invoke, when measured. */
  readonly hostOverhead?: { readonly durationP50: number; readonly roundTripP50: number; readonly roundTripP99: number; readonly samples: number };
  /** Checks computed from the figures. */
  readonly goals?: Array<{ readonly goal: string; readonly met: boolean; readonly detail: string }>;
  /** Paragraphs printed after the goals. */
  readonly remarks?: string[];
  /** Where the rows' lambda-perf reference figures come from; the table has a lambda-perf column only with it. */
  readonly referenceSource?: string;
  readonly formulas: Record<string, string>;
}

/** One function to measure, as the caller describes it. */
export interface BenchTarget {
  readonly fn: AssemblyFunction;
  /** @default the construct path */
  readonly id?: string;
  /** @default the construct path */
  readonly label?: string;
  /** @default the event of the run ({} unless given) */
  readonly event?: unknown;
  readonly reference?: BenchReference;
  /** @default none */
  readonly workload?: string;
  /** Environment variables of this function's runs, on top of the run's `env`. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

/** What {@link benchAssembly} measures. */
export interface BenchOptions {
  /** The cloud assembly (`cdk.out`) of a synthesized app. */
  readonly assembly: string;
  /** The functions, as `invoke` names them (construct path, its last part, logical id); default: all of them. */
  readonly functions?: ReadonlyArray<string>;
  /** Cold starts per function. */
  readonly cold: number;
  /** Warm invokes per function (after one uncounted cold invoke of the same environment). */
  readonly warm: number;
  /** The event every invoke sends. @default {} */
  readonly event?: unknown;
  /** Events of single functions (named as in `functions`), sent instead of `event`. */
  readonly events?: ReadonlyArray<{ readonly function: string; readonly event: unknown }>;
  /**
   * Environment variables of every function's runs (win over the template's), for example `AWS_ENDPOINT_URL` and
   * throw-away credentials that point the functions' SDK calls at a local endpoint. @default none
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Names a function's row and gives its own event and reference figures (a program's hook; the CLI has none). */
  readonly describe?: (fn: AssemblyFunction) => Omit<BenchTarget, 'fn'> | undefined;
  readonly log?: (line: string) => void;
}

/** How each figure is computed: printed under the table and kept in the JSON. */
export const FORMULAS: Readonly<Record<string, string>> = {
  init: 'from launching the processes until the runtime has called /runtime/invocation/next and every extension /extension/event/next',
  billedCold: 'ceil(Init Duration p50 + cold invoke Duration p50) ms (INIT is billed since Aug 2025)',
  coldTotal: 'Init Duration + Duration of the same cold start (the wait of its caller), then the percentiles (nearest rank) and max of those sums',
  billedWarm: 'ceil(warm Duration p50) ms',
  costPerMillion: '1e6 x billed ms / 1000 x memory MB / 1024 x USD per GB-s (x86_64 0.0000166667, arm64 0.0000133334) + USD 0.20 per 1M requests',
  maxMemory: 'max over the cold starts and the warm environment of: the sum of VmHWM of the process tree, or the highest sampled total VmRSS',
  packageZip: 'code asset + layers, deflated as a zip would store them (computed, not a real zip)',
};

/** p50, p90, p95, p99 (nearest rank, as {@link percentile}) and max of the samples, rounded to 0.01 ms. */
export function percentiles(values: ReadonlyArray<number>): Percentiles {
  if (values.length === 0) throw new Error('percentiles of no samples: measure at least one');
  return {
    p50: round2(percentile(values, 50)),
    p90: round2(percentile(values, 90)),
    p95: round2(percentile(values, 95)),
    p99: round2(percentile(values, 99)),
    max: round2(Math.max(...values)),
  };
}

/**
 * Cold start + duration of each cold start: its Init Duration plus the Duration of its invoke. The two lists are
 * the same cold starts in the same order; the sum is taken per cold start (not p50 + p50).
 */
export function coldStartTotals(inits: ReadonlyArray<number>, durations: ReadonlyArray<number>): number[] {
  if (inits.length !== durations.length) {
    throw new Error(`cold start + duration needs one Duration per Init: got ${inits.length} Init and ${durations.length} Duration samples`);
  }
  return inits.map((init, i) => round2(init + durations[i]));
}

/** Why a function cannot run on the local host, or undefined when it can. */
export function whyNotRunnable(f: AssemblyFunction): string | undefined {
  if (f.code.kind === 'unsupported') return f.code.reason;
  if (!runtimeFamily(f.runtime)) return `runtime ${f.runtime ?? '(image)'} is not supported locally`;
  return undefined;
}

/** Reads the assembly, measures the chosen functions and returns the result document. */
export async function benchAssembly(options: BenchOptions): Promise<BenchResults> {
  const info = readAssembly(options.assembly);
  const chosen = options.functions?.length
    ? [...new Set(options.functions.map(name => findFunction(info, name)))]
    : info.functions;
  if (chosen.length === 0) throw new Error(`no Lambda functions in ${info.dir}: synthesize the app first (cdk synth)`);
  const ownEvents = new Map<AssemblyFunction, unknown>();
  for (const { function: name, event } of options.events ?? []) {
    const fn = findFunction(info, name);
    if (!chosen.includes(fn)) {
      throw new Error(`an event is given for '${name}' (${fn.constructPath}), which is not among the functions to measure ` +
        `(${chosen.map(f => f.constructPath).join(', ')}); name it too, or drop its event`);
    }
    ownEvents.set(fn, event);
  }
  const targets = chosen.map(fn => {
    const described = options.describe?.(fn);
    const env = options.env || described?.env ? { ...options.env, ...described?.env } : undefined;
    return { fn, event: ownEvents.has(fn) ? ownEvents.get(fn) : options.event, ...described, env };
  });
  const rows = await measureFunctions(targets, options);
  return {
    generatedAt: new Date().toISOString(),
    machine: describeMachine(),
    assembly: info.dir,
    settings: { cold: options.cold, warm: options.warm },
    rows,
    formulas: { ...FORMULAS },
  };
}

/** The machine the figures are taken on. */
export function describeMachine(): BenchResults['machine'] {
  let python: string | undefined;
  try {
    python = findPython().version;
  } catch {
    python = undefined;
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    arch: os.arch(),
    loadAverage: os.loadavg().map(l => Math.round(l * 100) / 100),
    node: process.versions.node,
    python,
  };
}

/** Measures the targets: cold starts round-robin, then each one's warm invokes. One row per target, in order. */
export async function measureFunctions(
  targets: ReadonlyArray<BenchTarget>,
  settings: { readonly cold: number; readonly warm: number; readonly log?: (line: string) => void },
): Promise<BenchRow[]> {
  const log = settings.log ?? (() => undefined);
  const slots = targets.map(target => {
    const id = target.id ?? target.fn.constructPath;
    const base = { id, label: target.label ?? target.fn.constructPath, reference: target.reference, workload: target.workload };
    const reason = whyNotRunnable(target.fn);
    if (reason) {
      log(`[${id}] skipped: ${reason}`);
      return { base, row: { ...base, skipped: reason } as BenchRow, run: undefined as RowRun | undefined };
    }
    try {
      return { base, row: undefined as BenchRow | undefined, run: new RowRun(base, target.fn, target.event ?? {}, log, target.env) };
    } catch (err) {
      return { base, row: failedRow(base, err as Error, log), run: undefined };
    }
  });
  for (let i = 0; i < settings.cold; i++) {
    for (const slot of slots) {
      if (!slot.run || slot.row) continue;
      try {
        await slot.run.coldStart(i, settings.cold);
      } catch (err) {
        slot.row = failedRow(slot.base, err as Error, log);
        await slot.run.close();
      }
    }
  }
  const rows: BenchRow[] = [];
  for (const slot of slots) {
    if (slot.row) {
      rows.push(slot.row);
      continue;
    }
    const run = slot.run!;
    try {
      rows.push(await run.finish(settings.warm));
    } catch (err) {
      rows.push(failedRow(slot.base, err as Error, log));
    } finally {
      await run.close();
    }
  }
  return rows;
}

type RowBase = Pick<BenchRow, 'id' | 'label' | 'reference' | 'workload'>;

function failedRow(base: RowBase, err: Error, log: (line: string) => void): BenchRow {
  log(`[${base.id}] failed: ${err.message}`);
  return { ...base, error: err.message.split('\n')[0] };
}

/** One row being measured: its cold starts (called round by round) and then its warm invokes. */
class RowRun {
  private readonly local: LocalLambda;
  private readonly tag: string;
  private readonly inits: number[] = [];
  private readonly coldDurations: number[] = [];
  /** Undefined where memory cannot be measured (no /proc). */
  private maxMemoryMb?: number;

  constructor(private readonly base: RowBase, private readonly fn: AssemblyFunction, private readonly event: unknown,
    private readonly log: (line: string) => void, env?: Readonly<Record<string, string>>) {
    this.tag = `[${base.id}]`;
    this.local = LocalLambda.prepare(fn, { log: line => log(`${this.tag} ${line}`), sampleAfterInit: false, env });
  }

  /** One cold start: a fresh execution environment, one invoke. */
  public async coldStart(index: number, total: number): Promise<void> {
    const env = await this.local.start();
    try {
      const outcome = await env.invoke(this.event);
      if (!outcome.result.ok) throw functionError(outcome.result.payload);
      this.inits.push(env.initDurationMs);
      this.coldDurations.push(outcome.result.durationMs);
      this.maxMemoryMb = peak(this.maxMemoryMb, outcome.report.maxMemoryUsedMb);
    } finally {
      await env.stop();
    }
    this.log(`${this.tag} cold ${index + 1}/${total}: Init ${this.inits[this.inits.length - 1].toFixed(2)} ms`);
  }

  /** The warm invokes of one environment, then the row's figures. */
  public async finish(warmCount: number): Promise<BenchRow> {
    const { fn, inits, coldDurations } = this;
    const warm: number[] = [];
    const roundTrips: number[] = [];
    const env = await this.local.start();
    try {
      await env.invoke(this.event); // the cold one, not counted
      for (let i = 0; i < warmCount; i++) {
        const outcome = await env.invoke(this.event);
        if (!outcome.result.ok) throw functionError(outcome.result.payload);
        warm.push(outcome.result.durationMs);
        roundTrips.push(outcome.roundTripMs);
      }
      this.maxMemoryMb = peak(this.maxMemoryMb, env.maxMemoryUsedMb());
    } finally {
      await env.stop();
    }
    this.log(`${this.tag} warm ${warmCount} invokes: p50 ${percentile(warm, 50).toFixed(3)} ms`);

    const init = { p50: percentile(inits, 50), p90: percentile(inits, 90), p99: percentile(inits, 99) };
    const coldP50 = percentile(coldDurations, 50);
    const warmP50 = percentile(warm, 50);
    const arch = fn.architecture;
    return {
      id: this.base.id,
      label: this.base.label,
      workload: this.base.workload,
      python: pythonOf(fn),
      runtime: fn.runtime,
      architecture: arch,
      memorySizeMb: fn.memorySizeMb,
      notes: [...this.local.notes],
      init: { p50: round2(init.p50), p90: round2(init.p90), p99: round2(init.p99), samples: inits.map(round2) },
      coldDuration: { p50: round2(coldP50), samples: coldDurations.map(round2) },
      coldTotal: { ...percentiles(coldStartTotals(inits, coldDurations)), samples: coldStartTotals(inits, coldDurations) },
      warm: { p50: round3(warmP50), p99: round3(percentile(warm, 99)), roundTripP50: round3(percentile(roundTrips, 50)), samples: warm.length },
      maxMemoryMb: this.maxMemoryMb,
      packageBytes: zippedSize([fn.code.kind === 'asset' ? fn.code.path : '', ...fn.layers.map(l => l.path)].filter(Boolean)),
      costPerMillion: {
        cold: round2(costPerMillion(billedDurationMs(coldP50, init.p50), fn.memorySizeMb, arch)),
        warm: round2(costPerMillion(billedDurationMs(warmP50), fn.memorySizeMb, arch)),
      },
      reference: this.base.reference,
    };
  }

  public close(): Promise<void> {
    return this.local.close();
  }
}

/** A Python function's interpreter here and how much bytecode for it its asset holds. */
function pythonOf(fn: AssemblyFunction): BenchRow['python'] {
  if (runtimeFamily(fn.runtime) !== 'python' || fn.code.kind !== 'asset') return undefined;
  const interpreter = findPython();
  return { version: interpreter.version, executable: interpreter.executable, pycFiles: countPyc(fn.code.path, interpreter.version) };
}

/** How many `.pyc` files for `version` a folder holds. */
function countPyc(dir: string, version: string): number {
  if (!fs.statSync(dir).isDirectory()) return 0;
  const tag = `.cpython-${version.replace('.', '')}.pyc`;
  let count = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) count += countPyc(path.join(dir, entry.name), version);
    else if (entry.name.endsWith(tag)) count++;
  }
  return count;
}

/** A function error, as its errorType and errorMessage when the payload is Lambda's error document. */
function functionError(payload: string): Error {
  try {
    const doc = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof doc.errorMessage === 'string') {
      return new Error(`the function failed: ${typeof doc.errorType === 'string' ? `${doc.errorType}: ` : ''}${doc.errorMessage}`);
    }
  } catch {
    // not JSON: the payload as it is
  }
  return new Error(`the function failed: ${payload}`);
}

/** The larger of two memory readings; undefined only when neither was measured. */
function peak(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
export const round3 = (n: number) => Math.round(n * 1000) / 1000;

function ms(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '–' : `${n.toFixed(digits)} ms`;
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 10 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** "x86_64, 128 MB" when every measured row shares them, else undefined. */
function commonShape(rows: ReadonlyArray<BenchRow>): string | undefined {
  const measured = rows.filter(r => r.architecture && r.memorySizeMb);
  const shapes = new Set(measured.map(r => `${r.architecture}, ${r.memorySizeMb} MB`));
  return shapes.size === 1 ? [...shapes][0] : undefined;
}

/**
 * The Markdown report: the summary table, the cold start + duration table, the host overhead, the goals, remarks,
 * notes and how each figure is computed.
 */
export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine;
  const withReference = results.referenceSource !== undefined;
  lines.push(`Local cold starts, ${results.settings.cold} cold / ${results.settings.warm} warm per function, ` +
    `${m.cpus} × ${m.cpuModel} (${m.arch}), Node.js ${m.node}${m.python ? `, Python ${m.python}` : ''}, ` +
    `load average ${m.loadAverage.join(' ')} at the end, ${results.generatedAt.slice(0, 10)}.`);
  lines.push('');
  const header = ['function', 'Init p50', 'Duration p50, cold', 'Duration p50, warm', 'max memory', 'package (zip)',
    '$ per 1M, cold', '$ per 1M, warm', ...(withReference ? ['lambda-perf Init / memory'] : [])];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`|---|${header.slice(1).map(() => '---:|').join('')}`);
  for (const r of results.rows) {
    const ref = withReference ? [r.reference ? (r.reference.memoryMb === undefined ? `${r.reference.initMs} ms` : `${r.reference.initMs} ms / ${r.reference.memoryMb} MB`) : '–'] : [];
    if (r.skipped || r.error) {
      const blanks = header.length - 2 - ref.length;
      lines.push(`| ${[r.label, r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`, ...Array(blanks).fill(''), ...ref].join(' | ')} |`.replace(/ {2}\|/g, ' |'));
      continue;
    }
    lines.push(`| ${[r.label, ms(r.init?.p50), ms(r.coldDuration?.p50, 2), ms(r.warm?.p50, 2),
      r.maxMemoryMb === undefined ? MEMORY_NOT_MEASURED : `${r.maxMemoryMb} MB`, r.packageBytes ? size(r.packageBytes.zip) : '–',
      r.costPerMillion?.cold.toFixed(2) ?? '–', r.costPerMillion?.warm.toFixed(2) ?? '–', ...ref].join(' | ')} |`);
  }
  lines.push('');
  const measured = results.rows.filter(r => r.coldTotal);
  if (measured.length > 0) {
    lines.push('Cold start + duration (Init + Duration of each cold start, what its caller waits for), ' +
      `${results.settings.cold} cold starts per function; Init p90/p99 and warm p99 beside it:`);
    lines.push('');
    lines.push('| function | cold start + duration p50 | p90 | p95 | p99 | max | Init p90 | Init p99 | warm p99 |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of measured) {
      const t = r.coldTotal!;
      lines.push(`| ${[r.label, ms(t.p50), ms(t.p90), ms(t.p95), ms(t.p99), ms(t.max), ms(r.init?.p90), ms(r.init?.p99), ms(r.warm?.p99, 2)].join(' | ')} |`);
    }
    lines.push('');
  }
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
  for (const remark of results.remarks ?? []) lines.push(remark, '');
  const notes = results.rows.flatMap(r => (r.notes ?? []).map(n => `${r.label}: ${n}`));
  for (const n of notes) lines.push(`- note: ${n}`);
  if (notes.length) lines.push('');
  const shape = commonShape(results.rows);
  const f = results.formulas;
  lines.push(`${shape ? `All functions ${shape}.` : 'Architecture and memory as each function is defined.'}` +
    `${withReference ? ` Reference column: ${results.referenceSource}.` : ''} Cost: ${f.costPerMillion}; ` +
    `billed ms, cold: ${f.billedCold}; warm: ${f.billedWarm}. Init: ${f.init}. ` +
    `${f.coldTotal ? `Cold start + duration: ${f.coldTotal}. ` : ''}Max memory: ${f.maxMemory}. Package: ${f.packageZip}.`);
  return `${lines.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The colour of a row's bar by its runtime: Rust orange for custom runtimes, Python blue, Node.js green. */
export function runtimeColor(row: BenchRow): string {
  switch (runtimeFamily(row.runtime)) {
    case 'provided': return '#d9531e';
    case 'python': return '#3572a5';
    case 'nodejs': return '#6cc24a';
    default: return '#888888';
  }
}

/** Options of {@link renderSvg}. */
export interface SvgOptions {
  /** The colour of a row's bar. @default {@link runtimeColor} */
  readonly colorOf?: (row: BenchRow) => string;
}

/**
 * A horizontal bar chart of cold start + duration p50 per function on a logarithmic axis (the rows can span orders
 * of magnitude): Init p50 solid, then on to cold start + duration p50 in a lighter shade, with the reference
 * Init as a mark where a row has one. Rows of a second workload (see {@link BenchRow.workload}) are hatched, so
 * a runtime's hello and real-workload rows read as a pair.
 */
export function renderSvg(results: BenchResults, options: SvgOptions = {}): string {
  const rows = results.rows;
  const colorOf = options.colorOf ?? runtimeColor;
  const withReference = rows.some(r => r.reference);
  const workloads = [...new Set(rows.map(r => r.workload).filter((w): w is string => w !== undefined))];
  // The label column fits the longest label (13 px Helvetica: about 7.2 px a character).
  const left = Math.max(190, 20 + Math.ceil(Math.max(0, ...rows.map(r => r.label.length)) * 7.2));
  const width = left + 570;
  const right = 170;
  const top = 58;
  const rowHeight = 34;
  const plotWidth = width - left - right;
  const legendLines = (withReference ? 1 : 0) + 1 + (workloads.length > 1 ? 1 : 0);
  const height = top + rows.length * rowHeight + 36 + legendLines * 18;
  // Cold start + duration p50 as the table has it (p50 of the per-cold-start sums); Init p50 + Duration p50 for rows
  // written before it was measured.
  const total = (r: BenchRow) => (r.init ? r.coldTotal?.p50 ?? r.init.p50 + (r.coldDuration?.p50 ?? 0) : undefined);
  const values = rows.flatMap(r => [r.init?.p50, total(r), r.reference?.initMs]).filter((v): v is number => v !== undefined && v > 0);
  const minDecade = Math.floor(Math.log10(Math.max(0.1, Math.min(1, ...values))));
  const maxDecade = Math.max(minDecade + 1, Math.ceil(Math.log10(Math.max(10, ...values))));
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** minDecade)) - minDecade) / (maxDecade - minDecade)) * plotWidth;
  const shape = commonShape(rows);
  const subtitle = `${results.settings.cold} cold starts each${shape ? `, ${shape}` : ''}${withReference ? '; mark = lambda-perf Init on Lambda' : ''}`;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  out.push('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>');
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="16" font-weight="bold">Cold start + duration p50, measured locally (log scale)</text>`);
  out.push(`<text x="${left}" y="40" fill="#555">${escapeXml(subtitle)}</text>`);
  for (let d = minDecade; d <= maxDecade; d++) {
    const gx = x(10 ** d).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + rows.length * rowHeight}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="#555">${10 ** d >= 1 ? 10 ** d : (10 ** d).toFixed(1)} ms</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    out.push(`<text x="${left - 10}" y="${y + 20}" text-anchor="end">${escapeXml(r.label)}</text>`);
    const sum = total(r);
    if (r.init && sum !== undefined) {
      const initEnd = Math.max(left + 1, x(r.init.p50));
      const end = Math.max(initEnd, x(sum));
      out.push(`<rect x="${left}" y="${y + 6}" width="${(initEnd - left).toFixed(1)}" height="20" fill="${colorOf(r)}"/>`);
      if (end > initEnd) {
        out.push(`<rect x="${initEnd.toFixed(1)}" y="${y + 6}" width="${(end - initEnd).toFixed(1)}" height="20" fill="${colorOf(r)}" fill-opacity="0.45"/>`);
      }
      if (r.workload !== undefined && workloads.indexOf(r.workload) > 0) {
        out.push(`<rect x="${left}" y="${y + 6}" width="${(end - left).toFixed(1)}" height="20" fill="url(#hatch)"/>`);
      }
      out.push(`<text x="${(end + 6).toFixed(1)}" y="${y + 20}">${sum.toFixed(1)} ms (Init ${r.init.p50.toFixed(1)})</text>`);
    } else {
      out.push(`<text x="${left + 6}" y="${y + 20}" fill="#888">${escapeXml(r.skipped ? 'skipped' : 'error')}</text>`);
    }
    if (r.reference) {
      const rx = x(r.reference.initMs).toFixed(1);
      out.push(`<line x1="${rx}" y1="${y + 2}" x2="${rx}" y2="${y + 30}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
    }
  });
  let legendY = top + rows.length * rowHeight + 44;
  out.push(`<rect x="${left}" y="${legendY - 11}" width="16" height="12" fill="#777"/>` +
    `<rect x="${left + 16}" y="${legendY - 11}" width="16" height="12" fill="#777" fill-opacity="0.45"/>`);
  out.push(`<text x="${left + 38}" y="${legendY}" fill="#555">Init p50, then on to cold start + duration p50 (Init + the first invoke's Duration)</text>`);
  if (workloads.length > 1) {
    legendY += 18;
    out.push(`<rect x="${left}" y="${legendY - 11}" width="32" height="12" fill="#777"/><rect x="${left}" y="${legendY - 11}" width="32" height="12" fill="url(#hatch)"/>`);
    out.push(`<text x="${left + 38}" y="${legendY}" fill="#555">${escapeXml(`plain: ${workloads[0]}; hatched: ${workloads.slice(1).join(', ')}`)}</text>`);
  }
  if (withReference) {
    legendY += 18;
    out.push(`<line x1="${left}" y1="${legendY - 4}" x2="${left + 16}" y2="${legendY - 4}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`);
    out.push(`<text x="${left + 22}" y="${legendY}" fill="#555">lambda-perf Init on AWS Lambda (x86_64, 128 MB, 7-day mean)</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The files {@link writeResults} writes. */
export interface WrittenResults {
  readonly markdown: string;
  readonly svg: string;
  readonly files: string[];
}

/** Writes `coldstart.json`, `coldstart.md` and `coldstart.svg` into `outDir`. */
export function writeResults(results: BenchResults, outDir: string, svgOptions: SvgOptions = {}): WrittenResults {
  fs.mkdirSync(outDir, { recursive: true });
  const markdown = renderMarkdown(results);
  const svg = renderSvg(results, svgOptions);
  const files = ['json', 'md', 'svg'].map(ext => path.join(outDir, `coldstart.${ext}`));
  fs.writeFileSync(files[0], `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(files[1], markdown);
  fs.writeFileSync(files[2], svg);
  return { markdown, svg, files };
}
