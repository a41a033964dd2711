import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { AssetStaging } from 'aws-cdk-lib';
import { LlrtBinaryType } from '../../lib';
import { crc32 } from '../../lib/core/zip';
import { bundle, BundleResult, Esbuild } from '../../lib/llrt/bundling';
import { BinaryStore } from '../../lib/llrt/store';

export const REPO = path.join(__dirname, '..', '..');
export const LLRT_HANDLERS = path.join(REPO, 'llrt-handlers');
export const LLRT_FIXTURES = path.join(__dirname, '..', 'fixtures', 'llrt');

export type Arch = 'arm64' | 'x64';

export interface ZipInput {
  readonly name: string;
  readonly data: Buffer;
  /** Store instead of deflate. */
  readonly stored?: boolean;
  /** Unix st_mode (file type and permissions); 0o120777 makes a symbolic link whose target is `data`. @default 0o100755 */
  readonly mode?: number;
}

/** Builds a zip archive (deflate by default) the way release tooling would. */
export function makeZip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf-8');
    const body = entry.stored ? entry.data : zlib.deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.stored ? 0 : 8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.stored ? 0 : 8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((entry.mode ?? 0o100755) * 0x10000, 38); // unix mode in the high 16 bits
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * A stand-in for LLRT's bootstrap: an ELF header for the architecture (enough for the machine check) followed by a
 * label. Never executed. `padding` adds incompressible-ish bytes to reach a realistic size.
 */
export function fakeBootstrap(arch: Arch, label: string, padding = 0): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2;
  header[5] = 1;
  header.writeUInt16LE(arch === 'arm64' ? 0xb7 : 0x3e, 18);
  const parts = [header, Buffer.from(`\nfake llrt ${label}\n`)];
  if (padding > 0) {
    // Half pseudo-random, half repetitive: compresses roughly like a real executable (about 2.5:1).
    // A deterministic generator (Lehmer, modulus 2^31 - 1) so sizes and hashes are stable.
    let x = 48271;
    const noise = Buffer.alloc(Math.floor(padding / 2));
    for (let i = 0; i < noise.length; i++) {
      x = (x * 48271) % 0x7fffffff;
      noise[i] = x % 256;
    }
    parts.push(noise, Buffer.alloc(padding - noise.length, 'llrt'));
  }
  return Buffer.concat(parts);
}

/** A release zip as upstream publishes it: one `bootstrap` at the root. */
export function fakeReleaseZip(arch: Arch, label: string, padding = 0): Buffer {
  return makeZip([{ name: 'bootstrap', data: fakeBootstrap(arch, label, padding) }]);
}

/** Lays out `<root>/<tag>/<asset>` for every architecture and binary type; returns the root. */
export function writeReleases(root: string, tag: string, padding = 0): string {
  for (const arch of ['arm64', 'x64'] as Arch[]) {
    for (const suffix of ['', '-no-sdk', '-full-sdk']) {
      const asset = `llrt-lambda-${arch}${suffix}.zip`;
      fs.mkdirSync(path.join(root, tag), { recursive: true });
      fs.writeFileSync(path.join(root, tag, asset), fakeReleaseZip(arch, `${tag} ${asset}`, padding));
    }
  }
  return root;
}

export interface ReleaseServer {
  /** `http://127.0.0.1:<port>/releases/download`, a base URL in GitHub's layout. */
  readonly baseUrl: string;
  readonly origin: string;
  stop(): Promise<void>;
}

/** Starts test/support/llrt-release-server.js on 127.0.0.1 in a child process (synth blocks this one). */
export async function startReleaseServer(root: string): Promise<ReleaseServer> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'llrt-release-server.js'), root], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n')[0];
      if (buffer.includes('\n')) resolve(JSON.parse(line).port);
    });
    child.on('exit', code => reject(new Error(`release server exited (${code})`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    baseUrl: `${origin}/releases/download`,
    stop: () => new Promise<void>(resolve => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface LlrtSandbox {
  readonly dir: string;
  readonly cacheDir: string;
  readonly lockFile: string;
  /** Forget every in-process cache (CDK's asset cache too), as a new `cdk synth` process would. */
  freshProcess(): void;
  restore(): void;
}

/**
 * A temporary cache root (through RUSTACEAN_LAMBDA_CACHE) and lock file, so tests never touch the real per-user
 * cache or the repository; the base URL and offline variables are cleared for the test.
 */
export function llrtSandbox(): LlrtSandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-llrt-'));
  const saved = {
    cache: process.env.RUSTACEAN_LAMBDA_CACHE,
    base: process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL,
    offline: process.env.RUSTACEAN_LAMBDA_OFFLINE,
  };
  process.env.RUSTACEAN_LAMBDA_CACHE = path.join(dir, 'cache');
  delete process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL;
  delete process.env.RUSTACEAN_LAMBDA_OFFLINE;
  const freshProcess = () => {
    BinaryStore.reset();
    Esbuild.reset();
    AssetStaging.clearAssetHashCache();
  };
  freshProcess();
  const put = (key: string, value: string | undefined) => {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  return {
    dir,
    cacheDir: path.join(dir, 'cache'),
    lockFile: path.join(dir, 'llrt.lock.json'),
    freshProcess,
    restore() {
      put('RUSTACEAN_LAMBDA_CACHE', saved.cache);
      put('RUSTACEAN_LAMBDA_LLRT_BASE_URL', saved.base);
      put('RUSTACEAN_LAMBDA_OFFLINE', saved.offline);
      freshProcess();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file below a folder, relative, sorted. */
export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach(e =>
    e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.relative(dir, path.join(d, e.name)).split(path.sep).join('/')));
  walk(dir);
  return files.sort();
}

/** Forgets this process's LLRT downloads and esbuild probe, like a new process: only on-disk caches remain. */
export function forgetLlrtState(): void {
  BinaryStore.reset();
  Esbuild.reset();
}

/** How many LLRT release files were downloaded since the last `forgetLlrtState()`. */
export function llrtDownloads(): number {
  return BinaryStore.fetches;
}

/** Bundles a handler's `handler` export as LlrtFunction does for `binaryType` and LLRT `tag`, into `outputDir`. */
export function bundleHandler(entry: string, binaryType: LlrtBinaryType, outputDir: string, tag: string): BundleResult {
  return bundle({ entry, exportName: 'handler', binaryType, options: {} }, outputDir, tag, []);
}

/** The message of the error a synth raises (fails when the synth succeeds). */
export function synthError(build: () => void): string {
  try {
    build();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth succeeded');
}
