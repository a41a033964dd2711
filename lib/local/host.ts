/**
 * Runs one function of a cloud assembly locally and measures it like Lambda: Init Duration,
 * Duration, Billed Duration and Max Memory Used per invocation, as `REPORT` lines.
 *
 * A {@link LocalLambda} is a prepared function (task root, merged layers, runtime client,
 * command line). Each {@link LocalEnvironment} it starts is one execution environment: fresh
 * processes, one init, any number of warm invokes. A cold start is a new environment.
 */
import { performance } from 'perf_hooks';
import type { AssemblyFunction } from './assembly';
import { formatReport, MemorySampler, ReportFields } from './measure';
import { LocalFunction, startFunction } from './process';
import type { InvokeResult } from './runtime-api';
import { LaunchPlan, prepareRuntime, PreparedRuntime } from './runtimes';
import { hostArchitecture } from '../core/arch';

/** Options for {@link LocalLambda.prepare}. */
export interface LocalLambdaOptions {
  /** Progress messages (client installs, notes). */
  readonly log?: (line: string) => void;
  /** Extra environment variables (win over the template's). */
  readonly env?: Readonly<Record<string, string>>;
  /** @default 10000, Lambda's init limit */
  readonly initTimeoutMs?: number;
  /**
   * Interval of the background memory sampler. It always runs during init; after init the
   * per-process high-water marks read after each invoke cover long-lived processes.
   * @default 20
   */
  readonly memorySampleIntervalMs?: number;
  /** Keep sampling in the background after init (catches short-lived processes a handler spawns). @default true */
  readonly sampleAfterInit?: boolean;
}

/** One invocation, as measured. */
export interface InvocationOutcome {
  readonly result: InvokeResult;
  readonly report: ReportFields;
  /** The Lambda-style REPORT line. */
  readonly reportLine: string;
  /** True for the first invocation of an environment (its report carries the Init Duration). */
  readonly cold: boolean;
  /** From queueing the event to having the answer, as the caller saw it (Duration plus host overhead). */
  readonly roundTripMs: number;
}

/** A prepared function, ready to start execution environments. */
export class LocalLambda {
  /** Gets a function of the assembly ready to run; throws when it cannot run locally. */
  public static prepare(fn: AssemblyFunction, options: LocalLambdaOptions = {}): LocalLambda {
    return new LocalLambda(fn, prepareRuntime(fn, { log: options.log }), options);
  }

  public readonly plan: LaunchPlan;
  /** True when the times are not comparable with Lambda's: an arm64 bootstrap under qemu-user on this host. */
  public readonly emulated: boolean;
  private readonly environments = new Set<LocalEnvironment>();

  private constructor(
    public readonly fn: AssemblyFunction,
    private readonly prepared: PreparedRuntime,
    private readonly options: LocalLambdaOptions,
  ) {
    this.plan = prepared.plan;
    const host = hostArchitecture() ?? process.arch;
    this.emulated = this.plan.arch !== undefined && this.plan.arch !== host;
  }

  /** Where this local run differs from Lambda. */
  public get notes(): ReadonlyArray<string> {
    const notes = [...this.plan.notes];
    if (this.emulated) notes.push(`${this.fn.architecture} bootstrap runs under qemu-user: a functional check only, its times are not comparable with Lambda's`);
    return notes;
  }

  /** Starts a fresh execution environment and waits for its init. */
  public async start(): Promise<LocalEnvironment> {
    const spawned: number[] = [];
    let local: LocalFunction | undefined;
    const sampler = new MemorySampler(() => (local ? local.pids() : spawned), this.options.memorySampleIntervalMs ?? 20);
    const plan = this.plan;
    try {
      local = await startFunction({
        bootstrap: plan.bootstrap,
        bootstrapArgs: plan.bootstrapArgs,
        arch: plan.arch,
        cwd: plan.taskRoot,
        extensions: plan.extensions,
        env: { ...plan.env, ...this.options.env },
        memoryMb: this.fn.memorySizeMb,
        functionName: this.fn.functionName ?? this.fn.constructPath.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64),
        handler: this.fn.handler ?? 'bootstrap',
        initTimeoutMs: this.options.initTimeoutMs ?? 10_000,
        onSpawn: pid => {
          spawned.push(pid);
          if (spawned.length === 1) sampler.start();
        },
      });
    } catch (err) {
      sampler.stop();
      throw err;
    }
    if (this.options.sampleAfterInit === false) sampler.stop();
    const env = new LocalEnvironment(local, sampler, this.fn, () => this.environments.delete(env));
    this.environments.add(env);
    return env;
  }

  /** Stops every environment still running and removes the temporary folders. */
  public async close(): Promise<void> {
    await Promise.all([...this.environments].map(e => e.stop()));
    this.prepared.dispose();
  }
}

/** One running execution environment. */
export class LocalEnvironment {
  private invocations = 0;
  private outMark = 0;
  private errMark = 0;
  private stopped?: Promise<void>;

  constructor(
    public readonly local: LocalFunction,
    private readonly sampler: MemorySampler,
    private readonly fn: AssemblyFunction,
    private readonly onStop: () => void,
  ) {}

  public get initDurationMs(): number {
    return this.local.initDurationMs;
  }

  /** Max Memory Used so far, in MB; undefined where memory cannot be measured. */
  public maxMemoryUsedMb(): number | undefined {
    return this.sampler.maxMb();
  }

  /** Invokes once; the first invocation's report carries the Init Duration. */
  public async invoke(event?: unknown, options: { readonly requestId?: string } = {}): Promise<InvocationOutcome> {
    const cold = this.invocations === 0;
    this.invocations++;
    const started = performance.now();
    const result = await this.local.invoke(event, { timeoutMs: this.fn.timeoutSeconds * 1000, requestId: options.requestId });
    const roundTripMs = performance.now() - started;
    const report: ReportFields = {
      requestId: result.requestId,
      durationMs: result.durationMs,
      memorySizeMb: this.fn.memorySizeMb,
      maxMemoryUsedMb: this.sampler.maxMb(),
      initDurationMs: cold ? this.local.initDurationMs : undefined,
    };
    return { result, report, reportLine: formatReport(report), cold, roundTripMs };
  }

  /** What the processes wrote since the last call (stdout and stderr). */
  public newOutput(): { stdout: string; stderr: string } {
    const out = this.local.stdout();
    const err = this.local.stderr();
    const result = { stdout: out.slice(Math.min(this.outMark, out.length)), stderr: err.slice(Math.min(this.errMark, err.length)) };
    this.outMark = out.length;
    this.errMark = err.length;
    return result;
  }

  /** Stops the processes (SHUTDOWN to extensions, SIGTERM, then SIGKILL). Idempotent. */
  public stop(): Promise<void> {
    if (!this.stopped) {
      this.sampler.stop();
      this.stopped = this.local.stop().finally(this.onStop);
    }
    return this.stopped;
  }
}
