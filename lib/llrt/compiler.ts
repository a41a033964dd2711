/* eslint-disable no-bitwise */
/**
 * LLRT's bytecode compiler: `llrt compile <in.js> <out.lrt>` of a non-`lambda` build (the Lambda build refuses
 * the command: "Not supported in \"lambda\" version."), run on this machine at synth, never shipped.
 *
 * What LLRT 0.8.1-beta's sources say (llrt 0.8.1-beta `src/main.rs`, llrt_core 0.8.1-beta `src/compiler.rs`,
 * `src/bytecode.rs`, `src/modules/embedded/loader.rs`, `build.rs`; llrt_utils 0.8.1-beta `src/io.rs`):
 * - `compile` declares the file as one ES module (imports are not followed: the bundle must be one file), writes
 *   its QuickJS bytecode, zstd-compresses it (level 22) with a dictionary and prefixes `lrt01` `c` <u32 LE size>;
 *   `lrt01` `u` marks uncompressed bytecode, which the loader accepts as well.
 * - The dictionary is trained by `build.rs` (`zstd --train`) on LLRT's own modules of *that build*: the Lambda
 *   build leaves `@llrt/test` out of them, so its dictionary differs from the compiler's (and a release's from
 *   both). A `.lrt` is therefore rewritten here as uncompressed bytecode (decompressed with the compiler's own
 *   dictionary), which any runtime of the same QuickJS loads.
 * - Nothing in a `.lrt` names the LLRT release: the only checks at load are the `lrt01` signature and QuickJS's
 *   bytecode version byte (`invalid version (%d expected=%d)`). Upstream's `compile` help says the file "is
 *   expected to be executed by the llrt version that created it": that is checked here, at synth, by comparing
 *   the compiler's version (`llrt --version`: `LLRT v<version> (<platform>, <arch>)`) with the runtime's.
 * - The handler `index.handler` is imported as `<task root>/index`, tried with `.js`, `.mjs`, `.cjs`, then `.lrt`
 *   (`SUPPORTED_EXTENSIONS`): the asset must hold `index.lrt` and no `index.mjs`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../core/process';

/** The bytecode signature and its two kinds (llrt_core `src/bytecode.rs`). */
const SIGNATURE = Buffer.from('lrt01', 'latin1');
const COMPRESSED = 'c'.charCodeAt(0);
const UNCOMPRESSED = 'u'.charCodeAt(0);
const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const ZSTD_DICT_MAGIC = 0xec30a437;

/** A compiler binary ready to run on this machine. */
export interface CompilerBinary {
  /** The `llrt` executable (a non-lambda build). */
  readonly file: string;
  /** Its release tag, e.g. `v0.8.1-beta`, as it reports it. */
  readonly version: string;
  /** The zstd dictionaries it may have compressed with (files), when known (our own builds). */
  readonly dictionaries: string[];
  /** For messages. */
  readonly origin: string;
}

/** `LLRT v0.8.1-beta (linux, x86_64)` -> `v0.8.1-beta`. */
export function versionFromBanner(text: string): string | undefined {
  return /LLRT v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?) \(/.exec(text)?.[1]?.replace(/^/, 'v');
}

/** The version an LLRT binary (Lambda build or not, any architecture) carries in its `--version` banner. */
export function versionInBinary(file: string): string | undefined {
  return versionInBuffer(fs.readFileSync(file));
}

/** {@link versionInBinary} of a binary in memory. */
export function versionInBuffer(data: Buffer): string | undefined {
  const marker = Buffer.from('LLRT v', 'latin1');
  for (let at = data.indexOf(marker); at >= 0; at = data.indexOf(marker, at + 1)) {
    const found = versionFromBanner(data.subarray(at, at + 64).toString('latin1'));
    if (found) return found;
  }
  return undefined;
}

/** Runs `<file> --version` and reads the release from its banner. */
export function compilerVersion(file: string): string {
  const result = run(file, ['--version'], { timeoutMs: 60_000 });
  const version = result.status === 0 ? versionFromBanner(`${result.stdout ?? ''}`) : undefined;
  if (!version) {
    throw new Error(`the LLRT bytecode compiler ${file} does not run here or does not print LLRT's version banner ` +
      `(\`${path.basename(file)} --version\`: ${result.error?.message ?? `exit code ${result.status}`}` +
      `${result.stdout ? `, output '${`${result.stdout}`.trim().slice(0, 80)}'` : ''}); name a non-lambda \`llrt\` ` +
      'binary for this machine, of the same version as the runtime');
  }
  return version;
}

