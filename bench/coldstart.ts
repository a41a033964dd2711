/**
 * The README's cold-start table: `rustacean-lambda bench` run over the comparison app of bench/coldstart/app.ts
 * (Rust, Node.js 24, Python, LLRT: hello, and a DynamoDB PutItem + GetItem through each runtime's SDK; Flask behind
 * the Web Adapter and behind apig-wsgi; all x86_64, 128 MB). The DynamoDB rows run against a moto_server this
 * command starts on 127.0.0.1 (the table created first) and stops at the end, also when the run fails. On top of
 * the package's figures, what only this repository adds: lambda-perf's published figures beside each row, the host's own cost per
 * invoke, the goals computed from the figures, and the chart copied into docs/ with --docs.
 *
 *   npm run bench:coldstart [-- --quick] [--cold N] [--warm M] [--only id,id] [--out dir] [--docs]
 *
 * A row that cannot be built or fails is an error row, and the command exits 1.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { BENCH_TABLE, DYNAMODB, HELLO, LAMBDA_PERF_SOURCE, LAMBDA_PERF_X86_64, ROW_IDS, STACK, synthesizeComparisonApp } from './coldstart/app';
import {
  AssemblyFunction, benchAssembly, BenchResults, BenchRow, BOTO3_VERSION, describeMachine, FORMULAS, LocalLambda, NODE_SDK_VERSION,
  percentile, readAssembly, round2, round3, writeResults,
} from '../lib/local';
import { LocalAws, startLocalAws } from '../test/support/moto';

const DOCS = path.resolve(__dirname, '..', 'docs');

/** What one run measures. */
export interface ColdStartOptions {
  readonly cold: number;
  readonly warm: number;
  readonly out: string;
  readonly only?: string[];
  readonly docs: boolean;
}

const USAGE = `usage: npm run bench:coldstart -- [--quick] [--cold N] [--warm M] [--only id,id] [--out dir] [--docs]

  --quick        3 cold starts and 10 warm invokes per function (npm run samples ends with it)
  --cold N       cold starts per function (default 20)
  --warm M       warm invokes per function (default 100)
  --only ids     only these rows: ${ROW_IDS.join(', ')}
  --out dir      where coldstart.{md,json,svg} go (default bench-results)
  --docs         also copy the chart to docs/coldstart.svg (the README's chart)
`;

/** Parses the options; undefined for --help. Throws naming the value, what was expected and the fix. */
export function parseColdStartArgs(argv: string[]): ColdStartOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean' },
        docs: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        cold: { type: 'string' },
        warm: { type: 'string' },
        only: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new Error(`bench:coldstart: ${(err as Error).message.split('\n')[0]}\n\n${USAGE}`);
  }
  if (values.help) return undefined;
  const count = (name: 'cold' | 'warm', fallback: number) => {
    const raw = values[name] as string | undefined;
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number, got '${raw}'; for example --${name} ${fallback}`);
    return n;
  };
  const only = (values.only as string | undefined)?.split(',').map(s => s.trim()).filter(Boolean);
  const unknown = only?.filter(id => !ROW_IDS.includes(id)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown row ${unknown.map(u => `'${u}'`).join(', ')}; expected some of ${ROW_IDS.join(', ')}`);
  return {
    cold: count('cold', values.quick ? 3 : 20),
    warm: count('warm', values.quick ? 10 : 100),
    out: (values.out as string | undefined) ?? 'bench-results',
    only,
    docs: values.docs === true,
  };
}

