/**
 * The one zip reader of the library: lists a zip's central directory, reads entries (stored or deflated) checked
 * against their size and CRC-32, never inflating more than a cap, and extracts whole archives with their Unix
 * modes and links. Plus {@link zippedSize}, what a folder takes as a zip.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/** One file of a zip archive, from its central directory. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  /** The upper 16 bits hold the Unix `st_mode` when the archive was written on Unix. */
  readonly externalAttributes: number;
}

/**
 * The most one entry may inflate to: Lambda's limit for an unzipped function with its layers (250 MB) plus a
 * margin. A larger entry is refused before it is inflated, so a small crafted zip cannot fill memory.
 */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

/* eslint-disable no-bitwise */ // CRC-32 is bit arithmetic by definition
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as zip uses it (Node's own when it has one, 20.15 and later). */
export function crc32(data: Buffer): number {
  const native = (zlib as { crc32?: (data: Buffer) => number }).crc32;
  return typeof native === 'function' ? native(data) >>> 0 : crc32Portable(data);
}

/** CRC-32 in plain JavaScript, for Node releases without `zlib.crc32`. */
export function crc32Portable(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
/* eslint-enable no-bitwise */

export function isZip(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt32LE(0) === 0x04034b50;
}

/** Lists the files of a zip archive from its central directory; throws on anything that is not a plain zip. */
export function readZipEntries(zip: Buffer): ZipEntry[] {
  // The end-of-central-directory record is in the last 22 + 65535 (comment) bytes.
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const offset = zip.readUInt32LE(eocd + 16);
  if (offset === 0xffffffff || count === 0xffff) throw new Error('zip64 archives are not supported');
  if (offset + size > eocd) throw new Error('truncated zip archive (central directory out of range)');
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    entries.push({
      method: zip.readUInt16LE(p + 10),
      crc32: zip.readUInt32LE(p + 16),
      compressedSize: zip.readUInt32LE(p + 20),
      size: zip.readUInt32LE(p + 24),
      externalAttributes: zip.readUInt32LE(p + 38),
      localHeaderOffset: zip.readUInt32LE(p + 42),
      name: zip.toString('utf-8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The content of one zip entry (stored or deflated), checked against its size and CRC-32; an entry that claims,
 * or turns out, to be larger than `maxBytes` is refused.
 */
export function readZipEntry(zip: Buffer, entry: ZipEntry, maxBytes = MAX_INFLATED_BYTES): Buffer {
  if (entry.size > maxBytes) {
    throw new Error(`zip entry '${entry.name}' would inflate to ${entry.size} bytes, more than the ${maxBytes} allowed`);
  }
  const p = entry.localHeaderOffset;
  if (p + 30 > zip.length || zip.readUInt32LE(p) !== 0x04034b50) throw new Error(`corrupt zip entry '${entry.name}' (bad local header)`);
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
  const raw = zip.subarray(start, start + entry.compressedSize);
  if (raw.length !== entry.compressedSize) throw new Error(`truncated zip entry '${entry.name}'`);
  let data: Buffer;
  if (entry.method === 0) {
    data = Buffer.from(raw);
  } else if (entry.method === 8) {
    try {
      // One byte over the declared size is enough to tell a lying header; never more than the cap.
      data = zlib.inflateRawSync(raw, { maxOutputLength: Math.min(maxBytes, entry.size + 1) || 1 });
    } catch (e) {
      throw new Error(`zip entry '${entry.name}' is corrupt or inflates beyond its declared size (${(e as Error).message})`);
    }
  } else {
    throw new Error(`zip entry '${entry.name}' uses compression method ${entry.method}; only stored and deflate are supported`);
  }
  if (data.length !== entry.size || crc32(data) !== entry.crc32) throw new Error(`zip entry '${entry.name}' is corrupt (size or CRC-32 mismatch)`);
  return data;
}

/**
 * Extracts a zip file (stored or deflated entries, as `cdk` and `zip` write them) into `dest`, keeping Unix
 * permissions and symbolic links. Every entry is checked (size, CRC-32); entries that would land outside `dest`
 * (by name, or written through a link), links that point outside it, and an archive whose entries inflate to more
 * than `maxBytes` in all are refused.
 */
export function extractZip(file: string, dest: string, maxBytes = MAX_INFLATED_BYTES): void {
  const data = fs.readFileSync(file);
  let entries: ZipEntry[];
  try {
    entries = readZipEntries(data);
  } catch (e) {
    throw new Error(`${file} is not a zip file (${(e as Error).message})`);
  }
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total > maxBytes) throw new Error(`${file} would inflate to ${total} bytes, more than the ${maxBytes} allowed`);
  const root = path.resolve(dest);
  fs.mkdirSync(root, { recursive: true });
  const realRoot = fs.realpathSync.native(root);
  const inside = (p: string, base: string) => p === base || p.startsWith(base + path.sep);
  for (const entry of entries) {
    const target = path.resolve(root, entry.name);
    if (!inside(target, root)) throw new Error(`${file}: entry '${entry.name}' escapes the folder`);
    if (entry.name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    let content: Buffer;
    try {
      content = readZipEntry(data, entry, maxBytes);
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    // The upper 16 bits hold the Unix st_mode: file type (S_IFLNK = 0o120000) and permissions.
    const unixMode = Math.floor(entry.externalAttributes / 0x10000);
    const mode = unixMode % 0o1000;
    const isLink = Math.floor(unixMode / 0o10000) === 0o12;
    // An earlier link entry must not carry this one (or the folders made for it) out of the folder. The kernel's
    // realpath of the deepest folder that exists: Node's own resolves a link's '..' by name, not through the link.
    let existing = path.dirname(target);
    while (!fs.existsSync(existing)) existing = path.dirname(existing);
    if (!inside(fs.realpathSync.native(existing), realRoot)) {
      throw new Error(`${file}: entry '${entry.name}' escapes the folder through a link`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(target, { force: true });
    if (isLink) {
      const linkTarget = content.toString('utf8');
      if (path.isAbsolute(linkTarget) || !inside(path.resolve(path.dirname(target), linkTarget), root)) {
        throw new Error(`${file}: link '${entry.name}' points outside the folder (to '${linkTarget}')`);
      }
      fs.symlinkSync(linkTarget, target);
    } else {
      fs.writeFileSync(target, content, { mode: mode || 0o644 });
    }
  }
}

/**
 * What files and folders take as one zip (deflate; computed, no archive is written), and unzipped. A path that is a
 * file counts as an archive already (its size as it is).
 */
export function zippedSize(paths: string[]): { zip: number; unzipped: number } {
  let zip = 22; // end of central directory
  let unzipped = 0;
  const visit = (file: string, name: string) => {
    const stat = fs.lstatSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry), `${name}${entry}${fs.lstatSync(path.join(file, entry)).isDirectory() ? '/' : ''}`);
      return;
    }
    const data = stat.isSymbolicLink() ? Buffer.from(fs.readlinkSync(file)) : fs.readFileSync(file);
    unzipped += data.length;
    // Local header (30) + central directory entry (46) + the name twice + the smaller of stored and deflated.
    zip += 76 + 2 * Buffer.byteLength(name) + Math.min(data.length, zlib.deflateRawSync(data).length);
  };
  for (const p of paths) {
    if (fs.statSync(p).isDirectory()) {
      visit(p, '');
    } else {
      const bytes = fs.statSync(p).size;
      zip += bytes;
      unzipped += bytes;
    }
  }
  return { zip, unzipped };
}