/** Refuses bytecode from a compiler of another release than the runtime: QuickJS does not check it. */
export function checkSameVersion(compiler: CompilerBinary, runtimeVersion: string): void {
  if (compiler.version !== runtimeVersion) {
    const what = `the LLRT bytecode compiler is LLRT ${compiler.version} (${compiler.origin})`;
    throw new Error(`${what} but the function runs LLRT ${runtimeVersion}: bytecode (.lrt) is only loaded reliably by ` +
      `the release that wrote it; name a compiler of ${runtimeVersion}, or set bundling.bytecode to false`);
  }
}

/** Where a compile error points: `<file>:<line>:<column>` in the bundle. */
export interface BundlePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Compiles `<dir>/index.mjs` into bytecode (run in `dir` with relative names, so the module is called `index` and
 * the output does not depend on the temporary folder) and returns the `.lrt` as the runtime will load it:
 * uncompressed, or as written when no dictionary of the compiler is known. A compile error is thrown with LLRT's
 * message and the position in the bundle (`mapPosition` turns it into the source file and line).
 */
export function compileBundle(compiler: CompilerBinary, dir: string,
  mapPosition: (at: BundlePosition) => string | undefined): Buffer {
  const output = path.join(dir, 'index.lrt');
  fs.rmSync(output, { force: true });
  const result = run(compiler.file, ['compile', 'index.mjs', 'index.lrt'], { cwd: dir, timeoutMs: 300_000 });
  if (result.error || result.status !== 0 || !fs.existsSync(output)) {
    const text = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
    // QuickJS reports `SyntaxError: <message>` with `at index:<line>:<column>` (the module is named `index`).
    const at = /\bindex(?:\.mjs)?:(\d+)(?::(\d+))?/.exec(text);
    const where = at ? mapPosition({ line: Number(at[1]), column: Number(at[2] ?? 1) }) : undefined;
    // LLRT prints `Error: Exception(Exception { message: Some("<message>"), stack: Some("    at index:2:17\n") })`.
    const first = /message: Some\("((?:[^"\\]|\\.)*)"\)/.exec(text)?.[1] ?? text.split('\n').find(l => l.trim()) ??
      (result.error?.message ?? `exit code ${result.status}`);
    throw new Error(`LLRT ${compiler.version} could not compile the bundle to bytecode${where ? ` at ${where}` : ''}: ` +
      `${first.trim()}${at && !where ? ` (index.mjs line ${at[1]})` : ''}; fix the code, or set bundling.bytecode to false ` +
      `to deploy JavaScript\n${text.slice(0, 2000)}`);
  }
  return uncompressed(fs.readFileSync(output), compiler);
}

/** The zstd dictionary id a `.lrt` was compressed with (0 when the frame names none). */
export function frameDictionaryId(lrt: Buffer): number {
  const frame = lrt.subarray(SIGNATURE.length + 1 + 4);
  if (frame.length < 6 || frame.readUInt32LE(0) !== ZSTD_FRAME_MAGIC) throw new Error('not a zstd frame after the .lrt header');
  const descriptor = frame[4];
  const idBytes = [0, 1, 2, 4][descriptor & 3];
  const singleSegment = (descriptor >> 5) & 1;
  const at = 5 + (singleSegment ? 0 : 1);
  if (idBytes === 0) return 0;
  return idBytes === 1 ? frame[at] : idBytes === 2 ? frame.readUInt16LE(at) : frame.readUInt32LE(at);
}

/** The id of a zstd dictionary file (`zstd --train` output), or undefined when it is not one. */
export function dictionaryId(dictionary: Buffer): number | undefined {
  return dictionary.length >= 8 && dictionary.readUInt32LE(0) === ZSTD_DICT_MAGIC ? dictionary.readUInt32LE(4) : undefined;
}

