/**
 * Measuring a local function the way Lambda reports it: the memory high-water mark of the
 * whole process tree, Lambda-style `REPORT` lines, percentiles and the bill.
 *
 * Only Node.js built-ins are used; memory is read from Linux `/proc`.
 */
import * as fs from 'fs';

/** Lambda prices in us-east-1 (USD), the reference for cost estimates. */
export const LAMBDA_PRICES = {
  /** Per GB-second of billed duration, x86_64. */
  x86_64: 0.0000166667,
  /** Per GB-second of billed duration, arm64 (20% less). */
  arm64: 0.0000133334,
  /** Per request. */
  request: 0.20 / 1_000_000,
} as const;

/** One process's memory as `/proc/<pid>/status` tells it, in KiB. */
export interface ProcessMemory {
  readonly pid: number;
  /** Resident set size now (`VmRSS`). */
  readonly rssKb: number;
  /** The highest resident set size the process ever had (`VmHWM`). */
  readonly hwmKb: number;
}

/** Reads `VmRSS` and `VmHWM` of a process; undefined when it is gone (or has no memory, like a zombie). */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!rss || !hwm) return undefined;
  return { pid, rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) };
}

/** The pids of a process and all its descendants (through `/proc/<pid>/task/<tid>/children`). */
export function processTree(roots: ReadonlyArray<number>): number[] {
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return [...seen];
}

/**
 * Tracks the peak memory of a process tree, like Lambda's `Max Memory Used` for an execution
 * environment (the runtime, its children and the extensions).
 *
 * Two readings are combined, and the larger wins:
 * - the highest total resident set size seen by sampling every descendant at a short interval
 *   (catches processes that come and go between reads);
 * - the sum of each live process's own high-water mark (`VmHWM`), read on demand (catches peaks
 *   between samples; it can overstate a little when processes peaked at different moments).
 */
export class MemorySampler {
  /** Where `/proc` is looked for; tests point it at a missing folder to play a machine without it. */
  public static procRoot: string | undefined;

  private timer?: NodeJS.Timeout;
  private peakTotalKb = 0;
  /** Last high-water mark seen per pid (kept after the process exits). */
  private readonly hwmByPid = new Map<number, number>();
  private readonly roots: () => ReadonlyArray<number>;

  /** `roots` is asked for the top-level pids at every sample (processes may be added later). */
  constructor(roots: () => ReadonlyArray<number>, private readonly intervalMs = 20) {
    this.roots = roots;
  }

  /** Starts sampling in the background (the timer does not keep Node alive). */
  public start(): this {
    if (!this.timer) {
      this.sample();
      this.timer = setInterval(() => this.sample(), this.intervalMs);
      this.timer.unref();
    }
    return this;
  }

  public stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads every process of the tree once; returns the total resident set size now, in KiB. */
  public sample(): number {
    let totalKb = 0;
    for (const pid of processTree(this.roots())) {
      const mem = readProcessMemory(pid);
      if (!mem) continue;
      totalKb += mem.rssKb;
      this.hwmByPid.set(pid, Math.max(mem.hwmKb, this.hwmByPid.get(pid) ?? 0));
    }
    this.peakTotalKb = Math.max(this.peakTotalKb, totalKb);
    return totalKb;
  }

  /** The peak so far, in KiB (takes a fresh sample first). */
  public maxKb(): number {
    this.sample();
    let hwmSum = 0;
    for (const kb of this.hwmByPid.values()) hwmSum += kb;
    return Math.max(this.peakTotalKb, hwmSum);
  }

  /**
   * The peak so far in MB, rounded like Lambda's `Max Memory Used` (whole MB, 1 MB = 1,048,576 bytes); undefined
   * where memory cannot be read (no Linux `/proc`, e.g. macOS or Windows), never a made-up 0.
   */
  public maxMb(): number | undefined {
    if (!memoryMeasurable()) return undefined;
    return Math.ceil(this.maxKb() / 1024);
  }
}

/** The words a REPORT line and the benchmark use where memory cannot be measured. */
export const MEMORY_NOT_MEASURED = 'not measured on this platform';

/** True where process memory can be read (Linux `/proc`). */
export function memoryMeasurable(): boolean {
  return fs.existsSync(`${MemorySampler.procRoot ?? '/proc'}/self/status`);
}

/** What a Lambda `REPORT` line says about one invocation. */
export interface ReportFields {
  readonly requestId: string;
  readonly durationMs: number;
  /** Configured memory. */
  readonly memorySizeMb: number;
  /** Undefined where memory cannot be measured (the line then says so). */
  readonly maxMemoryUsedMb?: number;
  /** Present only for the first invocation of an execution environment (a cold start). */
  readonly initDurationMs?: number;
}

/**
 * Billed duration in whole milliseconds: the invocation's duration, plus the init duration
 * for a cold start (Lambda bills the INIT phase of every runtime since August 2025), rounded up.
 */
export function billedDurationMs(durationMs: number, initDurationMs?: number): number {
  return Math.max(1, Math.ceil(durationMs + (initDurationMs ?? 0)));
}

/**
 * A `REPORT` line exactly as Lambda writes it to CloudWatch Logs (tab-separated):
 * `REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 14.56 ms`
 */
export function formatReport(fields: ReportFields): string {
  const parts = [
    `REPORT RequestId: ${fields.requestId}`,
    `Duration: ${fields.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedDurationMs(fields.durationMs, fields.initDurationMs)} ms`,
    `Memory Size: ${fields.memorySizeMb} MB`,
    `Max Memory Used: ${fields.maxMemoryUsedMb === undefined ? MEMORY_NOT_MEASURED : `${fields.maxMemoryUsedMb} MB`}`,
  ];
  if (fields.initDurationMs !== undefined) parts.push(`Init Duration: ${fields.initDurationMs.toFixed(2)} ms`);
  return parts.join('\t');
}

/** Reads a REPORT line back into its fields (for tests and for tools that parse our output). */
export function parseReport(line: string): ReportFields & { billedDurationMs: number } {
  const get = (name: string) => new RegExp(`${name}: ([^\\t]+)`).exec(line)?.[1];
  const requestId = get('REPORT RequestId');
  const duration = get('Duration');
  if (!requestId || !duration) throw new Error(`not a REPORT line: '${line}'`);
  const init = get('Init Duration');
  return {
    requestId,
    durationMs: parseFloat(duration),
    billedDurationMs: parseFloat(get('Billed Duration') ?? '0'),
    memorySizeMb: parseFloat(get('Memory Size') ?? '0'),
    maxMemoryUsedMb: (() => {
      const value = parseFloat(get('Max Memory Used') ?? '');
      return Number.isNaN(value) ? undefined : value;
    })(),
    initDurationMs: init === undefined ? undefined : parseFloat(init),
  };
}

/** The p-th percentile (0-100) by the nearest-rank method; NaN for no values. */
export function percentile(values: ReadonlyArray<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Estimated USD for one million invocations of a function:
 * `1e6 × (billed ms / 1000) × (memory MB / 1024) × price per GB-s of the architecture + 1e6 × $0.20 / 1e6`.
 */
export function costPerMillion(billedMs: number, memorySizeMb: number, architecture: 'x86_64' | 'arm64'): number {
  const perInvoke = (billedMs / 1000) * (memorySizeMb / 1024) * LAMBDA_PRICES[architecture] + LAMBDA_PRICES.request;
  return perInvoke * 1_000_000;
}
