/**
 * An on-disk memo for what a synth would otherwise ask a process for every time (`cargo metadata`, `rustc -V`,
 * `rustc --print sysroot`) or read every file for (the source fingerprint): kept in the per-user cache
 * (`<cache>/memo/`), written atomically, and reused by a later synth process only while every input it was made
 * from is unchanged.
 *
 * An input is a file (or folder) and its stamp: whether it exists, its size and modification time. A stamp that
 * differs is looked at again by content (a file's SHA-256), so touching a file without changing it keeps the
 * memo; a changed content, a file that appears or disappears, or any change of the key (the tool's path, the
 * environment that steers it) makes a new answer. A file modified within the last seconds before the memo was
 * written is always compared by content: its modification time could still change within the same tick.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cacheRoot, writeFileAtomic } from '../cache';
import { sha256, sha256Fields } from '../hash';

/** What a file looked like when a memo was written. */
export interface Stamp {
  readonly file: string;
  readonly exists: boolean;
  readonly size: number;
  /** Modification time in nanoseconds (as text: beyond a double's precision). */
  readonly mtimeNs: string;
  /** SHA-256 of a regular file's content (undefined for folders and missing files). */
  readonly sha256?: string;
  /** Modified so shortly before the memo was written that only the content can tell a later change. */
  readonly racy?: boolean;
}

/** A file modified less than this before the memo was written is compared by content. */
const RACY_MS = 2_000;

/** Files up to this size are compared by content when their stat changed. */
const HASH_LIMIT = BigInt(1024 * 1024);

/** How often memos were reused and made in this process (tests and benchmarks read it). */
export const memoStats = { hits: 0, misses: 0 };

/** Turns memos off (`RUSTACEAN_LAMBDA_MEMO=0`): every synth asks the tools again. */
function disabled(): boolean {
  return ['0', 'false', 'off'].includes((process.env.RUSTACEAN_LAMBDA_MEMO ?? '').toLowerCase());
}

/** The stamp of a file now; with `hash`, its content's SHA-256 too. */
export function stamp(file: string, hash = true): Stamp {
  let stat: fs.BigIntStats;
  try {
    stat = fs.statSync(file, { bigint: true });
  } catch {
    return { file, exists: false, size: 0, mtimeNs: '0' };
  }
  const isFile = stat.isFile();
  return {
    file,
    exists: true,
    size: isFile ? Number(stat.size) : 0,
    mtimeNs: String(stat.mtimeNs),
    // Small files (manifests, lock files, settings) by content; large ones (compilers) by their stat alone.
    sha256: isFile && hash && stat.size < HASH_LIMIT ? sha256(fs.readFileSync(file)) : undefined,
    racy: Date.now() - Number(stat.mtimeMs) < RACY_MS,
  };
}

/** True when the file is as the stamp recorded: same stat, or (a regular file) the same content. */
function unchanged(recorded: Stamp): boolean {
  const now = stamp(recorded.file, false);
  if (now.exists !== recorded.exists) return false;
  if (!now.exists) return true;
  if (!recorded.racy && now.size === recorded.size && now.mtimeNs === recorded.mtimeNs) return true;
  if (recorded.sha256 === undefined) return now.mtimeNs === recorded.mtimeNs && !recorded.racy;
  return now.size === recorded.size && sha256(fs.readFileSync(recorded.file)) === recorded.sha256;
}

interface MemoFile<T> {
  readonly key: string;
  readonly inputs: Stamp[];
  readonly value: T;
}

function memoPath(kind: string, key: string): string {
  return path.join(cacheRoot(), 'memo', `${kind}-${sha256(key).slice(0, 24)}.json`);
}

/**
 * The memo of `kind` for `keyParts`, when its inputs are unchanged; otherwise `compute()`'s answer, written to
 * the memo with the stamps of `inputs` (taken before computing, so a change while it runs is seen next time) and
 * of the further files `compute` says it read.
 */