/** The comparison app, synthesized and measured by the package's bench; the rows in the table's order. */
export async function coldStartTable(options: ColdStartOptions, log: (line: string) => void): Promise<BenchResults> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rustacean-lambda-bench-'));
  const temporary: string[] = [];
  let localAws: LocalAws | undefined;
  try {
    const app = synthesizeComparisonApp(outdir, options.only, temporary, log);
    const byPath = new Map(app.definitions.map(d => [`${STACK}/${d.id}`, d]));
    const reference = (key?: string) => (key ? LAMBDA_PERF_X86_64[key] : undefined);
    const awsRows = app.definitions.filter(d => d.localAws && !app.failed.has(d.id) && !app.skipped.has(d.id));
    if (awsRows.length > 0) {
      try {
        localAws = await startLocalAws();
        await localAws.createTable(BENCH_TABLE);
        log(`moto_server on ${localAws.endpoint}, table ${BENCH_TABLE} created, for ${awsRows.map(d => d.id).join(', ')}`);
      } catch (err) {
        // Without the local AWS these rows cannot run; the others still do.
        await localAws?.stop();
        localAws = undefined;
        for (const d of awsRows) app.failed.set(d.id, `no local AWS: ${(err as Error).message.split('\n')[0]}`);
        log(`cannot start the local AWS for ${awsRows.map(d => d.id).join(', ')}: ${(err as Error).message}`);
      }
    }
    const built = app.definitions.filter(d => !app.failed.has(d.id) && !app.skipped.has(d.id));
    const awsEnv = localAws?.functionEnvironment();
    const measured = built.length === 0 ? undefined : await benchAssembly({
      assembly: outdir,
      functions: built.map(d => `${STACK}/${d.id}`),
      cold: options.cold,
      warm: options.warm,
      log,
      describe: fn => {
        const d = byPath.get(fn.constructPath);
        return d && {
          id: d.id, label: d.label, event: d.event, reference: reference(d.reference), workload: d.workload, env: d.localAws ? awsEnv : undefined,
        };
      },
    });
    const rows: BenchRow[] = app.definitions.map(d => {
      const base = { id: d.id, label: d.label, reference: reference(d.reference), workload: d.workload };
      const failure = app.failed.get(d.id);
      const reason = app.skipped.get(d.id);
      if (failure) return { ...base, error: failure };
      if (reason) return { ...base, skipped: reason };
      return measured?.rows.find(r => r.id === d.id) ?? { ...base, error: 'not found in the synthesized assembly' };
    });
    const rust = rows.find(r => r.id === 'rust-hello' && r.init);
    const hostOverhead = rust
      ? await measureHostOverhead(readAssembly(outdir).functions.find(f => f.constructPath === `${STACK}/rust-hello`)!, options.warm, log)
      : undefined;
    const settings = { cold: options.cold, warm: options.warm };
    const base = measured ?? { generatedAt: new Date().toISOString(), settings, formulas: { ...FORMULAS } };
    return {
      ...base,
      assembly: undefined, // a temporary folder, removed below
      machine: describeMachine(), // after the host overhead: the load average at the end
      rows,
      hostOverhead,
      goals: goals(rows, hostOverhead),
      remarks: [...workloadRemark(rows), ...sdkRemark(rows), ...pythonRemark(rows)],
      referenceSource: LAMBDA_PERF_SOURCE,
    };
  } finally {
    await localAws?.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The real workload next to hello: cold start + duration p50 (Init + Duration of each cold start) of each runtime's
 * hello and DynamoDB rows, and how many times Node.js's figure each of Rust and LLRT is.
 */
export function workloadRemark(rows: BenchRow[]): string[] {
  const get = (id: string) => rows.find(r => r.id === id && r.coldTotal);
  const node = { [HELLO]: get('nodejs-hello'), [DYNAMODB]: get('nodejs-dynamodb') };
  const out: string[] = [];
  for (const [workload, suffix] of [[HELLO, 'hello'], [DYNAMODB, 'dynamodb']] as const) {
    const base = node[workload];
    if (!base) continue;
    const parts = (['rust', 'llrt'] as const).flatMap(runtime => {
      const r = get(`${runtime}-${suffix}`);
      return r ? [`${r.label} ${r.coldTotal!.p50.toFixed(1)} ms (Node.js ${(base.coldTotal!.p50 / r.coldTotal!.p50).toFixed(1)}x slower)`] : [];
    });
    if (parts.length === 0) continue;
    out.push(`Cold start + duration p50, ${workload}: ${base.label} ${base.coldTotal!.p50.toFixed(1)} ms; ${parts.join('; ')}.`);
  }
  return out;
}

/** Which SDK each DynamoDB row ran, with its version. */
export function sdkRemark(rows: BenchRow[]): string[] {
  const measured = new Set(rows.filter(r => r.workload === DYNAMODB && !r.error && !r.skipped).map(r => r.id));
  if (measured.size === 0) return [];
  const repo = path.resolve(__dirname, '..');
  const lock = fs.readFileSync(path.join(repo, 'rust-handlers', 'dynamodb', 'Cargo.lock'), 'utf8');
  const rust = /name = "aws-sdk-dynamodb"\nversion = "([^"]+)"/.exec(lock)?.[1] ?? '?';
  const bundled = (JSON.parse(fs.readFileSync(require.resolve('@aws-sdk/client-dynamodb/package.json'), 'utf8')) as { version: string }).version;
  const shipped = '(as the runtime ships it; here the host\'s pinned copy where Lambda has its own)';
  const parts = [
    ['rust-dynamodb', `Rust: aws-sdk-dynamodb ${rust} (compiled in; rustls with ring)`],
    ['nodejs-dynamodb', `Node.js: @aws-sdk/client-dynamodb ${NODE_SDK_VERSION} ${shipped}`],
    ['python-dynamodb', `Python: boto3 ${BOTO3_VERSION} ${shipped}, with the bytecode pip compiled`],
    ['llrt-dynamodb', `LLRT: @aws-sdk/client-dynamodb ${bundled} (bundled by esbuild: our LLRT has no SDK inside)`],
  ].filter(([id]) => measured.has(id)).map(([, text]) => text);
  return [`SDKs of the DynamoDB rows: ${parts.join('; ')}; every client created at Init, the endpoint from AWS_ENDPOINT_URL (a local moto_server).`];
}

