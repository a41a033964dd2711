/**
 * `rustacean-lambda`: run the Lambda functions of a synthesized CDK app on this machine,
 * without Docker or AWS, and measure them like Lambda does.
 *
 *   rustacean-lambda list    [--assembly cdk.out] [--json]
 *   rustacean-lambda invoke  <function> [--event <file> | --event - | --sample apigw-v2|function-url|sqs]
 *                            [--cold] [--count N] [--env NAME=VALUE]... [--assembly cdk.out]
 *   rustacean-lambda bench   [--quick] [--cold N] [--warm M] [--out bench-results]
 *   rustacean-lambda install-clients
 *
 * Responses go to stdout (one per line); the function's logs and Lambda-style START, END and
 * REPORT lines go to stderr.
 */
import * as fs from 'fs';
import { AssemblyFunction, findFunction, readAssembly } from './assembly';
import { ensureNodeClient, ensurePythonClient, ensureRie } from './clients';
import { SAMPLE_EVENTS, sampleEvent } from './events';
import { LocalEnvironment, LocalLambda } from './host';
import { percentile } from './measure';
import { runtimeFamily } from './runtimes';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads all of standard input (for `--event -`). */
  readonly stdin: () => Promise<string>;
}

const defaultIo: CliIo = {
  stdout: text => process.stdout.write(text),
  stderr: text => process.stderr.write(text),
  stdin: () => new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  }),
};

const USAGE = `usage: rustacean-lambda <command> [options]

Runs the Lambda functions of a synthesized CDK app (cdk.out) on this machine, without Docker or AWS.

commands:
  list                       list the functions of the assembly and whether they can run locally
  invoke <function>          run a function and invoke it; <function> is its construct path
                             (MyStack/Api), a unique last part of it (Api) or its logical id
  bench                      cold-start benchmark of the sample functions (Markdown, JSON, SVG)
  install-clients            install the official runtime clients (awslambdaric, aws-lambda-ric)
                             and the Runtime Interface Emulator into .rustacean-lambda/

options:
  --assembly <dir>           the cloud assembly (default: cdk.out)
  --event <file>             event document for invoke; '-' reads standard input (default: {})
  --sample <name>            a built-in event: ${SAMPLE_EVENTS.join(', ')}
  --count <n>                number of invocations (default: 1)
  --cold                     a fresh execution environment (a cold start) for every invocation
  --env NAME=VALUE           set an environment variable for the function (repeatable)
  --json                     list: machine-readable output
  (bench has its own options: rustacean-lambda bench --help)
`;

class UsageError extends Error {}

interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['cold', 'json', 'quick', 'help']);

function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      flags.set('help', ['true']);
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      let value: string;
      if (eq > 0) {value = arg.slice(eq + 1);} else if (BOOLEAN_FLAGS.has(name)) {value = 'true';} else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
        value = argv[++i];
      }
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

function flag(args: ParsedArgs, name: string): string | undefined {
  const values = args.flags.get(name);
  return values?.[values.length - 1];
}

