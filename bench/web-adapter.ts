/**
 * Benchmark: where the Init of a web app behind the Lambda Web Adapter goes, and the adapter's per-request
 * overhead, in one run on one machine.
 *
 * Where Init goes (--cold N cold starts each of the Flask and the Express sample, staged by WebAdapterFunction:
 * pip for the local Python with its bytecode, npm ci; run with PYTHONDONTWRITEBYTECODE, as /var/task is
 * read-only on Lambda). Every phase is timed from the moment the local host lets the processes go (the adapter
 * as an extension, the app through the /opt/bootstrap wrapper, in parallel, as on Lambda):
 *   adapter start       until the adapter registers with the Extensions API
 *   app listening       until the app says it serves (the Flask sample's serve.py writes `Serving on` once the app
 *                       is imported and waitress is about to accept, the Express sample `listening on` once it
 *                       listens: read from its output as it arrives, so nothing probes the app or polls the
 *                       kernel while it starts)
 *   readiness check     from serving until init ends (the adapter got its healthy answer and asked the Runtime
 *                       API for the first event)
 *   Init                the local Init Duration
 *   first request       the Duration of the first invoke
 *
 * The same Flask app (samples/web-adapter/flask, staged by WebAdapterFunction with its dependencies) is called
 * warm, one request at a time, along four paths:
 *   adapter   local Lambda host -> lambda-adapter (Rust, built from source by WebAdapterLayer.fromSource)
 *             -> HTTP on 127.0.0.1 -> waitress -> Flask
 *   direct    HTTP client -> waitress -> Flask on 127.0.0.1 (no Lambda at all: the floor for the app itself), with
 *             a keep-alive connection, as the adapter keeps one
 *   wsgi      local Lambda host -> awslambdaric (the official Python runtime client) -> apig-wsgi -> Flask, in
 *             one Python process (what a Python-only adapter gives)
 *   host      local Lambda host -> a minimal Node.js echo runtime (what the local host itself costs per invoke)
 * The events are API Gateway HTTP API (v2) requests for GET /hello/bench?x=1; the direct path sends that request.
 * All four run side by side and are measured round-robin (one request per path per round, the order rotating),
 * so a change in the machine's load during the run affects every path alike.
 *
 * Usage: npx ts-node --project test/tsconfig.json bench/web-adapter.ts [--cold 5] [--requests 300] [--warmup 30] [--json out.json]
 * Python packages for the wsgi path (awslambdaric, apig-wsgi) are installed into .rustacean-lambda/bench/.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { WebAdapterFunction, WebAdapterLayer } from '../lib';
import { LocalFunction, RuntimeApiServer, startFunction } from '../lib/local';
import { findPython } from '../test/support/python';
import {
  assetDir, EXPRESS_APP, FLASK_APP, freePort, functionEnvironment, httpApiEvent, pythonBinDir, startWebApp, withoutDocker,
} from '../test/support/web-adapter';

const AWSLAMBDARIC = 'awslambdaric==4.2.2';
const APIG_WSGI = 'apig-wsgi==2.20.0';
const ROOT = path.join(__dirname, '..');
const ECHO_RUNTIME = path.join(ROOT, 'test', 'local', 'fixtures', 'echo-runtime.js');

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
};
const COLD = Number(arg('cold', '5'));
const REQUESTS = Number(arg('requests', '300'));
const WARMUP = Number(arg('warmup', '30'));
const JSON_OUT = arg('json', '');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-wa-'));
const processes: ChildProcess[] = [];
const functions: LocalFunction[] = [];

interface Sample { readonly name: string; readonly what: string; readonly ms: number[] }

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface Staged { readonly appDir: string; readonly layerDir: string; readonly environment: Record<string, string> }

/**
 * Stages the Flask app (for the local Python, with its bytecode), the Express app (npm ci) and the adapter layer
 * exactly as a synth would.
 */