/** How the Python rows were built and run: for, and by, the local Python, with its bytecode. */
export function pythonRemark(rows: BenchRow[]): string[] {
  const pythons = rows.filter(r => r.python);
  if (pythons.length === 0) return [];
  const p = pythons[0].python!;
  return [`Python rows (${pythons.map(r => r.label).join('; ')}): built for and run by the local Python ${p.version} ` +
    `(${p.executable}): dependencies installed for python${p.version}, bytecode compiled by that interpreter ` +
    `(unchecked-hash; ${pythons.map(r => `${r.python!.pycFiles} .pyc`).join(', ')}), run with PYTHONDONTWRITEBYTECODE as on Lambda.`];
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

/** The chart's colours: Rust orange, LLRT rust-brown, Python (and the Flask rows) blue, Java brown, Node.js green. */
export function rowColor(row: BenchRow): string {
  if (row.id.startsWith('rust')) return '#d9531e';
  if (row.id.startsWith('llrt')) return '#b7410e';
  if (row.id.startsWith('python') || row.id.startsWith('flask')) return '#3572a5';
  if (row.id.startsWith('java')) return '#b07219';
  return '#6cc24a';
}

/** `npm run bench:coldstart`: resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: ColdStartOptions | undefined;
  try {
    options = parseColdStartArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results = await coldStartTable(options, log);
  const written = writeResults(results, options.out, { colorOf: rowColor });
  if (options.docs) {
    fs.mkdirSync(DOCS, { recursive: true });
    fs.writeFileSync(path.join(DOCS, 'coldstart.svg'), written.svg);
  }
  process.stdout.write(written.markdown);
  log(`wrote ${written.files.join(', ')}${options.docs ? ' and docs/coldstart.svg' : ''}`);
  return results.rows.some(r => r.error) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code; }, err => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
