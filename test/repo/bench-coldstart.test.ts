/**
 * The repository's cold-start table (bench/coldstart.ts): the package's `bench` over the comparison app, plus what
 * only this repository adds. Its options, the goal lines computed from the figures, the workload and Python remarks,
 * the chart's colours, and the local moto_server of the DynamoDB rows (started, table created, stopped). The run itself is `npm run bench:coldstart` (and the end of `npm run samples`).
 */
import * as net from 'net';
import { coldStartTable, goals, parseColdStartArgs, pythonRemark, rowColor, sdkRemark, workloadRemark } from '../../bench/coldstart';
import { BOTO3_VERSION, NODE_SDK_VERSION } from '../../lib/local';
import { BenchResults, BenchRow } from '../../lib/local/bench';

const row = (id: string, label: string, init: number, warm: number): BenchRow => ({
  id,
  label,
  runtime: 'provided.al2023',
  architecture: 'x86_64',
  memorySizeMb: 128,
  init: { p50: init, p90: init, p99: init, samples: [init] },
  coldDuration: { p50: 1.2 },
  warm: { p50: warm, p99: warm, roundTripP50: 0.3, samples: 100 },
});
const results = {
  rows: [row('rust-hello', 'Rust hello', 4.5, 0.2), { id: 'llrt-hello', label: 'LLRT hello', skipped: 'no LLRT binary' }, row('nodejs-hello', 'Node.js 24 hello', 120, 0.9)],
  hostOverhead: { durationP50: 0.15, roundTripP50: 0.25, roundTripP99: 0.6, samples: 100 },
} as Pick<BenchResults, 'rows' | 'hostOverhead'>;

test('goals are computed from the figures, never written as met', () => {
  const rows = results.rows;
  const met = goals(rows, results.hostOverhead);
  expect(met).toEqual([
    { goal: 'Rust hello Init p50 at least 10x lower than Node.js hello', met: true, detail: '26.7x (4.5 ms vs 120 ms)' },
    { goal: 'Rust warm p50 under 1 ms (host overhead included)', met: true, detail: 'Duration p50 0.2 ms, round trip p50 0.3 ms' },
    {
      goal: 'local host overhead below 1 ms p50 per invoke (no-op Rust handler)',
      met: true,
      detail: 'round trip p50 0.25 ms, p99 0.6 ms (83% of Rust hello\'s warm round trip)',
    },
  ]);
  const slowRust = rows.map(r => (r.id === 'rust-hello' ? { ...r, init: { ...r.init!, p50: 30 }, warm: { ...r.warm!, p50: 1.5 } } : r));
  const missed = goals(slowRust, { ...results.hostOverhead!, roundTripP50: 1.2 })!;
  expect(missed.map(g => g.met)).toEqual([false, false, false]);
  expect(goals(rows.filter(r => r.id !== 'nodejs-hello'), undefined)!.map(g => g.goal)).toEqual(['Rust warm p50 under 1 ms (host overhead included)']);
  const flask = (id: string, p50: number) => ({ ...rows[0], id, init: { ...rows[0].init!, p50 }, coldDuration: { p50: 2 } });
  const adapterGoal = (adapter: number, wsgi: number) => goals([flask('flask-web-adapter', adapter), flask('flask-wsgi', wsgi)], undefined)!;
  expect(adapterGoal(190, 200)).toEqual([{
    goal: 'Flask behind the Web Adapter: Init p50 at most that of the same app in-process behind apig-wsgi',
    met: true,
    detail: '190 ms vs 200 ms (0.95x); Init + first invoke Duration: 192 ms vs 202 ms',
  }]);
  expect(adapterGoal(230, 200)[0].met).toBe(false);
});

test('options: --quick is 3 cold / 10 warm, the defaults 20 / 100; bad values and rows are refused naming the fix', () => {
  expect(parseColdStartArgs([])).toEqual({ cold: 20, warm: 100, out: 'bench-results', only: undefined, docs: false });
  expect(parseColdStartArgs(['--quick', '--docs', '--only', 'rust-hello, llrt-hello', '--out', 'x'])).toEqual({
    cold: 3, warm: 10, out: 'x', only: ['rust-hello', 'llrt-hello'], docs: true,
  });
  expect(parseColdStartArgs(['--quick', '--cold', '5'])).toMatchObject({ cold: 5, warm: 10 });
  expect(parseColdStartArgs(['--help'])).toBeUndefined();
  expect(() => parseColdStartArgs(['--cold', 'x'])).toThrow("--cold must be a positive whole number, got 'x'; for example --cold 20");
  expect(() => parseColdStartArgs(['--only', 'rust-hello,go-hello'])).toThrow("--only: unknown row 'go-hello'; expected some of rust-hello, rust-dynamodb, " +
    'nodejs-hello, nodejs-dynamodb, python-hello, python-dynamodb, llrt-hello, llrt-dynamodb, java-hello, java-dynamodb, flask-web-adapter, flask-wsgi');
  expect(() => parseColdStartArgs(['--fast'])).toThrow(/^bench:coldstart: Unknown option '--fast'/);
});