async function stage(): Promise<{ flask: Staged; express: Staged }> {
  withoutDocker();
  const app = new App({ outdir: path.join(scratch, 'cdk.out') });
  const stack = new Stack(app, 'Bench', { env: { account: '123456789012', region: 'us-east-1' } });
  const architecture = process.arch === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
  const layer = WebAdapterLayer.fromSource();
  const flask = new WebAdapterFunction(stack, 'Flask', {
    appPath: FLASK_APP,
    runtime: new lambda.Runtime(`python${findPython().version}`, lambda.RuntimeFamily.PYTHON),
    architecture,
    adapterLayer: layer,
    port: await freePort(),
  });
  const express = new WebAdapterFunction(stack, 'Express', {
    appPath: EXPRESS_APP,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture,
    adapterLayer: layer,
    port: await freePort(),
  });
  const staged = (fn: WebAdapterFunction): Staged => ({
    appDir: assetDir(app, fn.node.defaultChild as lambda.CfnFunction),
    layerDir: assetDir(app, (fn.adapter.layer as lambda.LayerVersion).node.defaultChild as lambda.CfnLayerVersion),
    environment: functionEnvironment(fn),
  });
  return { flask: staged(flask), express: staged(express) };
}

/** The line each sample writes once it serves: serve.py's `Serving on` (Flask), the Express sample's `listening on`. */
const LISTENING_LINE = /Serving on http|listening on \d/;

/** Phases of one cold start, in ms from the moment the processes were let go. */
interface InitPhases {
  readonly adapterRegistered: number;
  readonly appListening: number;
  readonly init: number;
  readonly firstRequest: number;
}

/** One cold start of a staged app through the real adapter, timed phase by phase. */
async function coldStart(staged: Staged, env: Record<string, string>, event: unknown): Promise<InitPhases> {
  let startedAt = 0;
  let registeredAt: number | undefined;
  let listeningAt: number | undefined;
  let output = '';
  const local = await startWebApp({
    ...staged,
    handler: 'run.sh',
    extraPath: [pythonBinDir()],
    extraEnv: env,
    initTimeoutMs: 30_000,
    onServer: (server: RuntimeApiServer) => {
      server.once('processStart', () => {
        startedAt = performance.now();
      });
      server.once('extensionRegistered', () => {
        registeredAt = performance.now();
      });
    },
    onOutput: (label, _stream, chunk) => {
      if (listeningAt !== undefined || label !== 'bootstrap') return;
      output += chunk;
      if (LISTENING_LINE.test(output)) listeningAt = performance.now();
    },
  });
  try {
    const init = local.initDurationMs;
    const result = await local.invoke(event, { timeoutMs: 30_000 });
    const status = result.ok ? (JSON.parse(result.payload) as { statusCode?: number }).statusCode : undefined;
    if (status !== 200) throw new Error(`unexpected answer: ${result.payload}\n${local.stderr().slice(-3000)}`);
    if (registeredAt === undefined) throw new Error('the adapter never registered as an extension');
    if (listeningAt === undefined) throw new Error(`the app never wrote a line matching ${LISTENING_LINE}:\n${output.slice(-2000)}`);
    return { adapterRegistered: registeredAt - startedAt, appListening: listeningAt - startedAt, init, firstRequest: result.durationMs };
  } finally {
    await local.stop();
  }
}

interface InitRow { readonly app: string; readonly what: string; readonly phases: InitPhases[] }

/** `--cold` cold starts of each sample; the rows of the "where Init goes" table. */
async function whereInitGoes(staged: { flask: Staged; express: Staged }): Promise<InitRow[]> {
  const event = httpApiEvent('GET', '/hello/bench', { query: 'x=1' });
  const rows: InitRow[] = [];
  const apps: Array<[string, string, Staged, Record<string, string>]> = [
    ['Flask', `waitress + Flask, Python ${findPython().version}, bytecode`, staged.flask, { PYTHONDONTWRITEBYTECODE: '1' }],
    ['Express', `Express 5, Node.js ${process.versions.node}`, staged.express, {}],
  ];
  for (const [app, what, stagedApp, env] of apps) {
    const phases: InitPhases[] = [];
    for (let i = 0; i < COLD; i++) {
      phases.push(await coldStart(stagedApp, env, event));
      log(`${app} cold ${i + 1}/${COLD}: Init ${phases[phases.length - 1].init.toFixed(1)} ms`);
    }
    rows.push({ app, what, phases });
  }
  return rows;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function initReport(rows: InitRow[]): string[] {
  const f = (n: number) => n.toFixed(1);
  return [
    `Where Init goes: p50 of ${COLD} cold starts per app through the real adapter (ms from the moment the host lets the ` +
      'adapter and the app go, in parallel as on Lambda)',
    '',
    '| app | adapter start (registered) | app start to listening (its log line) | readiness check (listening to ready) | Init | first request |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(r => {
      const m = (pick: (p: InitPhases) => number) => median(r.phases.map(pick));
      const listen = m(p => p.appListening);
      return `| ${r.app} (${r.what}) | ${f(m(p => p.adapterRegistered))} | ${f(listen)} | ` +
        `${f(median(r.phases.map(p => Math.max(0, p.init - p.appListening))))} | ${f(m(p => p.init))} | ${f(m(p => p.firstRequest))} |`;
    }),
    '',
  ];
}

