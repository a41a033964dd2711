/**
 * `rustacean-lambda`: run the Lambda functions of a synthesized CDK app on this machine,
 * without Docker or AWS, and measure them like Lambda does.
 *
 *   rustacean-lambda list    [--assembly cdk.out] [--json]
 *   rustacean-lambda invoke  <function> [--event <file> | --event - | --sample apigw-v2|function-url|sqs]
 *                            [--cold] [--count N] [--env NAME=VALUE]... [--endpoint URL] [--assembly cdk.out]
 *   rustacean-lambda bench   [<function>...] [--assembly cdk.out] [--cold N] [--warm M]
 *                            [--event <file> | --sample <name>] [--event-for <function>=<file>|sample:<name>]
 *                            [--env NAME=VALUE]... [--endpoint URL] [--out bench-results]
 *   rustacean-lambda install-clients
 *
 * Responses go to stdout (one per line); the function's logs and Lambda-style START, END and
 * REPORT lines go to stderr. Arguments are parsed with Node's `util.parseArgs`, one option set per command.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';
import { AssemblyFunction, findFunction, readAssembly } from './assembly';
import { benchAssembly, whyNotRunnable, writeResults } from './bench';
import { ensureNodeClient, ensureNodeSdk, ensurePythonClient, ensurePythonSdk } from './clients';
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

/** One option of a command: its `util.parseArgs` type, the placeholder of its value and a line of help. */
interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly value?: string;
  readonly help: string;
}

/** A command: what it does, its positional arguments and its options. */
interface CommandSpec {
  readonly summary: string;
  readonly positionals: string;
  readonly maxPositionals: number;
  readonly options: Readonly<Record<string, OptionSpec>>;
}

const ASSEMBLY: OptionSpec = { type: 'string', value: 'dir', help: 'the cloud assembly of the synthesized app (default: cdk.out)' };
const ENV: OptionSpec = { type: 'string', multiple: true, value: 'NAME=VALUE', help: 'set an environment variable for the functions (repeatable)' };
const ENDPOINT: OptionSpec = {
  type: 'string',
  value: 'url',
  help: 'send the functions\' AWS SDK calls to this endpoint (AWS_ENDPOINT_URL), e.g. a local moto_server; checked before the first invoke',
};
const HELP: OptionSpec = { type: 'boolean', help: 'this help' };

const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  'list': {
    summary: 'list the functions of the assembly and whether they can run locally',
    positionals: '',
    maxPositionals: 0,
    options: {
      assembly: ASSEMBLY,
      json: { type: 'boolean', help: 'machine-readable output' },
      help: HELP,
    },
  },
  'invoke': {
    summary: 'run a function and invoke it; <function> is its construct path (MyStack/Api), a unique last part of it (Api) or its logical id',
    positionals: '<function>',
    maxPositionals: 1,
    options: {
      assembly: ASSEMBLY,
      event: { type: 'string', value: 'file', help: 'the event document; \'-\' reads standard input (default: {})' },
      sample: { type: 'string', value: 'name', help: `a built-in event: ${SAMPLE_EVENTS.join(', ')}` },
      count: { type: 'string', value: 'n', help: 'number of invocations (default: 1)' },
      cold: { type: 'boolean', help: 'a fresh execution environment (a cold start) for every invocation' },
      env: ENV,
      endpoint: ENDPOINT,
      help: HELP,
    },
  },
  'bench': {
    summary: 'cold starts and warm invokes of the functions (all, or the ones named): Init p50/p90/p99, Duration p50 cold ' +
      'and warm, cold start + duration p50/p90/p95/p99/max, max memory, package size and cost per 1M invocations, ' +
      'written as coldstart.{md,json,svg}',
    positionals: '[<function>...]',
    maxPositionals: Infinity,
    options: {
      'assembly': ASSEMBLY,
      'cold': { type: 'string', value: 'n', help: 'cold starts per function (default: 20)' },
      'warm': { type: 'string', value: 'n', help: 'warm invokes per function (default: 100)' },
      'event': { type: 'string', value: 'file', help: 'the event every invoke sends (default: {})' },
      'sample': { type: 'string', value: 'name', help: `a built-in event for every invoke: ${SAMPLE_EVENTS.join(', ')}` },
      'event-for': {
        type: 'string',
        multiple: true,
        value: 'fn=file',
        help: 'the event of one function, from a JSON file or sample:<name> (repeatable); the others send --event/--sample',
      },
      'env': ENV,
      'endpoint': ENDPOINT,
      'out': { type: 'string', value: 'dir', help: 'where coldstart.{md,json,svg} go (default: bench-results)' },
      'help': HELP,
    },
  },
  'install-clients': {
    summary: 'install the official runtime clients (awslambdaric, aws-lambda-ric) and the SDKs Lambda\'s runtimes ship (boto3, AWS SDK for JavaScript v3) into .rustacean-lambda/',
    positionals: '',
    maxPositionals: 0,
    options: { help: HELP },
  },
};

