/**
 * Where the library keeps what outlives a synth, and how it writes there without ever leaving half a result:
 * files through a temporary sibling and a rename, folders staged in a temporary folder and renamed into place,
 * read-modify-write under a lock.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sleepSync } from './process';

/** Environment variables of the cache (documented in the README). */
export const CACHE_ENV = {
  /** Root of the per-user cache (replaces `<OS cache dir>/rustacean-lambda`). */
  cache: 'RUSTACEAN_LAMBDA_CACHE',
  /** `1` or `true`: never download; what is not in a cache already fails the synth. */
  offline: 'RUSTACEAN_LAMBDA_OFFLINE',
} as const;

/**
 * The per-user cache root: `$RUSTACEAN_LAMBDA_CACHE`, else the OS's user cache folder + `rustacean-lambda`
 * (`%LOCALAPPDATA%` on Windows, `~/Library/Caches` on macOS, `$XDG_CACHE_HOME` or `~/.cache` elsewhere).
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env[CACHE_ENV.cache];
  if (explicit) return path.resolve(explicit);
  const home = os.homedir();
  let base: string;
  if (process.platform === 'win32') base = env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  else if (process.platform === 'darwin') base = path.join(home, 'Library', 'Caches');
  else base = env.XDG_CACHE_HOME || path.join(home, '.cache');
  return path.join(base, 'rustacean-lambda');
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.trim().toLowerCase());
}

/** True when `RUSTACEAN_LAMBDA_OFFLINE` forbids downloads. */
export function offline(): boolean {
  return isTruthy(process.env[CACHE_ENV.offline]);
}

/** Writes a file through a temporary sibling and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, data: Buffer | string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export interface StageOptions {
  /** Name of the temporary folder, next to `dir`: `<prefix>XXXXXX`. @default `.tmp-<basename of dir>-` */
  readonly tmpPrefix?: string;
  /** Whether a folder another process renamed into place first is one to keep. @default - it exists */
  readonly complete?: (dir: string) => boolean;
}

/**
 * Fills a folder all at once: `fill` writes into a fresh temporary folder next to `dir`, which is then renamed to
 * `dir`, so readers see a complete folder or none. When another process renamed its own copy into place first,
 * theirs is kept (when `complete` says it is). A failed `fill` leaves nothing behind.
 */
export function stageDirectory(dir: string, fill: (staging: string) => void, options: StageOptions = {}): string {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, options.tmpPrefix ?? `.tmp-${path.basename(dir)}-`));
  try {
    fill(staging);
    try {
      fs.renameSync(staging, dir);
    } catch (e) {
      // Another process finished the same folder first: keep theirs.
      if (!(options.complete ?? fs.existsSync)(dir)) throw e;
    }
    return dir;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes temporary folders and files named `<prefix>...` in `parent` that are older than `maxAgeMs` (killed runs). */
export function removeStale(parent: string, prefixes: string[], maxAgeMs = 3600_000): void {
  if (!fs.existsSync(parent)) return;
  for (const name of fs.readdirSync(parent)) {
    if (!prefixes.some(prefix => name.startsWith(prefix))) continue;
    const file = path.join(parent, name);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > maxAgeMs) fs.rmSync(file, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

export interface FileLockOptions {
  /** How long to wait for another holder before giving up. @default 20 s */
  readonly waitMs?: number;
  /** A lock older than this is taken over: its owner died between taking and releasing it. @default 30 s */
  readonly staleMs?: number;
  /** How often to look again. @default 2 ms */
  readonly pollMs?: number;
  /** Called once when another process holds the lock. */
  readonly onWait?: () => void;
}

/**
 * Runs `update` while holding `<file>.lock` (a folder: `mkdir` is atomic on every file system we meet). Waits for
 * another holder, and takes over a lock left stale by a process that died.
 */
export function withFileLock<T>(file: string, update: () => T, options: FileLockOptions = {}): T {
  const lock = `${file}.lock`;
  const staleMs = options.staleMs ?? 30_000;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 20_000);
  let waited = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      if (!waited) {
        waited = true;
        options.onWait?.();
      }
      if (Date.now() > deadline) {
        throw new Error(`${file} is locked by another process (${lock} exists); if no synth is running, delete ${lock}`);
      }
      sleepSync(options.pollMs ?? 2);
    }
  }
  try {
    return update();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Rewrites a file read-modify-write under {@link withFileLock}, so two processes updating it at once keep both
 * changes: `update` gets its text (undefined when there is no file) and returns the new text, written atomically.
 */
export function updateFileAtomic(file: string, update: (text: string | undefined) => string): void {
  withFileLock(file, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf-8') : undefined;
    writeFileAtomic(file, update(text));
  });
}