/** A virtualenv with the Python runtime client and the WSGI adapter, kept between runs. */
function wsgiVenv(): string {
  const version = findPython().version;
  const venv = path.join(ROOT, '.rustacean-lambda', 'bench', `venv-py${version}`);
  const marker = path.join(venv, '.installed');
  const wanted = `${AWSLAMBDARIC} ${APIG_WSGI}\n`;
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf-8') === wanted) return venv;
  log(`creating ${path.relative(ROOT, venv)} with ${AWSLAMBDARIC} ${APIG_WSGI}`);
  fs.rmSync(venv, { recursive: true, force: true });
  execFileSync(findPython().command, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
    '--only-binary=:all:', AWSLAMBDARIC, APIG_WSGI], { stdio: 'inherit' });
  fs.writeFileSync(marker, wanted);
  return venv;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

interface Path { readonly name: string; readonly what: string; readonly once: () => Promise<void> }

/** Warms every path up, then measures them round-robin, rotating the order each round; ms per request. */
async function measure(paths: Path[]): Promise<Sample[]> {
  for (const p of paths) {
    for (let i = 0; i < WARMUP; i++) await p.once();
  }
  const ms = paths.map(() => [] as number[]);
  for (let round = 0; round < REQUESTS; round++) {
    for (let k = 0; k < paths.length; k++) {
      const index = (round + k) % paths.length;
      const started = process.hrtime.bigint();
      await paths[index].once();
      ms[index].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  log(`${REQUESTS} requests per path`);
  return paths.map((p, i) => ({ name: p.name, what: p.what, ms: ms[i] }));
}

/** Invokes a local function with an HTTP API event and checks the app answered. */
function invoker(local: LocalFunction, event: unknown): () => Promise<void> {
  return async () => {
    const result = await local.invoke(event, { timeoutMs: 30_000 });
    const status = result.ok ? (JSON.parse(result.payload) as { statusCode?: number }).statusCode : undefined;
    if (status !== 200) throw new Error(`unexpected answer: ${result.payload}\n${local.stderr().slice(-3000)}`);
  };
}

function get(port: number, urlPath: string, agent: http.Agent | false = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'GET', agent }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForHttp(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await get(port, '/')) === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`nothing answered on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  log('staging the Flask and Express apps and building the adapter layer (first run: minutes)');
  const both = await stage();
  const staged = both.flask;
  const initRows = COLD > 0 ? await whereInitGoes(both) : [];
  if (initRows.length > 0) process.stdout.write(`${initReport(initRows).join('\n')}\n`);
  const venv = wsgiVenv();
  const pathPrefix = [pythonBinDir()];
  const event = httpApiEvent('GET', '/hello/bench', { query: 'x=1' });

  // (a) through the real adapter
  const adapter = await startWebApp({ ...staged, handler: 'run.sh', extraPath: pathPrefix, extraEnv: { PYTHONDONTWRITEBYTECODE: '1' } });
  functions.push(adapter);

  // (b) the same waitress + Flask on another port, called directly over one kept-alive connection
  const port = await freePort();
  const direct = spawn(path.join(staged.appDir, 'run.sh'), [], {
    cwd: staged.appDir,
    env: { PATH: [...pathPrefix, process.env.PATH].join(path.delimiter), PORT: String(port), HOME: os.tmpdir(), PYTHONDONTWRITEBYTECODE: '1' },
    stdio: 'ignore',
    detached: true,
  });
  processes.push(direct);
  await waitForHttp(port, 30_000);
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

  // (c) awslambdaric + apig-wsgi, in-process
  const handlerDir = path.join(scratch, 'wsgi');
  fs.mkdirSync(handlerDir);
  fs.writeFileSync(path.join(handlerDir, 'bench_wsgi.py'),
    'from apig_wsgi import make_lambda_handler\nfrom app import app\n\nhandler = make_lambda_handler(app)\n');
  const wsgi = await startFunction({
    bootstrap: path.join(venv, 'bin', 'python'),
    bootstrapArgs: ['-m', 'awslambdaric', 'bench_wsgi.handler'],
    handler: 'bench_wsgi.handler',
    cwd: handlerDir,
    env: { PYTHONPATH: [handlerDir, staged.appDir].join(path.delimiter), HOME: os.tmpdir() },
    initTimeoutMs: 30_000,
  });
  functions.push(wsgi);

  // (d) the local host's own cost
  const echo = await startFunction({ bootstrap: process.execPath, bootstrapArgs: [ECHO_RUNTIME], cwd: scratch });
  functions.push(echo);

  const samples = await measure([
    { name: 'adapter', what: 'host → lambda-adapter → HTTP → waitress → Flask', once: invoker(adapter, event) },
    {
      name: 'direct',
      what: 'HTTP → waitress → Flask',
      once: async () => {
        const status = await get(port, '/hello/bench?x=1', keepAlive);
        if (status !== 200) throw new Error(`direct request answered ${status}`);
      },
    },
    { name: 'wsgi', what: 'host → awslambdaric → apig-wsgi → Flask', once: invoker(wsgi, event) },
    {
      name: 'host',
      what: 'host → Node.js echo runtime (no app)',
      once: async () => {
        const result = await echo.invoke(event, { timeoutMs: 30_000 });
        if (!result.ok) throw new Error(result.payload);
      },
    },
  ]);
  report(samples, initRows);
}

function report(samples: Sample[], initRows: InitRow[]): void {
  const stats = new Map(samples.map(s => {
    const sorted = [...s.ms].sort((a, b) => a - b);
    return [s.name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: s.ms.reduce((a, b) => a + b, 0) / s.ms.length }];
  }));
  const direct = stats.get('direct')!;
  const wsgi = stats.get('wsgi')!;
  const f = (n: number) => n.toFixed(2);
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const lines = [
    `Warm invoke latency, ${REQUESTS} sequential requests per path (round-robin) after ${WARMUP} warm-up requests ` +
      `(${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? process.arch}, Node.js ${process.version}, Python ${findPython().version})`,
    '',
    '| path | what is measured | p50 ms | p99 ms | mean ms | p50 vs direct | p50 vs wsgi |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...samples.map(s => {
      const st = stats.get(s.name)!;
      return `| ${s.name} | ${s.what} | ${f(st.p50)} | ${f(st.p99)} | ${f(st.mean)} | ${x(st.p50, direct.p50)} | ${x(st.p50, wsgi.p50)} |`;
    }),
    '',
    `p50 differences: adapter - direct = ${f(stats.get('adapter')!.p50 - direct.p50)} ms, adapter - wsgi = ` +
      `${f(stats.get('adapter')!.p50 - wsgi.p50)} ms; the local host with a trivial runtime takes ` +
      `${f(stats.get('host')!.p50)} ms per invoke (it is part of the adapter and wsgi paths, not of direct).`,
    '',
    `- ${stats.get('adapter')!.p50 - direct.p50 <= 1 ? 'met' : 'NOT met'}: warm overhead of the adapter vs direct HTTP at most ` +
      `1 ms p50: ${f(stats.get('adapter')!.p50 - direct.p50)} ms (the local host's own invoke round trip included)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (JSON_OUT) {
    fs.mkdirSync(path.dirname(path.resolve(JSON_OUT)), { recursive: true });
    fs.writeFileSync(JSON_OUT, JSON.stringify({
      requests: REQUESTS, warmup: WARMUP, stats: Object.fromEntries(stats), samples, cold: COLD, init: initRows,
    }, null, 2));
  }
}

function stopProcess(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
}

async function cleanup(): Promise<void> {
  await Promise.all(functions.map(fn => fn.stop()));
  processes.forEach(stopProcess);
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().then(cleanup, async (err: Error) => {
  await cleanup();
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