test('the workload remark puts each real-workload ratio to Node.js next to hello\'s, from cold start + duration p50', () => {
  const timed = (id: string, label: string, p50: number): BenchRow => ({
    ...row(id, label, p50 - 1, 1), coldTotal: { p50, p90: p50, p95: p50, p99: p50, max: p50, samples: [p50] },
  });
  const rows = [timed('rust-hello', 'Rust hello', 4), timed('rust-dynamodb', 'Rust DynamoDB', 40), timed('nodejs-hello', 'Node.js 24 hello', 100),
    timed('nodejs-dynamodb', 'Node.js 24 DynamoDB', 300), timed('llrt-dynamodb', 'LLRT DynamoDB', 120)];
  expect(workloadRemark(rows)).toEqual([
    'Cold start + duration p50, hello: Node.js 24 hello 100.0 ms; Rust hello 4.0 ms (Node.js 25.0x slower).',
    'Cold start + duration p50, DynamoDB PutItem + GetItem: Node.js 24 DynamoDB 300.0 ms; Rust DynamoDB 40.0 ms (Node.js 7.5x slower); ' +
    'LLRT DynamoDB 120.0 ms (Node.js 2.5x slower).',
  ]);
  expect(workloadRemark(rows.filter(r => !r.id.startsWith('nodejs')))).toEqual([]);
});

test('the SDK remark names the SDK and version of each measured DynamoDB row', () => {
  const dynamo = (id: string): BenchRow => ({ ...row(id, id, 10, 1), workload: 'DynamoDB PutItem + GetItem' });
  const [remark] = sdkRemark([results.rows[0], dynamo('rust-dynamodb'), dynamo('python-dynamodb'), { ...dynamo('nodejs-dynamodb'), error: 'x' }]);
  expect(remark).toMatch(/^SDKs of the DynamoDB rows: Rust: aws-sdk-dynamodb 1\.\d+\.\d+ \(compiled in; rustls with ring\); /);
  expect(remark).toContain(`Python: boto3 ${BOTO3_VERSION} (as the runtime ships it; here the host's pinned copy where Lambda has its own), with the bytecode pip compiled;`);
  expect(remark).not.toContain(NODE_SDK_VERSION); // the Node.js row failed
  expect(remark).not.toContain('LLRT');
  expect(sdkRemark([results.rows[0]])).toEqual([]);
});

test('the Python remark says which interpreter built and ran the Python rows, and how much bytecode each asset holds', () => {
  const flask = (id: string, label: string, pycFiles: number): BenchRow => ({
    ...row(id, label, 120, 1), runtime: 'python3.11', python: { version: '3.11', executable: '/usr/bin/python3.11', pycFiles },
  });
  expect(pythonRemark([results.rows[0], flask('flask-web-adapter', 'Flask via Web Adapter, Python 3.11', 190), flask('flask-wsgi', 'Flask via apig-wsgi, Python 3.11', 180)])).toEqual([
    'Python rows (Flask via Web Adapter, Python 3.11; Flask via apig-wsgi, Python 3.11): built for and run by the ' +
    'local Python 3.11 (/usr/bin/python3.11): dependencies installed for python3.11, bytecode compiled by that interpreter ' +
    '(unchecked-hash; 190 .pyc, 180 .pyc), run with PYTHONDONTWRITEBYTECODE as on Lambda.',
  ]);
  expect(pythonRemark([results.rows[0]])).toEqual([]);
});

test('the chart keeps its colours: Rust, LLRT, Python and Flask, Java, Node.js', () => {
  expect(['rust-hello', 'llrt-hello', 'python-hello', 'flask-wsgi', 'java-hello', 'java-dynamodb', 'nodejs-hello'].map(id => rowColor({ id, label: id })))
    .toEqual(['#d9531e', '#b7410e', '#3572a5', '#3572a5', '#b07219', '#b07219', '#6cc24a']);
});

test('a row that cannot be built is an error row, in the table\'s order, and the others are not run for it', async () => {
  // Nothing to build or run: an LLRT binary path that does not exist fails the one row asked for at synth.
  const saved = process.env.LLRT_BINARY_PATH;
  process.env.LLRT_BINARY_PATH = '/nonexistent/llrt-lambda-x64.zip';
  const lines: string[] = [];
  try {
    const table = await coldStartTable({ cold: 1, warm: 1, out: 'unused', only: ['llrt-hello'], docs: false }, line => lines.push(line));
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]).toMatchObject({ id: 'llrt-hello', label: 'LLRT hello', reference: { initMs: 68, memoryMb: 30 } });
    expect(table.rows[0].error).toMatch(/^cannot be built: /);
    expect(table.hostOverhead).toBeUndefined();
    expect(table.referenceSource).toMatch(/^maxday\/lambda-perf/);
    expect(lines.some(l => l.startsWith('[llrt-hello] failed to build: '))).toBe(true);
  } finally {
    if (saved === undefined) delete process.env.LLRT_BINARY_PATH;
    else process.env.LLRT_BINARY_PATH = saved;
  }
});

test('the DynamoDB rows run against a moto_server the run starts on 127.0.0.1 with the table, and stops at the end', async () => {
  const lines: string[] = [];
  const table = await coldStartTable({ cold: 2, warm: 2, out: 'unused', only: ['nodejs-dynamodb'], docs: false }, line => lines.push(line));
  expect(table.rows).toHaveLength(1);
  const measured = table.rows[0];
  expect(measured.error).toBeUndefined();
  expect(measured).toMatchObject({ id: 'nodejs-dynamodb', label: 'Node.js 24 DynamoDB', workload: 'DynamoDB PutItem + GetItem' });
  expect(measured.coldTotal!.samples).toHaveLength(2);
  const started = lines.map(l => /^moto_server on http:\/\/127\.0\.0\.1:(\d+), table rustacean-lambda-bench created, for nodejs-dynamodb$/.exec(l)).find(Boolean);
  expect(started).toBeTruthy();
  // Stopped: nothing listens on its port any more.
  const refused = await new Promise<boolean>(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port: Number(started![1]) });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
  expect(refused).toBe(true);
}, 10 * 60_000);
