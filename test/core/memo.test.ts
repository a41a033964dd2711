/**
 * The synth memo: `cargo metadata`, `rustc -V` (and the sysroot probe) and the source fingerprint are reused by a
 * later synth process (here: a new App after CargoLambdaBuild.reset(), which forgets everything in memory) while
 * their inputs are unchanged, and asked again when any of them changes: a Cargo.toml, the Cargo.lock, the
 * toolchain's path, a source file. Each test has its own cache folder.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { memoStats } from '../../lib/core/cargo/memo';
import { Toolchain } from '../../lib/core/cargo/toolchain';
import { fingerprintSources, readWorkspace } from '../../lib/core/cargo/workspace';
import { copyFixture, stubBuild } from '../support/rust';

const savedEnv = { ...process.env };
const scratch: string[] = [];
let workspace: string;

function tmp(prefix = 'rl-memo-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Sets every file's modification time a minute back, as for sources not edited in the last seconds. */
function age(dir: string, seconds = 60): void {
  const when = new Date(Date.now() - seconds * 1000);
  const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach(e => {
    const full = path.join(d, e.name);
    if (e.isDirectory()) walk(full);
    fs.utimesSync(full, when, when);
  });
  walk(dir);
}

/** A new synth process, as far as the library can tell: nothing in memory, the cache folder kept. */
function newProcess(): void {
  CargoLambdaBuild.reset();
  memoStats.hits = 0;
  memoStats.misses = 0;
}

beforeEach(() => {
  process.env.RUSTACEAN_LAMBDA_CACHE = tmp('rl-memo-cache-');
  workspace = copyFixture('tiny-workspace');
  scratch.push(workspace);
  age(workspace);
  newProcess();
});
afterEach(() => {
  process.env = { ...savedEnv };
  CargoLambdaBuild.reset();
});
afterAll(() => {
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

const manifest = () => path.join(workspace, 'Cargo.toml');

describe('cargo metadata', () => {
  test('is reused by the next process while nothing changed, and a touch without a change keeps it', () => {
    const first = readWorkspace(manifest());
    expect(memoStats).toEqual({ hits: 0, misses: 1 });
    newProcess();
    expect(readWorkspace(manifest())).toEqual(first);
    expect(memoStats).toEqual({ hits: 1, misses: 0 });

    const now = new Date();
    fs.utimesSync(manifest(), now, now);
    newProcess();
    expect(readWorkspace(manifest())).toEqual(first);
    expect(memoStats).toEqual({ hits: 1, misses: 0 });
  });

  test('a changed member Cargo.toml is read again (a binary renamed)', () => {
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).toContain('single');
    const member = path.join(workspace, 'single', 'Cargo.toml');
    fs.writeFileSync(member, fs.readFileSync(member, 'utf-8') + '\n[[bin]]\nname = "renamed"\npath = "src/main.rs"\n');
    newProcess();
    const names = readWorkspace(manifest()).binaries.map(b => b.name);
    expect(memoStats.misses).toBe(1);
    expect(names).toContain('renamed');
  });

  test('a binary cargo finds on its own (src/bin/new.rs) is seen, and one deleted is gone, with no manifest changed', () => {
    const bin = path.join(workspace, 'multi', 'src', 'bin');
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).not.toContain('delta');
    fs.writeFileSync(path.join(bin, 'delta.rs'), 'fn main() {}\n');
    newProcess();
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).toContain('delta');
    expect(memoStats.misses).toBe(1);
    fs.rmSync(path.join(bin, 'gamma.rs'));
    newProcess();
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).not.toContain('gamma');
    expect(memoStats.misses).toBe(1);
  });

  test('a member folder that a glob in members picks up is seen, with no manifest changed', () => {
    const addMember = (name: string) => {
      const member = path.join(workspace, 'extra', name);
      fs.mkdirSync(path.join(member, 'src'), { recursive: true });
      fs.writeFileSync(path.join(member, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`);
      fs.writeFileSync(path.join(member, 'src', 'main.rs'), 'fn main() {}\n');
    };
    fs.writeFileSync(manifest(), '[workspace]\nmembers = ["single", "multi", "extra/*"]\nresolver = "2"\n');
    addMember('first');
    age(workspace);
    newProcess();
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).not.toContain('added');
    addMember('added');
    newProcess();
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).toContain('added');
    expect(memoStats.misses).toBe(1);
  });

  test('a changed root Cargo.toml is read again (a member removed)', () => {
    readWorkspace(manifest());
    fs.writeFileSync(manifest(), '[workspace]\nmembers = ["single"]\nresolver = "2"\n');
    newProcess();
    expect(readWorkspace(manifest()).binaries.map(b => b.name)).toEqual(['single']);
    expect(memoStats.misses).toBe(1);
  });

  test('a changed Cargo.lock is read again', () => {
    readWorkspace(manifest());
    fs.appendFileSync(path.join(workspace, 'Cargo.lock'), '\n');
    newProcess();
    readWorkspace(manifest());
    expect(memoStats).toEqual({ hits: 0, misses: 1 });
  });

  test('another cargo on PATH (the toolchain path) is asked again', () => {
    readWorkspace(manifest());
    const bin = tmp('rl-memo-bin-');
    const real = path.join(os.homedir(), '.cargo', 'bin');
    for (const tool of ['cargo', 'rustc']) {
      const target = ((process.env.PATH ?? '').split(path.delimiter).map(d => path.join(d, tool)).find(f => fs.existsSync(f))) ?? path.join(real, tool);
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec ${target} "$@"\n`, { mode: 0o755 });
    }
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
    newProcess();
    readWorkspace(manifest());
    expect(memoStats).toEqual({ hits: 0, misses: 1 });
  });
});

