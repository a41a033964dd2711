/**
 * `rustacean-lambda bench` on any app: the rendering of its Markdown and SVG, the package sizing, and a real run over
 * a small synthesized app (a Rust hello built with cargo-lambda, Node.js functions, a Java function the host cannot
 * run) through the CLI.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CLI_CONTEXT, NODE_HANDLERS, runCli as cli, tempDir } from './apps';
import { RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { BenchResults, BenchRow, coldStartTotals, percentiles, renderMarkdown, renderSvg } from '../../lib/local/bench';
import { RUST_HANDLERS } from '../support/rust';

// The first run builds the Rust hello with cargo-lambda and installs aws-lambda-ric: minutes; later runs: seconds.
jest.setTimeout(15 * 60_000);

const results: BenchResults = {
  generatedAt: '2026-11-27T00:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'Test CPU', arch: 'x64', loadAverage: [0.5, 0.4, 0.3], node: '20.0.0', python: '3.12' },
  settings: { cold: 20, warm: 100 },
  rows: [
    {
      id: 'rust-hello',
      label: 'Rust hello',
      runtime: 'provided.al2023',
      architecture: 'x86_64',
      memorySizeMb: 128,
      notes: [],
      workload: 'hello',
      init: { p50: 4.5, p90: 6, p99: 9, samples: [4.5] },
      coldDuration: { p50: 1.2 },
      coldTotal: { p50: 5.7, p90: 7.1, p95: 8, p99: 10.2, max: 12.5, samples: [5.7] },
      warm: { p50: 0.2, p99: 0.5, roundTripP50: 0.3, samples: 100 },
      maxMemoryMb: 3,
      packageBytes: { zip: 400 * 1024, unzipped: 900 * 1024 },
      costPerMillion: { cold: 0.21, warm: 0.2 },
      reference: { initMs: 16, memoryMb: 15 },
    },
    { id: 'llrt-hello', label: 'LLRT hello', skipped: 'no LLRT binary: set LLRT_BINARY_PATH', reference: { initMs: 68, memoryMb: 30 } },
    {
      id: 'nodejs-hello',
      label: 'Node.js 24 hello',
      runtime: 'nodejs24.x',
      architecture: 'x86_64',
      memorySizeMb: 128,
      notes: ['nodejs24.x runs on the local Node.js 22.1.0'],
      workload: 'DynamoDB',
      init: { p50: 120, p90: 130, p99: 150, samples: [120] },
      coldDuration: { p50: 3 },
      coldTotal: { p50: 123, p90: 134, p95: 140, p99: 155, max: 160, samples: [123] },
      warm: { p50: 0.9, p99: 2, roundTripP50: 1.1, samples: 100 },
      maxMemoryMb: 44,
      packageBytes: { zip: 300, unzipped: 250 },
      costPerMillion: { cold: 0.46, warm: 0.2 },
      reference: { initMs: 142, memoryMb: 67 },
    },
  ],
  hostOverhead: { durationP50: 0.15, roundTripP50: 0.25, roundTripP99: 0.6, samples: 100 },
  goals: [{ goal: 'Rust hello Init p50 at least 10x lower than Node.js hello', met: true, detail: '26.7x' }],
  referenceSource: 'lambda-perf (test)',
  formulas: { init: 'i', billedCold: 'bc', billedWarm: 'bw', costPerMillion: 'c', maxMemory: 'm', packageZip: 'p' },
};

test('percentiles: nearest rank on fixed samples, and the largest one', () => {
  const samples = Array.from({ length: 20 }, (_, i) => 20 - i); // 20, 19, ..., 1: order does not matter
  expect(percentiles(samples)).toEqual({ p50: 10, p90: 18, p95: 19, p99: 20, max: 20 });
  expect(percentiles([7.123])).toEqual({ p50: 7.12, p90: 7.12, p95: 7.12, p99: 7.12, max: 7.12 });
  // 100 samples 1..100: rank ceil(p/100 x n).
  expect(percentiles(Array.from({ length: 100 }, (_, i) => i + 1))).toEqual({ p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
  expect(percentiles([3, 1, 2, 5, 4])).toEqual({ p50: 3, p90: 5, p95: 5, p99: 5, max: 5 });
  expect(() => percentiles([])).toThrow('percentiles of no samples: measure at least one');
});

test('cold start + duration pairs each cold start\'s Init with its own Duration: p50 of the sums, not the sum of p50s', () => {
  const inits = [10, 100, 20];
  const durations = [50, 1, 5];
  expect(coldStartTotals(inits, durations)).toEqual([60, 101, 25]);
  // p50 of the sums is 60; the sum of the p50s would be 20 + 5 = 25.
  expect(percentiles(coldStartTotals(inits, durations))).toEqual({ p50: 60, p90: 101, p95: 101, p99: 101, max: 101 });
  expect(coldStartTotals([1.005, 2.111], [0.004, 0.333])).toEqual([1.01, 2.44]);
  expect(() => coldStartTotals([1, 2], [1])).toThrow('cold start + duration needs one Duration per Init: got 2 Init and 1 Duration samples');
});

test('renders the summary table with the reference beside each row, skipped rows with their reason, the goals and notes', () => {
  const md = renderMarkdown(results);
  expect(md).toContain('| function | Init p50 | Duration p50, cold | Duration p50, warm | max memory | package (zip) | $ per 1M, cold | $ per 1M, warm | lambda-perf Init / memory |\n');
  expect(md).toContain('| Rust hello | 4.5 ms | 1.20 ms | 0.20 ms | 3 MB | 400 KiB | 0.21 | 0.20 | 16 ms / 15 MB |');
  expect(md).toContain('| LLRT hello | skipped: no LLRT binary: set LLRT_BINARY_PATH | | | | | | | 68 ms / 30 MB |');
  expect(md).toContain('| Node.js 24 hello | 120.0 ms | 3.00 ms | 0.90 ms | 44 MB | 0.3 KiB | 0.46 | 0.20 | 142 ms / 67 MB |');
  expect(md).toContain('Host overhead per invoke (no-op Rust handler, 100 invokes): round trip p50 0.25 ms, p99 0.6 ms; of which Duration p50 0.15 ms.');
  expect(md).toContain('- met: Rust hello Init p50 at least 10x lower than Node.js hello: 26.7x');
  expect(md).toContain('- note: Node.js 24 hello: nodejs24.x runs on the local Node.js 22.1.0');
});

test('renders cold start + duration at p50, p90, p95, p99 and max in a second table, measured rows only', () => {
  const md = renderMarkdown(results);
  expect(md).toContain('Cold start + duration (Init + Duration of each cold start, what its caller waits for), 20 cold starts per function; ' +
    'Init p90/p99 and warm p99 beside it:\n\n| function | cold start + duration p50 | p90 | p95 | p99 | max | Init p90 | Init p99 | warm p99 |\n|---|---:|');
  expect(md).toContain('| Rust hello | 5.7 ms | 7.1 ms | 8.0 ms | 10.2 ms | 12.5 ms | 6.0 ms | 9.0 ms | 0.50 ms |\n');
  expect(md).toContain('| Node.js 24 hello | 123.0 ms | 134.0 ms | 140.0 ms | 155.0 ms | 160.0 ms | 130.0 ms | 150.0 ms | 2.00 ms |\n');
  expect(md.split('\n').filter(l => l.startsWith('| LLRT hello'))).toHaveLength(1); // skipped: in the summary only
  expect(renderMarkdown({ ...results, rows: [results.rows[1]] })).not.toContain('Cold start + duration (');
});

test('draws cold start + duration per measured row on a log axis (Init, then Duration), workloads told apart, reference marks, well-formed XML', () => {
  const svg = renderSvg(results);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('>Cold start + duration p50, measured locally (log scale)</text>');
  // Init bars start at the axis: Rust and Node.js; LLRT is skipped.
  const inits = [...svg.matchAll(/<rect x="190" y="[\d.]+" width="([\d.]+)" height="20" fill="#[0-9a-f]{6}"\/>/g)].map(m => Number(m[1]));
  expect(inits).toHaveLength(2);
  // Log scale (plot 400 px over 3 decades): 4.5 ms and 120 ms are about 1.43 decades apart.
  expect((inits[1] - inits[0]) / (400 / 3)).toBeCloseTo(Math.log10(120 / 4.5), 1);
  // The Duration segments follow the Init bars, in a lighter shade: Init + Duration = 5.7 ms and 123 ms.
  const durations = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="20" fill="#[0-9a-f]{6}" fill-opacity="0.45"\/>/g)]
    .map(m => [Number(m[1]), Number(m[2])]);
  expect(durations).toHaveLength(2);
  expect(durations[0][0]).toBeCloseTo(190 + inits[0], 0);
  // The axis starts at 1 ms: the bar ends log10(5.7) decades from it.
  expect((durations[0][0] + durations[0][1] - 190) / (400 / 3)).toBeCloseTo(Math.log10(5.7), 1);
  expect(svg).toContain('>5.7 ms (Init 4.5)</text>');
  expect(svg).toContain('>123.0 ms (Init 120.0)</text>');
  // The bar ends at the table's cold start + duration p50 (p50 of the sums), not at Init p50 + Duration p50.
  const skewed = { ...results.rows[0], coldTotal: { ...results.rows[0].coldTotal!, p50: 8 } };
  expect(renderSvg({ ...results, rows: [skewed] })).toContain('>8.0 ms (Init 4.5)</text>');
  // The second workload (Node.js row: DynamoDB) is hatched, and the legend names both.
  expect(svg.match(/<rect x="190" y="[\d.]+" width="[\d.]+" height="20" fill="url\(#hatch\)"\/>/g)).toHaveLength(1);
  expect(svg).toContain('>plain: hello; hatched: DynamoDB</text>');
  expect(svg.match(/stroke-dasharray="3,2"/g)).toHaveLength(4); // three references + the legend
  expect(svg).toContain('>skipped</text>');
  expect(svg).toContain('>1 ms</text>');
  expect(svg).toContain('>100 ms</text>');
  const open = (svg.match(/<(text|line|rect|svg|defs|pattern)\b/g) ?? []).length;
  const closed = (svg.match(/<\/(text|svg|defs|pattern)>|\/>/g) ?? []).length;
  expect(closed).toBe(open);
});

test('without reference figures: no lambda-perf column or legend; remarks after the goals; mixed shapes said so', () => {
  const arm = { ...results.rows[0], id: 'App/Arm', label: 'App/Arm', architecture: 'arm64', memorySizeMb: 256, reference: undefined };
  const generic: BenchResults = { ...results, referenceSource: undefined, rows: [arm, { ...results.rows[2], reference: undefined }], remarks: ['A remark.'] };
  const md = renderMarkdown(generic);
  expect(md).toContain('| function | Init p50 | Duration p50, cold | Duration p50, warm | max memory | package (zip) | $ per 1M, cold | $ per 1M, warm |\n');
  expect(md).toContain('| App/Arm | 4.5 ms | 1.20 ms | 0.20 ms | 3 MB | 400 KiB | 0.21 | 0.20 |\n');
  expect(md).not.toContain('lambda-perf');
  expect(md).toContain('26.7x\n\nA remark.\n\n- note: Node.js 24 hello');
  expect(md).toContain('Architecture and memory as each function is defined. Cost: c;');
  expect(renderMarkdown(results)).toContain('All functions x86_64, 128 MB. Reference column: lambda-perf (test). Cost: c;');
  const svg = renderSvg(generic);
  expect(svg).not.toContain('stroke-dasharray');
  expect(svg).toContain('>20 cold starts each</text>');
  // Bars coloured by runtime: a custom runtime orange, Node.js green.
  expect(svg.match(/height="20" fill="(#[0-9a-f]{6})"\/>/g)).toEqual(['height="20" fill="#d9531e"/>', 'height="20" fill="#6cc24a"/>']);
});

describe('rustacean-lambda bench on a synthesized app', () => {
  let assembly: string;
  let scratch: string;

  beforeAll(() => {
    CargoLambdaBuild.reset();
    assembly = tempDir('bench-out');
    scratch = tempDir('bench-results');
    const app = new App({ outdir: assembly, context: CLI_CONTEXT });
    const stack = new Stack(app, 'LocalBench');
    new RustFunction(stack, 'Hello', { manifestPath: RUST_HANDLERS, binaryName: 'hello', architecture: lambda.Architecture.X86_64 });
    const node = (id: string, handler: string, runtime = lambda.Runtime.NODEJS_24_X) => new lambda.Function(stack, id, {
      runtime, handler, code: lambda.Code.fromAsset(NODE_HANDLERS), memorySize: 256,
    });
    node('NodeHello', 'index.handler');
    node('NodeFails', 'index.fail');
    node('DotnetHello', 'Hello::Hello.Function::Handler', lambda.Runtime.DOTNET_10);
    app.synth();
  });

  afterAll(() => {
    for (const dir of [assembly, scratch]) fs.rmSync(dir, { recursive: true, force: true });
  });

  const readJson = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'coldstart.json'), 'utf8')) as BenchResults;

  test('measures the functions named: N cold starts and M warm invokes each, the Markdown on stdout and in coldstart.md', async () => {
    const event = path.join(scratch, 'event.json');
    fs.writeFileSync(event, '{"name": "bench"}');
    const out = path.join(scratch, 'named');
    const ran = await cli(['bench', 'Hello', 'NodeHello', '--assembly', assembly, '--cold', '3', '--warm', '4', '--event', event, '--out', out]);
    expect(ran.stderr).not.toMatch(/rustacean-lambda:/);
    expect(ran.code).toBe(0);
    const json = readJson(out);
    expect(json.settings).toEqual({ cold: 3, warm: 4 });
    expect(json.assembly).toBe(path.resolve(assembly));
    expect(json.rows.map(r => [r.id, r.label, r.runtime, r.architecture, r.memorySizeMb])).toEqual([
      ['LocalBench/Hello', 'LocalBench/Hello', 'provided.al2023', 'x86_64', 128],
      ['LocalBench/NodeHello', 'LocalBench/NodeHello', 'nodejs24.x', 'x86_64', 256],
    ]);
    for (const row of json.rows) {
      expect(row.init!.samples).toHaveLength(3);
      expect(row.init!.p50).toBeGreaterThan(0);
      expect(row.init!.p50).toBeLessThanOrEqual(row.init!.p99);
      expect(row.warm!.samples).toBe(4);
      // Cold start + duration: each cold start's Init plus its own Duration, then the percentiles of those sums.
      expect(row.coldDuration!.samples).toHaveLength(3);
      const sums = row.init!.samples.map((init, i) => Math.round((init + row.coldDuration!.samples![i]) * 100) / 100);
      expect(row.coldTotal!.samples).toHaveLength(3);
      row.coldTotal!.samples.forEach((total, i) => expect(Math.abs(total - sums[i])).toBeLessThanOrEqual(0.011));
      expect(row.coldTotal!.max).toBe(Math.max(...row.coldTotal!.samples));
      expect(row.coldTotal!.p50).toBeLessThanOrEqual(row.coldTotal!.p90);
      expect(row.coldTotal!.p95).toBeLessThanOrEqual(row.coldTotal!.max);
      expect(row.packageBytes!.zip).toBeGreaterThan(100);
      // At least the $0.20 request fee per million.
      expect(row.costPerMillion!.cold).toBeGreaterThanOrEqual(0.2);
      expect(row.reference).toBeUndefined();
    }
    // The Rust bootstrap is hundreds of KiB; the Node.js asset one small file.
    expect(json.rows[0].packageBytes!.zip).toBeGreaterThan(100 * 1024);
    expect(json.rows[1].packageBytes!.zip).toBeLessThan(4 * 1024);
    const md = fs.readFileSync(path.join(out, 'coldstart.md'), 'utf8');
    expect(ran.stdout).toBe(md);
    expect(md).toMatch(/^Local cold starts, 3 cold \/ 4 warm per function, /);
    expect(md).toMatch(/^\| LocalBench\/Hello \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| (\d+ MB|not measured on this platform) \| \d+ KiB \| \d+\.\d\d \| \d+\.\d\d \|$/m);
    expect(md).toMatch(/^\| LocalBench\/Hello( \| [\d.]+ ms){8} \|$/m); // cold start + duration p50..max, Init p90/p99, warm p99
    expect(md).toMatch(/^\| LocalBench\/NodeHello \| [\d.]+ ms \| .* \| 0\.\d KiB \| \d+\.\d\d \| \d+\.\d\d \|$/m);
    expect(md).toContain('Architecture and memory as each function is defined.');
    const svg = fs.readFileSync(path.join(out, 'coldstart.svg'), 'utf8');
    expect(svg.match(/<rect x="\d+" y="[\d.]+" width="[\d.]+" height="20" fill="#[0-9a-f]{6}"\/>/g)).toHaveLength(2);
    expect(ran.stderr).toMatch(/\[LocalBench\/Hello\] cold 3\/3: Init [\d.]+ ms/);
  });

  test('measures every function by default: the one the host cannot run is skipped with its reason, a failing one is an error (exit 1)', async () => {
    const out = path.join(scratch, 'all');
    const ran = await cli(['bench', '--assembly', assembly, '--cold', '1', '--warm', '1', '--out', out]);
    expect(ran.code).toBe(1);
    const rows = readJson(out).rows;
    const byId = (id: string) => rows.find(r => r.id === id) as BenchRow;
    expect(rows.map(r => r.id).sort()).toEqual(['LocalBench/DotnetHello', 'LocalBench/Hello', 'LocalBench/NodeFails', 'LocalBench/NodeHello']);
    expect(byId('LocalBench/DotnetHello').skipped).toBe('runtime dotnet10 is not supported locally');
    expect(byId('LocalBench/NodeFails').error).toBe('the function failed: Error: failed on purpose');
    expect(byId('LocalBench/Hello').init!.samples).toHaveLength(1);
    expect(ran.stdout).toContain('| LocalBench/DotnetHello | skipped: runtime dotnet10 is not supported locally | | | | | | |\n');
    expect(ran.stdout).toContain('| LocalBench/NodeFails | error: the function failed: Error: failed on purpose | | | | | | |\n');
  });

  test('--event-for gives one function its own event (a file or a sample); the others send --event', async () => {
    // Picky fails unless its event is {"for": "Picky"}; NodeHello answers any event.
    const own = tempDir('bench-own-out');
    try {
      const app = new App({ outdir: own, context: CLI_CONTEXT });
      const stack = new Stack(app, 'OwnEvents');
      for (const [id, handler] of [['Picky', 'index.picky'], ['NodeHello', 'index.handler']]) {
        new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler, code: lambda.Code.fromAsset(NODE_HANDLERS) });
      }
      app.synth();
      const common = path.join(scratch, 'common.json');
      const picky = path.join(scratch, 'picky.json');
      fs.writeFileSync(common, '{"name": "everyone"}');
      fs.writeFileSync(picky, '{"for": "Picky"}');
      const bench = (...extra: string[]) => cli(['bench', '--assembly', own, '--cold', '1', '--warm', '1', '--event', common, ...extra]);
      const rowsOf = (out: string) => Object.fromEntries(readJson(out).rows.map(r => [r.id, r.error ?? (r.init ? 'measured' : r.skipped)]));

      const withOwn = await bench('--event-for', `Picky=${picky}`, '--out', path.join(scratch, 'own'));
      expect(withOwn.code).toBe(0);
      expect(rowsOf(path.join(scratch, 'own'))).toEqual({ 'OwnEvents/Picky': 'measured', 'OwnEvents/NodeHello': 'measured' });

      const without = await bench('--out', path.join(scratch, 'common'));
      expect(without.code).toBe(1);
      expect(rowsOf(path.join(scratch, 'common'))['OwnEvents/Picky']).toBe('the function failed: Error: expected {"for":"Picky"}, got {"name":"everyone"}');

      const sample = await bench('--event-for', 'Picky=sample:sqs', '--out', path.join(scratch, 'sample'));
      expect(sample.code).toBe(1);
      expect(rowsOf(path.join(scratch, 'sample'))['OwnEvents/Picky']).toMatch(/^the function failed: Error: expected \{"for":"Picky"\}, got \{"Records":\[/);

      for (const [value, message] of [
        ['Picky', "--event-for expects <function>=<file> or <function>=sample:<name>, got 'Picky'; for example --event-for Api=events/api.json"],
        [`Picky=${path.join(scratch, 'missing.json')}`, `event file '${path.join(scratch, 'missing.json')}' does not exist; give --event-for Picky=<path of a JSON file>`],
        ['Picky=sample:nope', '--event-for Picky: '],
      ]) {
        const bad = await bench('--event-for', value, '--out', path.join(scratch, 'bad'));
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain(message);
      }
      const notMeasured = await cli(['bench', 'NodeHello', '--assembly', own, '--event-for', `Picky=${picky}`, '--out', path.join(scratch, 'bad')]);
      expect(notMeasured.code).toBe(1);
      expect(notMeasured.stderr).toContain("an event is given for 'Picky' (OwnEvents/Picky), which is not among the functions to measure " +
        '(OwnEvents/NodeHello); name it too, or drop its event');
      expect(fs.existsSync(path.join(scratch, 'bad'))).toBe(false);
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
  });

  test('a function the assembly does not have fails with the functions it has', async () => {
    const ran = await cli(['bench', 'Nope', '--assembly', assembly, '--out', path.join(scratch, 'nope')]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/no function 'Nope' in .*; functions: LocalBench\/Hello, /);
    expect(fs.existsSync(path.join(scratch, 'nope'))).toBe(false);
  });
});
