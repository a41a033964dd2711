import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { tempDir } from './apps';
import { BenchResults, goals, packageSize, renderMarkdown, renderSvg } from '../../lib/local/bench';

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
      init: { p50: 4.5, p90: 6, p99: 9, samples: [4.5] },
      coldDuration: { p50: 1.2 },
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
      init: { p50: 120, p90: 130, p99: 150, samples: [120] },
      coldDuration: { p50: 3 },
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

test('renders a Markdown table with the reference beside each row, skipped rows with their reason, the goals and notes', () => {
  const md = renderMarkdown(results);
  expect(md).toContain('| Rust hello | 4.5 ms | 6.0 ms | 9.0 ms | 0.20 ms | 0.50 ms | 3 MB | 400 KiB | 0.21 | 0.20 | 16 ms / 15 MB |');
  expect(md).toContain('| LLRT hello | skipped: no LLRT binary: set LLRT_BINARY_PATH | | | | | | | | | 68 ms / 30 MB |');
  expect(md).toContain('| Node.js 24 hello | 120.0 ms | 130.0 ms | 150.0 ms | 0.90 ms | 2.00 ms | 44 MB | 0.3 KiB | 0.46 | 0.20 | 142 ms / 67 MB |');
  expect(md).toContain('Host overhead per invoke (no-op Rust handler, 100 invokes): round trip p50 0.25 ms, p99 0.6 ms; of which Duration p50 0.15 ms.');
  expect(md).toContain('- met: Rust hello Init p50 at least 10x lower than Node.js hello: 26.7x');
  expect(md).toContain('- note: Node.js 24 hello: nodejs24.x runs on the local Node.js 22.1.0');
});

test('draws one bar per measured row on a log axis, a reference mark where lambda-perf has one, and well-formed XML', () => {
  const svg = renderSvg(results);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg.match(/<rect x="190"/g)).toHaveLength(2); // Rust and Node.js; LLRT is skipped
  expect(svg.match(/stroke-dasharray="3,2"/g)).toHaveLength(4); // three references + the legend
  expect(svg).toContain('>skipped</text>');
  expect(svg).toContain('>1 ms</text>');
  expect(svg).toContain('>100 ms</text>');
  // Log scale: 4.5 ms and 120 ms are about 1.43 decades apart.
  const widths = [...svg.matchAll(/<rect x="190" y="[\d.]+" width="([\d.]+)"/g)].map(m => Number(m[1]));
  expect((widths[1] - widths[0]) / (450 / 3)).toBeCloseTo(Math.log10(120 / 4.5), 1);
  const open = (svg.match(/<(text|line|rect|svg)\b/g) ?? []).length;
  const closed = (svg.match(/<\/(text|svg)>|\/>/g) ?? []).length;
  expect(closed).toBe(open);
});

test('sizes a package as a zip would store it: deflated content plus headers', () => {
  const dir = tempDir('pkg');
  fs.mkdirSync(path.join(dir, 'sub'));
  const text = 'hello '.repeat(1000);
  fs.writeFileSync(path.join(dir, 'sub', 'a.txt'), text);
  fs.writeFileSync(path.join(dir, 'b.bin'), Buffer.from([1, 2, 3]));
  const size = packageSize([dir]);
  expect(size.unzipped).toBe(text.length + 3);
  const deflated = zlib.deflateRawSync(Buffer.from(text)).length;
  expect(size.zip).toBe(22 + (76 + 2 * 'sub/a.txt'.length + deflated) + (76 + 2 * 'b.bin'.length + 3));
  fs.rmSync(dir, { recursive: true, force: true });
});

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

test('says which Python built and ran the Python rows, and how much bytecode each asset holds', () => {
  const flask = (id: string, label: string, pycFiles: number) => ({
    ...results.rows[0], id, label, runtime: 'python3.11', python: { version: '3.11', executable: '/usr/bin/python3.11', pycFiles },
  });
  const md = renderMarkdown({
    ...results,
    rows: [flask('flask-web-adapter', 'Flask via Web Adapter, Python 3.11', 190), flask('flask-wsgi', 'Flask via apig-wsgi, Python 3.11', 180)],
  });
  expect(md).toContain('| Flask via Web Adapter, Python 3.11 | 4.5 ms |');
  expect(md).toContain('Python rows (Flask via Web Adapter, Python 3.11; Flask via apig-wsgi, Python 3.11): built for and run by the ' +
    'local Python 3.11 (/usr/bin/python3.11): dependencies installed for python3.11, bytecode compiled by that interpreter ' +
    '(unchecked-hash; 190 .pyc, 180 .pyc), run with PYTHONDONTWRITEBYTECODE as on Lambda.');
});
