import * as os from 'os';
import * as path from 'path';
import { LlrtBinaryType } from '../../lib';
import {
  cacheRoot, crc32, crc32Portable, readZipEntries, readZipEntry, releaseAssetName,
} from '../../lib/llrt/util';
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
});

describe('names and places', () => {
  test('release asset names follow LLRT\'s releases', () => {
    expect(releaseAssetName('arm64', LlrtBinaryType.STANDARD)).toBe('llrt-lambda-arm64.zip');
    expect(releaseAssetName('x64', LlrtBinaryType.NO_SDK)).toBe('llrt-lambda-x64-no-sdk.zip');
    expect(releaseAssetName('arm64', LlrtBinaryType.FULL_SDK)).toBe('llrt-lambda-arm64-full-sdk.zip');
  });

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
});