function optionLine(name: string, spec: OptionSpec): string {
  const left = `  --${name}${spec.value ? ` <${spec.value}>` : ''}`;
  return `${left.padEnd(27)}${spec.help}`;
}

const USAGE = `usage: rustacean-lambda <command> [options]

Runs the Lambda functions of a synthesized CDK app (cdk.out) on this machine, without Docker or AWS.

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${`${name} ${c.positionals}`.padEnd(25)}${c.summary}`).join('\n')}

rustacean-lambda <command> --help lists the command's options.
`;

function commandUsage(name: string): string {
  const c = COMMANDS[name];
  return `usage: rustacean-lambda ${name}${c.positionals ? ` ${c.positionals}` : ''} [options]\n\n${c.summary}\n\noptions:\n` +
    `${Object.entries(c.options).map(([o, spec]) => optionLine(o, spec)).join('\n')}\n`;
}

class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

interface Parsed {
  readonly positionals: string[];
  readonly values: Values;
}

/** Parses one command's arguments; unknown options and missing or stray values are usage errors naming the fix. */
function parseCommand(command: string, argv: string[]): Parsed {
  const spec = COMMANDS[command];
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple === true }]));
  const see = `see rustacean-lambda ${command} --help`;
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (err) {
    const e = err as Error & { code?: string };
    const option = /'(-[^' ]*)/.exec(e.message)?.[1] ?? '';
    const name = option.replace(/^-+/, '');
    const known = Object.keys(spec.options).map(o => `--${o}`).join(', ');
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new UsageError(`${command}: unknown option '${option}'; expected one of ${known} (${see})`, command);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const o = spec.options[name];
      if (o?.type === 'boolean') throw new UsageError(`${command}: --${name} takes no value; write it alone, as --${name}`, command);
      throw new UsageError(`${command}: --${name} needs a value (--${name} <${o?.value ?? 'value'}>); to pass one that starts ` +
        `with '-', write --${name}=<value>`, command);
    }
    if (e.code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(`${command}: ${e.message.split('\n')[0]} (${see})`, command);
    throw err;
  }
  if (parsed.positionals.length > spec.maxPositionals) {
    const extra = parsed.positionals.slice(spec.maxPositionals).map(p => `'${p}'`).join(', ');
    throw new UsageError(`${command}: unexpected argument ${extra}; ${spec.positionals ? `expected only ${spec.positionals}` : 'it takes none'} (${see})`, command);
  }
  return parsed;
}

function stringOption(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function positiveInt(command: string, values: Values, name: string, fallback: number): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${name} must be a positive whole number, got '${raw}'; for example --${name} ${fallback}`, command);
  }
  return n;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 a function or host error, 2 bad usage). */
