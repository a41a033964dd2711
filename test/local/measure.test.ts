import { ChildProcess, spawn } from 'child_process';
import {
  billedDurationMs, costPerMillion, formatReport, MemorySampler, memoryMeasurable, parseReport, percentile, processTree, readProcessMemory,
} from '../../lib/local/measure';

const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await new Promise(resolve => child.once('exit', resolve));
    }
  }
});

/** Starts a Node.js process running `script`; resolves once it prints "ready". */
async function startNode(script: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', code => reject(new Error(`exited with ${code} before it was ready`)));
  });
  return child;
}

describe('REPORT lines', () => {
  test('formats a cold invocation exactly like Lambda, tab-separated, init last', () => {
    const line = formatReport({ requestId: 'a1b2', durationMs: 1.234, memorySizeMb: 128, maxMemoryUsedMb: 15, initDurationMs: 14.561 });
    expect(line).toBe('REPORT RequestId: a1b2\tDuration: 1.23 ms\tBilled Duration: 16 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 14.56 ms');
  });

  test('leaves Init Duration out of a warm invocation and rounds billing up to the next millisecond', () => {
    const line = formatReport({ requestId: 'r', durationMs: 1.01, memorySizeMb: 512, maxMemoryUsedMb: 20 });
    expect(line).toBe('REPORT RequestId: r\tDuration: 1.01 ms\tBilled Duration: 2 ms\tMemory Size: 512 MB\tMax Memory Used: 20 MB');
    expect(line).not.toContain('Init Duration');
  });

  test('parses its own lines back', () => {
    const fields = { requestId: 'x-1', durationMs: 12.5, memorySizeMb: 256, maxMemoryUsedMb: 33, initDurationMs: 80.25 };
    expect(parseReport(formatReport(fields))).toEqual({ ...fields, billedDurationMs: 93 });
    expect(() => parseReport('START RequestId: x')).toThrow(/not a REPORT line/);
  });

  test('bills init with the first invocation and never less than 1 ms', () => {
    expect(billedDurationMs(0.2)).toBe(1);
    expect(billedDurationMs(2, 10.5)).toBe(13);
    expect(billedDurationMs(3)).toBe(3);
  });
});

describe('statistics and cost', () => {
  test('percentiles by nearest rank', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  test('costs a million invocations at Lambda prices for the architecture', () => {
    // 100 ms at 1024 MB = 0.1 GB-s per invoke.
    expect(costPerMillion(100, 1024, 'x86_64')).toBeCloseTo(0.1 * 0.0000166667 * 1e6 + 0.2, 6);
    expect(costPerMillion(100, 1024, 'arm64')).toBeCloseTo(0.1 * 0.0000133334 * 1e6 + 0.2, 6);
    // 1 ms at 128 MB: almost only the request price.
    expect(costPerMillion(1, 128, 'x86_64')).toBeCloseTo(0.2 + 0.001 * 0.125 * 0.0000166667 * 1e6, 6);
  });
});

describe('memory of a process tree', () => {
  test('finds a grandchild and measures the memory it touched', async () => {
    // The child starts a grandchild that fills 64 MiB, then both report ready.
    const grandchild = 'const b = Buffer.alloc(64 * 1024 * 1024, 1); console.log("ready"); setInterval(() => b[0]++, 1000);';
    const child = await startNode(`
      const { spawn } = require('child_process');
      const g = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['ignore', 'pipe', 'inherit'] });
      g.stdout.on('data', d => { if (String(d).includes('ready')) console.log('ready ' + g.pid); });
      setInterval(() => {}, 1000);
    `);
    const pid = child.pid as number;
    const tree = processTree([pid]);
    expect(tree[0]).toBe(pid);
    expect(tree.length).toBeGreaterThanOrEqual(2);

    const sampler = new MemorySampler(() => [pid], 10).start();
    await new Promise(resolve => setTimeout(resolve, 50));
    sampler.stop();
    // Two Node.js processes (tens of MB each) plus the 64 MiB buffer.
    expect(sampler.maxMb()).toBeGreaterThanOrEqual(64 + 20);
    expect(sampler.maxMb()).toBeLessThan(1024);
  });

  test('keeps the high-water mark of a process that freed its memory', async () => {
    const child = await startNode(`
      let b = Buffer.alloc(48 * 1024 * 1024, 1);
      b = null; global.gc && global.gc();
      console.log('ready'); setInterval(() => {}, 1000);
    `);
    const mem = readProcessMemory(child.pid as number);
    expect(mem).toBeDefined();
    expect(mem!.hwmKb).toBeGreaterThanOrEqual(48 * 1024);
    const sampler = new MemorySampler(() => [child.pid as number]);
    expect(sampler.maxKb()).toBeGreaterThanOrEqual(mem!.hwmKb);
  });

  test('without /proc (macOS, Windows) Max Memory Used says it was not measured instead of 0', () => {
    MemorySampler.procRoot = '/nonexistent-proc';
    try {
      expect(memoryMeasurable()).toBe(false);
      const sampler = new MemorySampler(() => [process.pid]);
      expect(sampler.maxMb()).toBeUndefined();
      const line = formatReport({ requestId: 'r', durationMs: 1, memorySizeMb: 128, maxMemoryUsedMb: sampler.maxMb() });
      expect(line).toContain('\tMax Memory Used: not measured on this platform');
      expect(line).not.toMatch(/Max Memory Used: 0/);
      expect(parseReport(line).maxMemoryUsedMb).toBeUndefined();
    } finally {
      MemorySampler.procRoot = undefined;
    }
    expect(memoryMeasurable()).toBe(true);
    expect(new MemorySampler(() => [process.pid]).maxMb()).toBeGreaterThan(0);
  });

  test('reads nothing for a process that is gone', () => {
    expect(readProcessMemory(2 ** 22 + 12345)).toBeUndefined();
    expect(processTree([2 ** 22 + 12345])).toEqual([2 ** 22 + 12345]);
  });
});