export function memoized<T>(kind: string, keyParts: string[], inputs: string[], compute: () => { value: T; inputs?: string[] }): T {
  if (disabled()) return compute().value;
  const key = sha256Fields(kind, ...keyParts);
  const file = memoPath(kind, key);
  const found = read<T>(file, key);
  if (found && found.inputs.every(unchanged)) {
    memoStats.hits++;
    return found.value;
  }
  memoStats.misses++;
  const before = [...new Set(inputs)].map(f => stamp(f));
  const { value, inputs: more = [] } = compute();
  const stamps = [...before, ...[...new Set(more)].filter(f => !inputs.includes(f)).map(f => stamp(f))];
  try {
    writeFileAtomic(file, JSON.stringify({ key, inputs: stamps, value } satisfies MemoFile<T>));
  } catch {
    // A read-only cache folder only costs the next synth the same work.
  }
  return value;
}

/** Reads a memo written by {@link writeMemo} under the same `kind` and key (undefined when there is none). */
export function readMemo<T>(kind: string, keyParts: string[]): T | undefined {
  if (disabled()) return undefined;
  const key = sha256Fields(kind, ...keyParts);
  return read<T>(memoPath(kind, key), key)?.value;
}

/** Writes a memo whose validity the caller checks itself (the value carries what it was made from). */
export function writeMemo<T>(kind: string, keyParts: string[], value: T): void {
  if (disabled()) return;
  const key = sha256Fields(kind, ...keyParts);
  try {
    writeFileAtomic(memoPath(kind, key), JSON.stringify({ key, inputs: [], value } satisfies MemoFile<T>));
  } catch {
    // A read-only cache folder only costs the next synth the same work.
  }
}

/** True when a file was modified so recently that its modification time may not yet tell a later change. */
export function isRacy(mtimeMs: number): boolean {
  return Date.now() - mtimeMs < RACY_MS;
}

function read<T>(file: string, key: string): MemoFile<T> | undefined {
  try {
    const memo = JSON.parse(fs.readFileSync(file, 'utf-8')) as MemoFile<T>;
    return memo.key === key ? memo : undefined;
  } catch {
    return undefined;
  }
}

/** The file a command name resolves to on PATH (as spawn would find it), or the name when it is not found. */
export function resolveOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      if (fs.statSync(candidate).isFile()) return fs.realpathSync(candidate);
    } catch {
      // not here
    }
  }
  return command;
}

/** The key parts of an answer of the toolchain: the compiler PATH finds, rustup's home and the folder it runs in. */
export function toolchainKey(env: NodeJS.ProcessEnv = process.env): string[] {
  return [resolveOnPath('rustc', env), env.RUSTUP_HOME ?? '', env.CARGO_HOME ?? '', process.cwd()];
}

/** Files that decide which Rust toolchain `rustc`/`cargo` run: rustup's settings, toolchains and overrides. */
export function toolchainInputs(cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = [resolveOnPath('rustc', env), resolveOnPath('cargo', env)];
  const rustupHome = env.RUSTUP_HOME ?? path.join(env.HOME ?? '', '.rustup');
  files.push(path.join(rustupHome, 'settings.toml'));
  const toolchains = path.join(rustupHome, 'toolchains');
  files.push(toolchains);
  try {
    for (const name of fs.readdirSync(toolchains)) {
      // `rustup update` replaces the compiler and rewrites the channel manifest of the toolchain it updates.
      files.push(path.join(toolchains, name, 'bin', 'rustc'));
      files.push(path.join(toolchains, name, 'lib', 'rustlib', 'multirust-channel-manifest.toml'));
    }
  } catch {
    // no rustup
  }
  // rust-toolchain overrides in the folder the tool runs in and above it.
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    files.push(path.join(dir, 'rust-toolchain.toml'), path.join(dir, 'rust-toolchain'));
    if (path.dirname(dir) === dir) break;
  }
  return files;
}
