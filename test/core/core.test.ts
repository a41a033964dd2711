import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { App, Errors, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ARCHITECTURES, architectureOf } from '../../lib/core/arch';
import { cacheRoot, stageDirectory, withFileLock } from '../../lib/core/cache';
import { describeElf, elfArchitecture, machineName } from '../../lib/core/elf';
import { validating, validationError, warn } from '../../lib/core/errors';
import { sha256, sha256Fields } from '../../lib/core/hash';
import { withTimeout } from '../../lib/core/process';
import { crc32, crc32Portable, extractZip, readZipEntries, readZipEntry, zippedSize } from '../../lib/core/zip';
import { makeZip } from '../support/llrt';

describe('zip reader', () => {
  const content = Buffer.from('#!/bin/sh\necho hello\n'.repeat(50));

  test('reads deflated and stored entries', () => {
    const zip = makeZip([{ name: 'README', data: Buffer.from('x'), stored: true }, { name: 'bootstrap', data: content }]);
    const entries = readZipEntries(zip);
    expect(entries.map(e => [e.name, e.method])).toEqual([['README', 0], ['bootstrap', 8]]);
    expect(readZipEntry(zip, entries[0]).toString()).toBe('x');
    expect(readZipEntry(zip, entries[1]).equals(content)).toBe(true);
  });

  test('refuses what is not a zip, a truncated zip and corrupt data', () => {
    expect(() => readZipEntries(Buffer.from('<html>Not Found</html>'.repeat(3)))).toThrow('not a zip archive (no end of central directory record)');
    const zip = makeZip([{ name: 'bootstrap', data: content }]);
    expect(() => readZipEntries(zip.subarray(30))).toThrow(/truncated zip archive|corrupt zip/);
    const corrupt = Buffer.from(zip);
    corrupt[40] = 255 - corrupt[40]; // flip the bits of a byte of the compressed data
    const entry = readZipEntries(corrupt)[0];
    expect(() => readZipEntry(corrupt, entry)).toThrow();
  });

  test('the portable CRC-32 agrees with the known check value and with Node\'s', () => {
    expect(crc32Portable(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Portable(content)).toBe(crc32(content));
  });

  test('an entry that would inflate beyond the cap is refused before it is inflated', () => {
    const big = Buffer.alloc(1024 * 1024); // compresses to about a kilobyte
    const zip = makeZip([{ name: 'bomb', data: big }]);
    const entry = readZipEntries(zip)[0];
    expect(() => readZipEntry(zip, entry, 64 * 1024)).toThrow(/would inflate to 1048576 bytes, more than the 65536 allowed/);
    expect(readZipEntry(zip, entry).length).toBe(big.length);
  });

  test('an entry whose header understates its size is refused (the inflate stops one byte past it)', () => {
    const data = Buffer.from('a'.repeat(10_000));
    const zip = makeZip([{ name: 'liar', data }]);
    const entry = { ...readZipEntries(zip)[0], size: 100 };
    expect(() => readZipEntry(zip, entry)).toThrow(/zip entry 'liar' is corrupt or inflates beyond its declared size/);
  });
});

describe('extractZip', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-core-zip-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('checks every entry against its CRC-32 (the local host used to extract without it)', () => {
    const zip = makeZip([{ name: 'bootstrap', data: Buffer.from('#!/bin/sh\necho hello\n'.repeat(20)) }]);
    const file = path.join(dir, 'corrupt.zip');
    const corrupt = Buffer.from(zip);
    corrupt[40] = 255 - corrupt[40];
    fs.writeFileSync(file, corrupt);
    expect(() => extractZip(file, path.join(dir, 'out'))).toThrow(/corrupt\.zip: .*zip entry 'bootstrap'/);
  });

  const LINK = 0o120777;

  test('keeps a link that points inside the folder', () => {
    const file = path.join(dir, 'link-inside.zip');
    fs.writeFileSync(file, makeZip([{ name: 'lib/real.txt', data: Buffer.from('hi') }, { name: 'alias', data: Buffer.from('lib/real.txt'), mode: LINK }]));
    const out = path.join(dir, 'link-inside');
    extractZip(file, out);
    expect(fs.readlinkSync(path.join(out, 'alias'))).toBe('lib/real.txt');
    expect(fs.readFileSync(path.join(out, 'alias'), 'utf8')).toBe('hi');
  });

  test.each([['../outside', 'relative'], ['/etc', 'absolute']])('refuses a link that points outside the folder (%s, %s)', (target) => {
    const file = path.join(dir, 'link-outside.zip');
    fs.writeFileSync(file, makeZip([{ name: 'escape', data: Buffer.from(target), mode: LINK }]));
    expect(() => extractZip(file, path.join(dir, 'link-outside'))).toThrow(`link-outside.zip: link 'escape' points outside the folder (to '${target}')`);
  });

  test('refuses an entry written through links whose chain leaves the folder', () => {
    // 'here' -> '.', then 'up' -> 'here/..': each looks inside by name, but 'up' is the folder's parent.
    const file = path.join(dir, 'chain.zip');
    fs.writeFileSync(file, makeZip([
      { name: 'here', data: Buffer.from('.'), mode: LINK },
      { name: 'up', data: Buffer.from('here/..'), mode: LINK },
      { name: 'up/made/evil.txt', data: Buffer.from('x') },
    ]));
    const out = path.join(dir, 'chain', 'out');
    expect(() => extractZip(file, out)).toThrow(/chain\.zip: entry 'up\/made\/evil\.txt' escapes the folder through a link/);
    expect(fs.existsSync(path.join(dir, 'chain', 'made'))).toBe(false);
  });

  test('refuses an archive that inflates to more than the cap in all', () => {
    const file = path.join(dir, 'two.zip');
    fs.writeFileSync(file, makeZip([{ name: 'a', data: Buffer.alloc(40_000) }, { name: 'b', data: Buffer.alloc(40_000) }]));
    expect(() => extractZip(file, path.join(dir, 'capped'), 60_000)).toThrow(/two\.zip would inflate to 80000 bytes, more than the 60000 allowed/);
    expect(fs.existsSync(path.join(dir, 'capped'))).toBe(false);
  });
});