describe('rustc -V', () => {
  test('is reused by the next process, and asked again with another rustc on PATH', () => {
    const id = Toolchain.identity(undefined);
    expect(id).toMatch(/^rustc \d+\.\d+/);
    newProcess();
    expect(Toolchain.identity(undefined)).toBe(id);
    expect(memoStats).toEqual({ hits: 1, misses: 0 });

    const bin = tmp('rl-memo-bin-');
    const rustc = (process.env.PATH ?? '').split(path.delimiter).map(d => path.join(d, 'rustc')).find(f => fs.existsSync(f))!;
    fs.writeFileSync(path.join(bin, 'rustc'), `#!/bin/sh\n[ "$1" = -V ] && { echo "rustc 9.9.9 (wrapped)"; exit 0; }\nexec ${rustc} "$@"\n`, { mode: 0o755 });
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
    newProcess();
    expect(Toolchain.identity(undefined)).toBe('rustc 9.9.9 (wrapped)');
    expect(memoStats.misses).toBe(1);
  });
});

describe('the source fingerprint', () => {
  const target = () => path.join(workspace, 'target');

  test('is reused while every file has its size and time, and made again when a source changes or appears', () => {
    const first = fingerprintSources(workspace, target());
    expect(memoStats).toEqual({ hits: 0, misses: 1 });
    newProcess();
    expect(fingerprintSources(workspace, target())).toBe(first);
    expect(memoStats).toEqual({ hits: 1, misses: 0 });

    const main = path.join(workspace, 'single', 'src', 'main.rs');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf-8').replace('SINGLE', 'LOUD!!'));
    age(workspace, 30);
    newProcess();
    const edited = fingerprintSources(workspace, target());
    expect(edited).not.toBe(first);
    expect(memoStats).toEqual({ hits: 0, misses: 1 });

    fs.writeFileSync(path.join(workspace, 'single', 'src', 'extra.rs'), '// new\n');
    age(workspace, 20);
    newProcess();
    expect(fingerprintSources(workspace, target())).not.toBe(edited);
    expect(memoStats).toEqual({ hits: 0, misses: 1 });
  });

  test('a file written in the last seconds is always read (its time could still change within the tick)', () => {
    const main = path.join(workspace, 'single', 'src', 'main.rs');
    fs.appendFileSync(main, '// just now\n');
    fingerprintSources(workspace, target());
    newProcess();
    fingerprintSources(workspace, target());
    expect(memoStats).toEqual({ hits: 0, misses: 1 });
  });

  test('the fingerprint is the same with and without the memo (RUSTACEAN_LAMBDA_MEMO=0)', () => {
    const memoized = fingerprintSources(workspace, target());
    newProcess();
    process.env.RUSTACEAN_LAMBDA_MEMO = '0';
    expect(fingerprintSources(workspace, target())).toBe(memoized);
  });
});

test('a warm synth of a function spawns no process: cargo metadata, rustc and the fingerprint all come from the memo', () => {
  stubBuild(['alpha', 'beta', 'gamma', 'single']);
  const synth = () => {
    const app = new App({ outdir: tmp('rl-memo-out-') });
    new RustFunction(new Stack(app, 'Memo'), 'Fn', { manifestPath: workspace, binaryName: 'single', architecture: lambda.Architecture.X86_64 });
    app.synth();
  };
  synth();
  newProcess();
  const spawnedIn = (fn: () => void) => {
    const spawned: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cp = require('child_process'); // the module object itself, which lib's run() calls through
    const original = cp.spawnSync;
    cp.spawnSync = (command: string, ...rest: unknown[]) => {
      spawned.push(command);
      return original(command, ...rest);
    };
    try {
      fn();
    } finally {
      cp.spawnSync = original;
    }
    return spawned;
  };
  expect(spawnedIn(synth)).toEqual([]);
  expect(memoStats.misses).toBe(0);
  expect(memoStats.hits).toBeGreaterThanOrEqual(3);
  // The spy sees what the memo saves: without it, the same synth asks cargo and rustc.
  newProcess();
  process.env.RUSTACEAN_LAMBDA_MEMO = '0';
  expect(spawnedIn(synth)).toEqual(expect.arrayContaining(['cargo', 'rustc']));
});