/** Rewrites a compressed `.lrt` as `lrt01` `u` <bytecode>, with the compiler's dictionary and the zstd CLI. */
export function uncompressed(lrt: Buffer, compiler: CompilerBinary): Buffer {
  if (lrt.length < SIGNATURE.length + 1 || !lrt.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
    throw new Error(`${compiler.origin} wrote a file without LLRT's bytecode signature 'lrt01'; is it an LLRT binary?`);
  }
  const kind = lrt[SIGNATURE.length];
  if (kind === UNCOMPRESSED) return lrt;
  if (kind !== COMPRESSED) throw new Error(`${compiler.origin} wrote an unknown kind of bytecode ('${String.fromCharCode(kind)}')`);
  const id = frameDictionaryId(lrt);
  const dictionary = compiler.dictionaries.find(d => dictionaryId(fs.readFileSync(d)) === id);
  if (!dictionary) return lrt; // the caller checks that the runtime has this dictionary
  const size = lrt.readUInt32LE(SIGNATURE.length + 1);
  const result = spawnSync('zstd', ['-d', '-q', '-c', '-D', dictionary], { input: lrt.subarray(SIGNATURE.length + 1 + 4), maxBuffer: 1 << 30 });
  const raw = result.stdout;
  if (result.error || result.status !== 0 || !raw || raw.length !== size) {
    throw new Error(`cannot decompress the bytecode ${compiler.origin} wrote with its dictionary ${dictionary} ` +
      `(zstd: ${result.error?.message ?? (result.stderr?.toString().trim() || `exit code ${result.status}`)}); the zstd ` +
      'command is needed (LLRT\'s own build needs it too)');
  }
  return Buffer.concat([SIGNATURE, Buffer.from([UNCOMPRESSED]), raw]);
}

/**
 * Checks that a runtime can load a `.lrt` as it is: uncompressed always; compressed only when the runtime embeds
 * the dictionary it was compressed with (its magic number and id are in the binary).
 */
export function checkLoadable(lrt: Buffer, runtimeBinary: Buffer | undefined, compiler: CompilerBinary, runtime: string): void {
  if (lrt[SIGNATURE.length] === UNCOMPRESSED || !runtimeBinary) return;
  const id = frameDictionaryId(lrt);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(ZSTD_DICT_MAGIC, 0);
  header.writeUInt32LE(id, 4);
  if (!runtimeBinary.includes(header)) {
    throw new Error(`the bytecode ${compiler.origin} wrote is compressed with its zstd dictionary ${id}, which ${runtime} ` +
      'does not have (each LLRT build trains its own), so it could not load it; use a compiler built by this library ' +
      '(its bytecode is rewritten uncompressed), or set bundling.bytecode to false');
  }
}

/** One base64 VLQ-decoded source map line: [generated column, source, original line, original column] segments. */
function decodeLine(line: string): number[][] {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return line.split(',').filter(s => s).map(segment => {
    const values: number[] = [];
    let value = 0;
    let shift = 0;
    for (const ch of segment) {
      const digit = chars.indexOf(ch);
      value += (digit & 31) << shift;
      if (digit & 32) {
        shift += 5;
      } else {
        values.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
    }
    return values;
  });
}

/**
 * The source file and line of a position in the bundle (1-based line and column), from esbuild's source map
 * `<bundle>.map`: `src/handler.ts:12`.
 */
export function sourcePosition(mapFile: string, at: BundlePosition): string | undefined {
  if (!fs.existsSync(mapFile)) return undefined;
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf-8')) as { sources: string[]; mappings: string; sourceRoot?: string };
  const lines = map.mappings.split(';');
  let source = 0;
  let originalLine = 0;
  let found: { source: number; line: number } | undefined;
  for (let l = 0; l < lines.length && l < at.line; l++) {
    let column = 0;
    for (const segment of decodeLine(lines[l])) {
      column += segment[0];
      if (segment.length < 4) continue;
      source += segment[1];
      originalLine += segment[2];
      if (l === at.line - 1 && column <= at.column - 1) found = { source, line: originalLine };
      else if (l === at.line - 1 && !found) found = { source, line: originalLine };
    }
  }
  if (!found || map.sources[found.source] === undefined) return undefined;
  const file = path.resolve(path.dirname(mapFile), map.sourceRoot ?? '', map.sources[found.source]);
  return `${displayPath(file)}:${found.line + 1}`;
}

/** A file as messages name it: relative to the working directory when it lies inside it, else absolute. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