function positiveInt(args: ParsedArgs, name: string, fallback: number): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number, got '${raw}'`);
  return n;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 a function or host error, 2 bad usage). */
export async function run(argv: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    if (argv[0] === 'bench') {
      // Loaded only when needed: it pulls in aws-cdk-lib to synthesize the sample app. It parses its own options.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bench = require('./bench') as typeof import('./bench');
      return await bench.runBench(argv.slice(1), io);
    }
    const args = parseArgs(argv);
    const [command, ...rest] = args.positional;
    if (!command || flag(args, 'help')) {
      io.stdout(USAGE);
      return command || flag(args, 'help') ? 0 : 2;
    }
    switch (command) {
      case 'list':
        return list(args, io);
      case 'invoke':
        return await invoke(rest, args, io);
      case 'install-clients': {
        const log = (line: string) => io.stderr(`${line}\n`);
        io.stdout(`awslambdaric:     ${ensurePythonClient(log)}\n`);
        io.stdout(`aws-lambda-ric:   ${ensureNodeClient(log)}\n`);
        io.stdout(`aws-lambda-rie:   ${ensureRie(log)}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`rustacean-lambda: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(`rustacean-lambda: ${(err as Error).message}\n`);
    return 1;
  }
}

/** Entry point of the `rustacean-lambda` bin script. */
export async function main(argv: string[]): Promise<void> {
  process.exitCode = await run(argv);
}

function list(args: ParsedArgs, io: CliIo): number {
  const info = readAssembly(flag(args, 'assembly') ?? 'cdk.out');
  if (flag(args, 'json')) {
    io.stdout(`${JSON.stringify(info.functions.map(f => ({ ...f, runnable: runnable(f) === undefined, reason: runnable(f) })), null, 2)}\n`);
    return 0;
  }
  if (info.functions.length === 0) {
    io.stdout(`no Lambda functions in ${info.dir}\n`);
    return 0;
  }
  const rows = info.functions.map(f => [
    f.constructPath,
    f.runtime ?? '(image)',
    f.architecture,
    `${f.memorySizeMb} MB`,
    `${f.timeoutSeconds} s`,
    f.handler ?? '',
    String(f.layers.length + f.externalLayers.length),
    notesOf(f),
  ]);
  io.stdout(table(['function', 'runtime', 'arch', 'memory', 'timeout', 'handler', 'layers', 'notes'], rows));
  return 0;
}

/** Why a function cannot run locally, or undefined when it can. */
function runnable(f: AssemblyFunction): string | undefined {
  if (f.code.kind === 'unsupported') return f.code.reason;
  if (!runtimeFamily(f.runtime)) return `runtime ${f.runtime ?? '(image)'} is not supported locally`;
  return undefined;
}

function notesOf(f: AssemblyFunction): string {
  const notes: string[] = [];
  const reason = runnable(f);
  if (reason) notes.push(`cannot run: ${reason}`);
  if (f.architecture === 'arm64' && process.arch !== 'arm64' && runtimeFamily(f.runtime) === 'provided') notes.push('qemu-user');
  if (f.externalLayers.length) notes.push(`${f.externalLayers.length} layer(s) not fetchable`);
  if (f.unresolvedEnvironment.length) notes.push(`deploy-time env: ${f.unresolvedEnvironment.join(', ')}`);
  return notes.join('; ');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

async function readEvent(args: ParsedArgs, io: CliIo): Promise<string> {
  const file = flag(args, 'event');
  const sample = flag(args, 'sample');
  if (file !== undefined && sample !== undefined) throw new UsageError('use either --event or --sample, not both');
  let text: string;
  if (sample !== undefined) {
    try {
      return JSON.stringify(sampleEvent(sample));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  } else if (file === '-') {
    text = await io.stdin();
  } else if (file !== undefined) {
    if (!fs.existsSync(file)) throw new UsageError(`event file '${file}' does not exist`);
    text = fs.readFileSync(file, 'utf8');
  } else {
    return '{}';
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the event ${file === '-' ? 'from standard input' : `in ${file}`} is not JSON: ${(err as Error).message}`);
  }
  return text.trim();
}

function parseEnv(args: ParsedArgs): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of args.flags.get('env') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env expects NAME=VALUE, got '${pair}'`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

async function invoke(rest: string[], args: ParsedArgs, io: CliIo): Promise<number> {
  const name = rest[0];
  if (!name) throw new UsageError('invoke needs a function: rustacean-lambda invoke <function> (see `rustacean-lambda list`)');
  const count = positiveInt(args, 'count', 1);
  const cold = flag(args, 'cold') !== undefined;
  const event = await readEvent(args, io);
  const env = parseEnv(args);
  const info = readAssembly(flag(args, 'assembly') ?? 'cdk.out');
  const fn = findFunction(info, name);
  const log = (line: string) => io.stderr(`${line}\n`);

  const lambda = LocalLambda.prepare(fn, { log, env });
  for (const note of lambda.notes) log(`note: ${note}`);
  let failures = 0;
  const durations: number[] = [];
  const inits: number[] = [];
  let environment: LocalEnvironment | undefined;
  const flushLogs = () => {
    if (!environment) return;
    const { stdout, stderr } = environment.newOutput();
    if (stdout) io.stderr(stdout.endsWith('\n') ? stdout : `${stdout}\n`);
    if (stderr) io.stderr(stderr.endsWith('\n') ? stderr : `${stderr}\n`);
  };
  try {
    for (let i = 0; i < count; i++) {
      if (!environment || cold) {
        await environment?.stop();
        environment = await lambda.start();
        inits.push(environment.initDurationMs);
      }
      const outcome = await environment.invoke(event);
      const id = outcome.result.requestId;
      flushLogs();
      log(`START RequestId: ${id} Version: $LATEST`);
      log(`END RequestId: ${id}`);
      log(outcome.reportLine);
      durations.push(outcome.result.durationMs);
      io.stdout(`${outcome.result.payload}\n`);
      if (!outcome.result.ok) failures++;
    }
  } finally {
    await environment?.stop();
    flushLogs();
    await lambda.close();
  }
  if (count > 1) {
    const fmt = (xs: number[], p: number) => `${percentile(xs, p).toFixed(2)} ms`;
    log(`summary: ${count} invocations (${inits.length} cold), Duration p50 ${fmt(durations, 50)} p90 ${fmt(durations, 90)}` +
      `, Init Duration p50 ${fmt(inits, 50)}${lambda.emulated ? ' (under qemu-user: not comparable with Lambda)' : ''}`);
  }
  if (failures > 0) log(`${failures} of ${count} invocations returned a function error`);
  return failures > 0 ? 1 : 0;
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
