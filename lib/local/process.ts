/**
 * Runs a Lambda function's `bootstrap` (and optional external extensions) as local
 * child processes against a {@link RuntimeApiServer}, with an environment shaped like
 * the one Lambda provides. An aarch64 binary on an x86_64 host runs through
 * qemu-user.
 *
 * Every process is started in its own process group and is always ended (SIGTERM,
 * then SIGKILL after a grace period) by `stop()`, by a failed start, or, as a last
 * resort, when the Node.js process exits.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { InitError, InvokeOptions, InvokeResult, RuntimeApiServer } from './runtime-api';
import { Architecture, hostArchitecture } from '../core/arch';
import { elfArchitecture } from '../core/elf';
import { isExecutableFile, onPath, withTimeout } from '../core/process';

/** An executable with arguments, for when a plain path is not enough (e.g. a script run by an interpreter). */
export interface ProcessSpec {
  readonly command: string;
  readonly args?: ReadonlyArray<string>;
}

/** Options for {@link startFunction}. */
export interface RunBootstrapOptions {
  /** Path to the runtime executable, e.g. `target/lambda/my-fn/bootstrap`. */
  readonly bootstrap: string;
  /** Arguments for the bootstrap (Lambda passes none). */
  readonly bootstrapArgs?: ReadonlyArray<string>;
  /**
   * Architecture of the bootstrap. When it differs from the host's, the binary runs
   * under qemu-user (`qemu-aarch64 -L /usr/aarch64-linux-gnu <bootstrap>` for arm64
   * on x86_64). When omitted it is read from the ELF header. A mismatch between this
   * value and the ELF header is reported as an error, since it usually means the
   * wrong cargo target was built.
   * @default detected from the file, else the host architecture
   */
  readonly arch?: Architecture;
  /** Variables added to (and overriding) the Lambda-like environment. */
  readonly env?: Record<string, string>;
  /** Working directory and `LAMBDA_TASK_ROOT`. @default the bootstrap's directory */
  readonly cwd?: string;
  /**
   * External extensions, started before the bootstrap, like the executables in
   * `/opt/extensions`. ELF binaries for another architecture are run through qemu too.
   */
  readonly extensions?: ReadonlyArray<string | ProcessSpec>;
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`. Informational only: no limit is enforced. @default 128 */
  readonly memoryMb?: number;
  /** @default 'local-function' */
  readonly functionName?: string;
  /** `_HANDLER`. @default 'bootstrap' */
  readonly handler?: string;
  /** How long init may take. @default 10000 (Lambda's init limit) */
  readonly initTimeoutMs?: number;
  /** How long processes get between SIGTERM (or SHUTDOWN) and SIGKILL. @default 2000 */
  readonly stopGraceMs?: number;
  /** Also pass the host's environment through (PATH is always passed). @default false */
  readonly inheritEnv?: boolean;
  /** qemu-user binary for arm64 on x86_64. @default 'qemu-aarch64' */
  readonly qemuAarch64?: string;
  /** Sysroot qemu loads the aarch64 dynamic loader and libc from. @default '/usr/aarch64-linux-gnu' */
  readonly aarch64Sysroot?: string;
  /** Called with each process id right after it is spawned (e.g. to start measuring its memory during init). */
  readonly onSpawn?: (pid: number, label: string) => void;
  /** Called with the Runtime API server before any process starts (e.g. to time the phases of init from its events). */
  readonly onServer?: (server: RuntimeApiServer) => void;
  /** Called with every chunk a process writes, as it arrives (e.g. to time when an app says it listens). */
  readonly onOutput?: (label: string, stream: 'stdout' | 'stderr', chunk: string) => void;
}

/** A running local function. */
export interface LocalFunction {
  readonly server: RuntimeApiServer;
  /** From launching the processes until the runtime and all extensions were ready. */
  readonly initDurationMs: number;
  /** Invokes the function; see {@link RuntimeApiServer.invoke}. */
  invoke(event?: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Stops all processes and the server. Safe to call more than once. */
  stop(): Promise<void>;
  /** Everything the processes wrote to stdout so far. */
  stdout(): string;
  /** Everything the processes wrote to stderr so far. */
  stderr(): string;
  /** Process ids of the bootstrap and extensions that are still running (their children are not listed). */
  pids(): number[];
}

/** Output kept per stream; older output is dropped so a chatty process cannot exhaust memory. */
const MAX_CAPTURE_CHARS = 4 * 1024 * 1024;

/**
 * Starts the Runtime API on loopback, launches the extensions and the bootstrap
 * with a Lambda-like environment and waits for init. Rejects (after cleaning up)
 * if a process exits or reports an init error before init completes, or init
 * times out; the error message ends with the captured stdout and stderr.
 */
export async function startFunction(options: RunBootstrapOptions): Promise<LocalFunction> {
  const extensionSpecs = (options.extensions ?? []).map(e => (typeof e === 'string' ? { command: e } : e));
  const functionName = options.functionName ?? 'local-function';
  const handler = options.handler ?? 'bootstrap';
  const cwd = options.cwd ?? path.dirname(path.resolve(options.bootstrap));

  // Resolve commands before anything starts, so a bad binary fails without side effects.
  const bootstrapCommand = commandFor({ command: options.bootstrap, args: options.bootstrapArgs }, options.arch, options);
  const extensionCommands = extensionSpecs.map(spec => commandFor(spec, undefined, options));

  const server = new RuntimeApiServer({ functionName, handler, expectedExtensions: extensionSpecs.length });
  const address = await server.start();
  options.onServer?.(server);
  const env = lambdaEnvironment(options, { address, functionName, handler, cwd });
  const fn = new RunningFunction(server, options.stopGraceMs ?? 2_000, options.onSpawn, options.onOutput);

  try {
    // Every process is forked first and parked; init is timed from the moment they are all let go (see launch()).
    const parked: Array<Promise<void>> = [];
    for (const [i, command] of extensionCommands.entries()) {
      parked.push(fn.launch(`extension ${extensionSpecs[i].command}`, command, env, cwd, false));
    }
    parked.push(fn.launch('bootstrap', bootstrapCommand, env, cwd, true));
    await Promise.race([Promise.all(parked), fn.exitedEarly]);
    server.markProcessStart();
    fn.release();
    const { initDurationMs } = await Promise.race([server.waitForInit(options.initTimeoutMs ?? 10_000), fn.exitedEarly]);
    fn.markInitialised(initDurationMs);
    return fn;
  } catch (err) {
    if (err instanceof InitError) {
      // A runtime that reported an init error usually logs and exits on its own: let it, so its last words are captured.
      await fn.runtimeExit(500);
    }
    await fn.stop();
    const output = formatOutput('stdout', fn.stdout()) + formatOutput('stderr', fn.stderr());
    throw Object.assign(new Error(`${(err as Error).message}${output}`), { cause: err });
  }
}

/** The command line that runs an executable for the given architecture on this host. */
export function commandFor(
  spec: ProcessSpec,
  arch: Architecture | undefined,
  options: Pick<RunBootstrapOptions, 'qemuAarch64' | 'aarch64Sysroot'> = {},
): { command: string; args: string[] } {
  const args = [...(spec.args ?? [])];
  const fileArch = elfArchitecture(spec.command);
  if (arch && fileArch && arch !== fileArch) {
    throw new Error(`${spec.command} is an ${fileArch} executable, but arch '${arch}' was requested`);
  }
  const host = hostArchitecture();
  // Only ELF binaries can be emulated; anything else (scripts) runs as is.
  if (!fileArch || fileArch === host) {
    return { command: spec.command, args };
  }
  if (fileArch === 'arm64' && host === 'x86_64') {
    const sysroot = options.aarch64Sysroot ?? '/usr/aarch64-linux-gnu';
    return { command: options.qemuAarch64 ?? 'qemu-aarch64', args: ['-L', sysroot, spec.command, ...args] };
  }
  throw new Error(`Cannot run a ${fileArch} executable on a ${process.arch} host: ${spec.command}`);
}

/** The variables Lambda sets for a custom runtime, with local placeholder values. */
function lambdaEnvironment(
  options: RunBootstrapOptions,
  context: { address: string; functionName: string; handler: string; cwd: string },
): Record<string, string> {
  const base: Record<string, string> = {};
  if (options.inheritEnv) {
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined) base[key] = value;
    }
  }
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    ...base,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: context.address,
    AWS_LAMBDA_FUNCTION_NAME: context.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${context.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${Date.now().toString(16).padStart(32, '0')}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    // Placeholders, so SDK clients construct without reaching for real credentials.
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'local-session-token',
    _HANDLER: context.handler,
    LAMBDA_TASK_ROOT: context.cwd,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    ...options.env,
  };
}

function formatOutput(label: string, text: string): string {
  const trimmed = text.trimEnd();
  if (!trimmed) return '';
  const tail = trimmed.length > 8_000 ? `...${trimmed.slice(-8_000)}` : trimmed;
  return `\n--- ${label} ---\n${tail}`;
}

// -----------------------------------------------------------------------------
// Process supervision

/** Children still alive, killed synchronously if Node exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) signalGroup(child, 'SIGKILL');
  });
}

/** Signals the child's whole process group (it leads one, see `detached`), falling back to the child alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

interface Supervised {
  readonly label: string;
  readonly child: ChildProcess;
  readonly isRuntime: boolean;
  /** Resolves once the process has exited and its output streams are drained. */
  readonly done: Promise<void>;
}

class RunningFunction implements LocalFunction {
  public initDurationMs = 0;
  /** Rejects when any process ends (or fails to start) before init completes. */
  public readonly exitedEarly: Promise<never>;

  private readonly processes: Supervised[] = [];
  /** Launched processes still waiting for {@link release}. */
  private readonly gates: ChildProcess[] = [];
  private stdoutText = '';
  private stderrText = '';
  private initialised = false;
  private stopping?: Promise<void>;
  /** Set once the runtime process has gone; later invocations fail at once. */
  private runtimeGone?: Error;
  private rejectEarly?: (error: Error) => void;

  constructor(
    public readonly server: RuntimeApiServer,
    private readonly graceMs: number,
    private readonly onSpawn?: (pid: number, label: string) => void,
    private readonly onOutput?: (label: string, stream: 'stdout' | 'stderr', chunk: string) => void,
  ) {
    this.exitedEarly = new Promise<never>((_, reject) => {
      this.rejectEarly = reject;
    });
    // Only raced against init; never leave it unhandled when nobody is racing.
    this.exitedEarly.catch(() => undefined);
    // Flip synchronously when init completes, so an exit right after it is not taken for an init failure.
    server.once('init', () => {
      this.initialised = true;
    });
  }

  public invoke(event?: unknown, options?: InvokeOptions): Promise<InvokeResult> {
    if (this.runtimeGone) {
      return Promise.reject(new Error(`${this.runtimeGone.message}${formatOutput('stderr', this.stderrText)}`));
    }
    return this.server.invoke(event, options);
  }

  public stdout(): string {
    return this.stdoutText;
  }

  public stderr(): string {
    return this.stderrText;
  }

  public pids(): number[] {
    return this.processes
      .filter(p => p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null)
      .map(p => p.child.pid as number);
  }

  /** Waits up to `ms` for the runtime process to end by itself. */
  public async runtimeExit(ms: number): Promise<void> {
    await withTimeout(Promise.all(this.processes.filter(p => p.isRuntime).map(p => p.done)), ms);
  }

  public markInitialised(initDurationMs: number): void {
    this.initDurationMs = initDurationMs;
  }

  /**
   * Spawns one process in its own process group, wires up output capture and exit handling, and
   * resolves once it is parked, ready to be let go by {@link release}.
   *
   * Forking from Node.js costs milliseconds, and tens of them when the host process is large (the
   * page tables are copied), which would be counted as the function's init. So each process starts
   * as a small shell that reports on fd 3 that it is up, waits for one line on stdin, and then
   * `exec`s the real command (same pid): the clock starts when the processes are let go.
   */
  public launch(
    label: string, command: { command: string; args: string[] }, env: Record<string, string>, cwd: string, isRuntime: boolean,
  ): Promise<void> {
    installExitHook();
    const missing = missingExecutable(command.command, env.PATH);
    if (missing) throw new Error(`${label} could not be started: ${missing}`);
    // dash exports PWD to what it runs; Lambda's environment has none unless the caller set one.
    const script = env.PWD === undefined ? `unset PWD; ${PARK_SCRIPT}` : PARK_SCRIPT;
    const child = spawn('/bin/sh', ['-c', script, command.command, ...command.args], {
      cwd, env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true,
    });
    liveChildren.add(child);
    this.gates.push(child);
    const parked = new Promise<void>(resolve => {
      const ready = child.stdio[3];
      ready?.once('data', () => resolve());
      ready?.once('error', () => resolve());
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    if (child.pid !== undefined) this.onSpawn?.(child.pid, label);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdoutText = capped(this.stdoutText + chunk);
      this.onOutput?.(label, 'stdout', chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText = capped(this.stderrText + chunk);
      this.onOutput?.(label, 'stderr', chunk);
    });

    const done = new Promise<void>(resolve => {
      let finished = false;
      const finish = (reason: string) => {
        if (finished) return;
        finished = true;
        liveChildren.delete(child);
        this.onExit(label, isRuntime, reason);
        resolve();
      };
      child.once('error', err => finish(`could not be started: ${err.message}`));
      // 'close' waits for the output pipes, so the captured stderr is complete. A
      // grandchild may hold the pipes open, so do not wait for them for long.
      child.once('exit', (code, signal) => {
        const reason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const timer = setTimeout(() => finish(reason), 200);
        child.once('close', () => {
          clearTimeout(timer);
          finish(reason);
        });
      });
    });
    this.processes.push({ label, child, isRuntime, done });
    return parked;
  }

  /** Lets every parked process go on to `exec` its command. */
  public release(): void {
    for (const child of this.gates.splice(0)) {
      child.stdin?.on('error', () => undefined); // it may have exited already
      child.stdin?.end('\n');
    }
  }

  public stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = this.doStop();
    }
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    // As on Lambda: the runtime gets SIGTERM, extensions subscribed to SHUTDOWN get the event.
    for (const p of this.processes.filter(x => x.isRuntime)) signalGroup(p.child, 'SIGTERM');
    const extensions = this.processes.filter(x => !x.isRuntime);
    await withTimeout(
      Promise.race([this.server.sendShutdown('spindown', this.graceMs), Promise.all(extensions.map(p => p.done))]),
      this.graceMs,
    );

    for (const p of this.processes) signalGroup(p.child, 'SIGTERM');
    const allDone = Promise.all(this.processes.map(p => p.done));
    if (!(await withTimeout(allDone, this.graceMs))) {
      for (const p of this.processes) signalGroup(p.child, 'SIGKILL');
      await withTimeout(allDone, 5_000);
    }
    await this.server.close();
  }

  private onExit(label: string, isRuntime: boolean, reason: string): void {
    if (this.stopping) return;
    const error = new Error(`${label} ${reason}`);
    if (!this.initialised) {
      this.rejectEarly?.(new Error(`${label} ${reason} before init completed`));
    } else if (isRuntime) {
      // Nothing can answer the pending invocations any more: fail them now.
      this.runtimeGone = error;
      this.server.abortInvocations(error);
    }
  }
}

/**
 * Run by `/bin/sh -c` with the real command as `$0 "$@"`: say "parked" on fd 3, close it, wait for one line on
 * stdin, then become the command.
 */
const PARK_SCRIPT = 'printf . >&3; exec 3>&-; read _gate || true; exec "$0" "$@"';

/** Why `command` cannot be executed (not found on PATH, or not an executable file), or undefined. */
function missingExecutable(command: string, searchPath: string | undefined): string | undefined {
  if (command.includes('/')) return isExecutableFile(command) ? undefined : `${command} is not an executable file`;
  return onPath(command, searchPath ?? '') ? undefined : `${command} was not found on PATH`;
}

function capped(text: string): string {
  return text.length > MAX_CAPTURE_CHARS ? text.slice(text.length - MAX_CAPTURE_CHARS) : text;
}