export async function run(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (!Object.prototype.hasOwnProperty.call(COMMANDS, command)) {
      throw new UsageError(`unknown command '${command}'; expected one of ${Object.keys(COMMANDS).join(', ')}`);
    }
    const args = parseCommand(command, rest);
    if (args.values.help) {
      io.stdout(commandUsage(command));
      return 0;
    }
    switch (command) {
      case 'list':
        return list(args, io);
      case 'invoke':
        return await invoke(args, io);
      case 'bench':
        return await bench(args, io);
      default: {
        const log = (line: string) => io.stderr(`${line}\n`);
        io.stdout(`awslambdaric:     ${ensurePythonClient(log)}\n`);
        io.stdout(`aws-lambda-ric:   ${ensureNodeClient(log)}\n`);
        io.stdout(`boto3:            ${ensurePythonSdk(log)}\n`);
        io.stdout(`AWS SDK for JS:   ${ensureNodeSdk(log)}\n`);
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`rustacean-lambda: ${err.message}\n\n${err.command ? commandUsage(err.command) : USAGE}`);
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

function list(args: Parsed, io: CliIo): number {
  const info = readAssembly(stringOption(args.values, 'assembly') ?? 'cdk.out');
  if (args.values.json) {
    io.stdout(`${JSON.stringify(info.functions.map(f => ({ ...f, runnable: whyNotRunnable(f) === undefined, reason: whyNotRunnable(f) })), null, 2)}\n`);
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

function notesOf(f: AssemblyFunction): string {
  const notes: string[] = [];
  const reason = whyNotRunnable(f);
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

async function readEvent(command: string, args: Parsed, io: CliIo): Promise<string> {
  const file = stringOption(args.values, 'event');
  const sample = stringOption(args.values, 'sample');
  if (file !== undefined && sample !== undefined) throw new UsageError('use either --event or --sample, not both', command);
  let text: string;
  if (sample !== undefined) {
    try {
      return JSON.stringify(sampleEvent(sample));
    } catch (err) {
      throw new UsageError((err as Error).message, command);
    }
  } else if (file === '-') {
    text = await io.stdin();
  } else if (file !== undefined) {
    return readEventFile(command, file, 'give the path of a JSON file, or - for standard input');
  } else {
    return '{}';
  }
  return checkedJson(command, text, 'from standard input');
}

function readEventFile(command: string, file: string, fix: string): string {
  if (!fs.existsSync(file)) throw new UsageError(`event file '${file}' does not exist; ${fix}`, command);
  return checkedJson(command, fs.readFileSync(file, 'utf8'), `in ${file}`);
}

function checkedJson(command: string, text: string, where: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the event ${where} is not JSON: ${(err as Error).message}`, command);
  }
  return text.trim();
}

/** `--event-for <function>=<file>` / `<function>=sample:<name>`, repeatable: the events of single functions. */
function readOwnEvents(args: Parsed): Array<{ function: string; event: unknown }> {
  return ((args.values['event-for'] as string[] | undefined) ?? []).map(pair => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new UsageError(`--event-for expects <function>=<file> or <function>=sample:<name>, got '${pair}'; ` +
        'for example --event-for Api=events/api.json', 'bench');
    }
    const [name, source] = [pair.slice(0, eq), pair.slice(eq + 1)];
    if (source.startsWith('sample:')) {
      try {
        return { function: name, event: sampleEvent(source.slice('sample:'.length)) };
      } catch (err) {
        throw new UsageError(`--event-for ${name}: ${(err as Error).message}`, 'bench');
      }
    }
    return { function: name, event: JSON.parse(readEventFile('bench', source, `give --event-for ${name}=<path of a JSON file>`)) as unknown };
  });
}

/** The environment `--endpoint` gives the functions: the endpoint, and a region (the shell's, else us-east-1). */
export function endpointEnvironment(endpoint: string, shell: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const region = shell.AWS_REGION || shell.AWS_DEFAULT_REGION || 'us-east-1';
  // Credentials: the host's placeholders (every function gets them), unless --env sets others.
  return { AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_DEFAULT_REGION: region };
}

/** `--endpoint URL` then `--env NAME=VALUE` (repeatable; they win): the functions' extra environment. */
function parseEnv(command: string, args: Parsed): Record<string, string> {
  const env: Record<string, string> = {};
  const endpoint = stringOption(args.values, 'endpoint');
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`--endpoint expects an http(s) URL, got '${endpoint}'; for example --endpoint http://127.0.0.1:5000`, command);
    }
    Object.assign(env, endpointEnvironment(endpoint));
  }
  for (const pair of (args.values.env as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env expects NAME=VALUE, got '${pair}'; for example --env LOG_LEVEL=debug`, command);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/**
 * Checks that something answers HTTP at the endpoint (any status will do), so an unreachable endpoint is one clear
 * error before the first invoke, not a function timing out on every call.
 */
export async function probeEndpoint(endpoint: string, timeoutMs = 3_000): Promise<void> {
  try {
    const response = await fetch(endpoint, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.cause?.code ?? e.cause?.message ?? e.message;
    throw new Error(`--endpoint ${endpoint} is not reachable (${reason}); start the local endpoint first ` +
      '(for example `moto_server -H 127.0.0.1 -p 5000` and --endpoint http://127.0.0.1:5000), or fix the URL');
  }
}

async function invoke(args: Parsed, io: CliIo): Promise<number> {
  const name = args.positionals[0];
  if (!name) throw new UsageError('invoke needs a function: rustacean-lambda invoke <function> (see `rustacean-lambda list`)', 'invoke');
  const count = positiveInt('invoke', args.values, 'count', 1);
  const cold = args.values.cold === true;
  const event = await readEvent('invoke', args, io);
  const env = parseEnv('invoke', args);
  const info = readAssembly(stringOption(args.values, 'assembly') ?? 'cdk.out');
  const endpoint = stringOption(args.values, 'endpoint');
  if (endpoint !== undefined) await probeEndpoint(endpoint);
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

/**
 * `bench`: measures the functions of the assembly (all, or the ones named) and writes coldstart.{md,json,svg}.
 * Exits 1 when a function failed or nothing could be measured.
 */
async function bench(args: Parsed, io: CliIo): Promise<number> {
  const cold = positiveInt('bench', args.values, 'cold', 20);
  const warm = positiveInt('bench', args.values, 'warm', 100);
  const event = JSON.parse(await readEvent('bench', args, io)) as unknown;
  const events = readOwnEvents(args);
  const out = stringOption(args.values, 'out') ?? 'bench-results';
  const env = parseEnv('bench', args);
  const endpoint = stringOption(args.values, 'endpoint');
  if (endpoint !== undefined) await probeEndpoint(endpoint);
  const log = (line: string) => io.stderr(`${line}\n`);
  const results = await benchAssembly({
    assembly: stringOption(args.values, 'assembly') ?? 'cdk.out',
    functions: args.positionals,
    cold,
    warm,
    event,
    events,
    env: Object.keys(env).length > 0 ? env : undefined,
    log,
  });
  const written = writeResults(results, out);
  io.stdout(written.markdown);
  log(`wrote ${written.files.join(', ')}`);
  const measured = results.rows.filter(r => r.init).length;
  if (measured === 0) log('no function could be measured here (see the skipped rows)');
  return results.rows.some(r => r.error) || measured === 0 ? 1 : 0;
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
