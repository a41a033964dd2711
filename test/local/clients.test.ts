import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './apps';
import { findPython } from '../../lib/core/python';
import { ensureInstalled } from '../../lib/local/clients';

let root: string;
beforeEach(() => {
  root = tempDir('clients');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('ensureInstalled', () => {
  test('installs once into a staging folder renamed into place, then reuses it', () => {
    const dir = path.join(root, 'tool-1.0');
    const stagings: string[] = [];
    const install = (staging: string) => {
      stagings.push(staging);
      fs.writeFileSync(path.join(staging, 'tool'), 'x');
    };
    const lines: string[] = [];
    expect(ensureInstalled(dir, 'tool 1.0', l => lines.push(l), install)).toBe(dir);
    expect(ensureInstalled(dir, 'tool 1.0', l => lines.push(l), install)).toBe(dir);
    expect(stagings).toHaveLength(1);
    expect(stagings[0]).not.toBe(dir);
    expect(fs.readFileSync(path.join(dir, 'tool'), 'utf8')).toBe('x');
    expect(lines[0]).toMatch(/^installing tool 1.0 into .*tool-1.0 \(once; this can take a few minutes\)$/);
    expect(fs.readdirSync(root)).toEqual(['tool-1.0']); // no staging folder or lock left behind
  });

  test('leaves nothing behind when the install fails, and tries again next time', () => {
    const dir = path.join(root, 'broken');
    expect(() => ensureInstalled(dir, 'broken', () => undefined, () => {
      throw new Error('registry said no');
    })).toThrow('registry said no');
    expect(fs.readdirSync(root)).toEqual([]);
    expect(ensureInstalled(dir, 'broken', () => undefined, staging => fs.writeFileSync(path.join(staging, 'ok'), ''))).toBe(dir);
  });

  test('takes over a lock its owner left behind long ago', () => {
    const dir = path.join(root, 'locked');
    fs.mkdirSync(`${dir}.lock`);
    const old = new Date(Date.now() - 60 * 60_000);
    fs.utimesSync(`${dir}.lock`, old, old);
    const lines: string[] = [];
    ensureInstalled(dir, 'locked', l => lines.push(l), staging => fs.writeFileSync(path.join(staging, 'ok'), ''));
    expect(lines[0]).toBe('waiting for another process installing locked');
    expect(fs.existsSync(path.join(dir, 'ok'))).toBe(true);
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
  });
});

test('finds the real Python interpreter behind python3, not a shim', () => {
  const python = findPython();
  expect(python.version).toMatch(/^3\.\d+$/);
  expect(fs.readFileSync(python.executable).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
});