describe('zippedSize', () => {
  test('sizes a package as a zip would store it: deflated content plus headers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-core-size-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    const text = 'hello '.repeat(1000);
    fs.writeFileSync(path.join(dir, 'sub', 'a.txt'), text);
    fs.writeFileSync(path.join(dir, 'b.bin'), Buffer.from([1, 2, 3]));
    const size = zippedSize([dir]);
    expect(size.unzipped).toBe(text.length + 3);
    const deflated = zlib.deflateRawSync(Buffer.from(text)).length;
    expect(size.zip).toBe(22 + (76 + 2 * 'sub/a.txt'.length + deflated) + (76 + 2 * 'b.bin'.length + 3));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('counts headers, names and the smaller of stored and deflated; a file counts as it is', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-core-size-'));
    try {
      fs.writeFileSync(path.join(dir, 'random'), crypto.randomBytes(1000)); // does not deflate: stored
      fs.writeFileSync(path.join(dir, 'zeros'), Buffer.alloc(100_000)); // deflates to a few hundred bytes
      const size = zippedSize([dir]);
      expect(size.unzipped).toBe(101_000);
      expect(size.zip).toBeGreaterThan(22 + 2 * 76 + 1000);
      expect(size.zip).toBeLessThan(3_000);
      const file = path.join(dir, 'random');
      expect(zippedSize([file])).toEqual({ zip: 22 + 1000, unzipped: 1000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('architectures', () => {
  test('one mapping: Lambda, ELF, Rust, LLRT and Node.js names of each architecture', () => {
    expect(architectureOf(lambda.Architecture.ARM_64)).toBe('arm64');
    expect(architectureOf(lambda.Architecture.X86_64)).toBe('x86_64');
    expect(() => architectureOf(lambda.Architecture.custom('riscv64'), 'LLRT'))
      .toThrow("architecture 'riscv64' is not supported by LLRT; expected arm64 or x86_64 (lambda.Architecture.ARM_64 or lambda.Architecture.X86_64)");
    expect(ARCHITECTURES.x86_64).toMatchObject({ elfMachine: 0x3e, rustTarget: 'x86_64-unknown-linux-gnu', llrt: 'x64', nodeArch: 'x64' });
    expect(ARCHITECTURES.arm64).toMatchObject({ elfMachine: 0xb7, rustTarget: 'aarch64-unknown-linux-gnu', llrt: 'arm64', machine: 'aarch64' });
  });

  test('ELF headers name the architecture; anything else is described as such', () => {
    expect(elfArchitecture(process.execPath)).toBe(process.arch === 'x64' ? 'x86_64' : 'arm64');
    expect(elfArchitecture(__filename)).toBeUndefined();
    expect(elfArchitecture('/does/not/exist')).toBeUndefined();
    expect(describeElf(0xb7)).toBe('an arm64 executable');
    expect(describeElf(undefined)).toBe('not an ELF executable');
    expect(machineName(0x3e)).toBe('x86_64');
    expect(machineName(0x28)).toBe('ELF machine 0x28');
  });
});

describe('hashing', () => {
  test('fields are NUL-terminated, so the boundaries between them count', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Fields('a', 'bc')).toBe(sha256('a\0bc\0'));
    expect(sha256Fields('ab', 'c')).not.toBe(sha256Fields('a', 'bc'));
  });
});

describe('cache', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-core-cache-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('the cache root: RUSTACEAN_LAMBDA_CACHE, else the per-user cache folder of the OS', () => {
    const platform = process.platform;
    const on = (p: string) => Object.defineProperty(process, 'platform', { value: p });
    try {
      expect(cacheRoot({ RUSTACEAN_LAMBDA_CACHE: '/srv/cache' })).toBe(path.resolve('/srv/cache'));
      on('linux');
      expect(cacheRoot({ XDG_CACHE_HOME: '/xdg' })).toBe(path.join('/xdg', 'rustacean-lambda'));
      expect(cacheRoot({})).toBe(path.join(os.homedir(), '.cache', 'rustacean-lambda'));
      on('darwin');
      expect(cacheRoot({})).toBe(path.join(os.homedir(), 'Library', 'Caches', 'rustacean-lambda'));
      on('win32');
      expect(cacheRoot({ LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' })).toBe(path.join('C:\\Users\\me\\AppData\\Local', 'rustacean-lambda'));
    } finally {
      on(platform);
    }
  });

  test('stageDirectory renames a complete folder into place, and a failed fill leaves nothing behind', () => {
    const dir = path.join(root, 'entry');
    expect(() => stageDirectory(dir, staging => {
      fs.writeFileSync(path.join(staging, 'half'), 'x');
      throw new Error('killed half way');
    })).toThrow('killed half way');
    expect(fs.readdirSync(root)).toEqual([]);
    stageDirectory(dir, staging => fs.writeFileSync(path.join(staging, 'whole'), 'y'));
    expect(fs.readdirSync(dir)).toEqual(['whole']);
  });

  test('stageDirectory keeps the folder another process finished first, when it is complete', () => {
    const dir = path.join(root, 'raced');
    stageDirectory(dir, staging => {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'theirs'), 'them'); // the other process wins the rename
      fs.writeFileSync(path.join(staging, 'ours'), 'us');
    }, { complete: d => fs.existsSync(path.join(d, 'theirs')) });
    expect(fs.readdirSync(dir)).toEqual(['theirs']);
    expect(fs.readdirSync(root).filter(n => n.startsWith('.tmp-'))).toEqual([]);
  });

  test('withFileLock runs one holder at a time and takes over a stale lock', () => {
    const file = path.join(root, 'lock-me.json');
    fs.mkdirSync(`${file}.lock`);
    expect(() => withFileLock(file, () => 'never', { waitMs: 30 })).toThrow(/lock-me\.json is locked by another process/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.lock`, old, old);
    expect(withFileLock(file, () => 'ran')).toBe('ran');
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('processes', () => {
  test('withTimeout says whether a promise settled in time, and never rejects', async () => {
    await expect(withTimeout(Promise.reject(new Error('no')), 1_000)).resolves.toBe(true);
    await expect(withTimeout(new Promise(() => undefined), 10)).resolves.toBe(false);
  });
});

describe('errors and warnings', () => {
  function stack() {
    return new Stack(new App(), 'Errs');
  }

  test('validating turns a plain Error into a ValidationError of the child being created, message and cause kept', () => {
    const s = stack();
    const cause = new Error("binaryName 'nope' is not a binary of the workspace");
    let caught: any;
    try {
      validating(s, 'Fn', () => { throw cause; });
    } catch (e) {
      caught = e;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect(caught.message).toBe(cause.message);
    expect(caught.constructPath).toBe('Errs/Fn');
    expect(caught.cause).toBe(cause);
  });

  test('validating an existing construct names its own path, returns the value, and rethrows construct errors as they are', () => {
    const s = stack();
    const child = new Construct(s, 'Bench');
    expect(validating(child, undefined, () => 42)).toBe(42);
    expect(() => validating(child, undefined, () => { throw new Error('prefix is empty'); }))
      .toThrow(expect.objectContaining({ constructPath: 'Errs/Bench', message: 'prefix is empty' }));
    const already = validationError('already scoped', s);
    expect(() => validating(child, 'X', () => { throw already; })).toThrow(already);
  });

  test('warn adds the prefixed id to the construct and refuses an id that is not kebab-case', () => {
    const s = stack();
    warn(s, 'web-adapter-unknown-region', 'region mars-1 is unknown');
    Annotations.fromStack(s).hasWarning('/Errs', Match.stringLikeRegexp('region mars-1 is unknown'));
    const ids = s.node.metadata.map(m => String(m.data));
    expect(ids.some(d => d.includes('[ack: rustacean-lambda:web-adapter-unknown-region]'))).toBe(true);
    expect(() => warn(s, 'webAdapterUnknownRegion', 'x')).toThrow(/not kebab-case/);
  });
});
