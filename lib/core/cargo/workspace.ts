/**
 * What a Cargo workspace holds, read without building: its manifest, binaries and target directory, a fingerprint
 * of its sources, and the part of cargo's output a person needs.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { sha256Fields } from '../hash';
import { isRacy, memoized, memoStats, readMemo, resolveOnPath, toolchainInputs, writeMemo } from './memo';
import { run } from '../process';

/** A binary target of a Cargo package. */
export interface CargoBinary {
  readonly name: string;
  readonly packageName: string;
}

/** What `cargo metadata --no-deps` tells about a workspace, reduced to what the build needs. */
export interface CargoWorkspace {
  /** Absolute path of the workspace root directory. */
  readonly root: string;
  /** Absolute path of the workspace's `Cargo.toml`. */
  readonly manifest: string;
  /** Cargo's target directory (honours `CARGO_TARGET_DIR` and `.cargo/config.toml`). */
  readonly targetDirectory: string;
  /** Every binary of every member. */
  readonly binaries: CargoBinary[];
  /** The package whose manifest was given, when it was a member's (or a single package's) `Cargo.toml`. */
  readonly selectedPackage?: string;
}

const metadataCache = new Map<string, CargoWorkspace>();

/** Forget the workspaces read in this process (tests; the on-disk memo stays). */
export function forgetWorkspaces(): void {
  metadataCache.clear();
}

/**
 * Reads the workspace layout with `cargo metadata --no-deps` (no network, no build): once per process, and across
 * synth processes from the on-disk memo while the manifests, the lock file, cargo's configuration, the
 * environment that steers it and the toolchain are unchanged.
 */
export function readWorkspace(manifest: string): CargoWorkspace {
  const cached = metadataCache.get(manifest);
  if (cached) return cached;
  const cwd = path.dirname(manifest);
  const keyParts = [manifest, resolveOnPath('cargo'), ...CARGO_ENV.map(name => `${name}=${process.env[name] ?? ''}`),
    // Targets cargo finds on its own (src/main.rs, src/bin/*) and members a glob adds are in no manifest.
    discoveredTargets(cwd)];
  const workspace = memoized('cargo-metadata', keyParts, metadataInputs(manifest), () => {
    const read = runCargoMetadata(manifest);
    return { value: read.workspace, inputs: read.manifests };
  });
  metadataCache.set(manifest, workspace);
  return workspace;

  function metadataInputs(file: string): string[] {
    const files = [file, ...toolchainInputs(cwd)];
    for (let dir = cwd; ; dir = path.dirname(dir)) {
      files.push(path.join(dir, 'Cargo.toml'), path.join(dir, 'Cargo.lock'));
      files.push(path.join(dir, '.cargo', 'config.toml'), path.join(dir, '.cargo', 'config'));
      if (path.dirname(dir) === dir) break;
    }
    const cargoHome = process.env.CARGO_HOME ?? path.join(process.env.HOME ?? '', '.cargo');
    files.push(path.join(cargoHome, 'config.toml'), path.join(cargoHome, 'config'));
    return files;
  }
}

/**
 * The files by which cargo discovers targets and members without a manifest naming them (`src/main.rs`,
 * `src/lib.rs`, `src/bin/**`, every `Cargo.toml`), under the workspace that holds `dir`: their paths, hashed. A
 * binary added as `src/bin/new.rs`, or a member folder that a `members = ["crates/*"]` glob picks up, changes it.
 */
function discoveredTargets(dir: string): string {
  let root = dir;
  for (let d = dir; ; d = path.dirname(d)) {
    const toml = path.join(d, 'Cargo.toml');
    if (fs.existsSync(toml) && /^\s*\[workspace\]/m.test(fs.readFileSync(toml, 'utf-8'))) {
      root = d;
      break;
    }
    if (path.dirname(d) === d) break;
  }
  const discovered = listSources(root, path.join(root, 'target'))
    .filter(file => /(^|\/)Cargo\.toml$|(^|\/)src\/(main|lib)\.rs$|(^|\/)src\/bin\//.test(file));
  return `targets:${sha256Fields(root, ...discovered)}`;
}

/** Environment variables that change what `cargo metadata` answers (the target folder, cargo's home). */
const CARGO_ENV = ['CARGO_TARGET_DIR', 'CARGO_BUILD_TARGET_DIR', 'CARGO_HOME', 'RUSTUP_TOOLCHAIN', 'RUSTUP_HOME'];

function runCargoMetadata(manifest: string): { workspace: CargoWorkspace; manifests: string[] } {
  const result = run('cargo', ['metadata', '--no-deps', '--format-version', '1', '--manifest-path', manifest], {
    cwd: path.dirname(manifest),
  });
  if (result.error) {
    throw new Error(`cannot run 'cargo metadata' for ${manifest}: ${result.error.message}; ` +
      'install Rust from https://rustup.rs and make sure `cargo` is on PATH');
  }
  if (result.status !== 0) {
    throw new Error(`'cargo metadata' failed for ${manifest}:\n${cargoErrors(result.stderr)}`);
  }
  const meta = JSON.parse(result.stdout) as {
    workspace_root: string;
    target_directory: string;
    packages: Array<{ name: string; manifest_path: string; targets: Array<{ name: string; kind: string[] }> }>;
  };
  const binaries: CargoBinary[] = [];
  for (const pkg of meta.packages) {
    for (const target of pkg.targets) {
      if (target.kind.includes('bin')) binaries.push({ name: target.name, packageName: pkg.name });
    }
  }
  const selected = meta.packages.find(p => path.resolve(p.manifest_path) === manifest);
  const workspace: CargoWorkspace = {
    root: meta.workspace_root,
    manifest: path.join(meta.workspace_root, 'Cargo.toml'),
    targetDirectory: meta.target_directory,
    binaries,
    selectedPackage: selected?.name,
  };
  return {
    workspace,
    manifests: [workspace.manifest, path.join(meta.workspace_root, 'Cargo.lock'), ...meta.packages.map(p => p.manifest_path)],
  };
}

/**
 * Picks the binary to deploy. `binaryName` may name a bin target or a package with exactly one bin; without it
 * the package (or workspace) must have exactly one bin.
 */
export function resolveBinary(workspace: CargoWorkspace, binaryName: string | undefined): CargoBinary {
  const all = workspace.binaries;
  const listing = (bins: CargoBinary[]) => bins.map(b => b.name).join(', ') || '(none)';
  const where = path.relative(process.cwd(), workspace.manifest) || workspace.manifest;

  if (binaryName !== undefined) {
    const byBin = all.filter(b => b.name === binaryName);
    if (byBin.length === 1) return byBin[0];
    if (byBin.length > 1) {
      throw new Error(`binaryName '${binaryName}' is a binary of several packages (${byBin.map(b => b.packageName).join(', ')}) ` +
        `in ${where}; rename one of them so the name is unique`);
    }
    const ofPackage = all.filter(b => b.packageName === binaryName);
    if (ofPackage.length === 1) return ofPackage[0];
    if (ofPackage.length > 1) {
      throw new Error(`binaryName '${binaryName}' is a package with several binaries in ${where}; ` +
        `binaries: ${listing(ofPackage)}; set binaryName to one of them`);
    }
    throw new Error(`binaryName '${binaryName}' not found in ${where}; binaries: ${listing(all)}`);
  }

  const candidates = workspace.selectedPackage ? all.filter(b => b.packageName === workspace.selectedPackage) : all;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    throw new Error(`no binary target in ${where}; add a \`src/main.rs\` or a [[bin]] section (cargo lambda new creates one)`);
  }
  throw new Error(`${where} has several binaries and no binaryName was given; binaries: ${listing(candidates)}; ` +
    'set binaryName to one of them');
}

/** Folders never part of a Rust build's inputs. */
const IGNORED_DIRS = new Set(['target', '.git', 'node_modules', 'cdk.out', '.idea', '.vscode']);

/**
 * A content fingerprint of a workspace's sources: every file below the root except build output, VCS data
 * and dependency folders. Same sources, same fingerprint, on any machine.
 *
 * A later synth process reuses the fingerprint from the on-disk memo when every file has the path, size and
 * modification time it had (a walk of the folders and a stat per file, no file read); files modified in the last
 * seconds are always read.
 */
export function fingerprintSources(root: string, targetDirectory?: string): string {
  const files = listSources(root, targetDirectory);
  let racy = false;
  const listing = crypto.createHash('sha256');
  for (const file of files) {
    const stat = fs.statSync(path.join(root, file), { bigint: true });
    if (isRacy(Number(stat.mtimeMs))) racy = true;
    listing.update(`${file}\0${stat.size}\0${stat.mtimeNs}\0${stat.ino}\n`);
  }
  const keyParts = [path.resolve(root), targetDirectory ? path.resolve(targetDirectory) : ''];
  const stats = listing.digest('hex');
  const memo = racy ? undefined : readMemo<{ stats: string; fingerprint: string }>('fingerprint', keyParts);
  if (memo && memo.stats === stats) {
    memoStats.hits++;
    return memo.fingerprint;
  }
  memoStats.misses++;
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    hash.update(file);
    hash.update('\0');
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  const fingerprint = hash.digest('hex');
  if (!racy) writeMemo('fingerprint', keyParts, { stats, fingerprint });
  return fingerprint;
}

/** The source files of a workspace (relative, `/`-separated), in the fingerprint's order. */
function listSources(root: string, targetDirectory?: string): string[] {
  const files: string[] = [];
  const skip = targetDirectory ? path.resolve(targetDirectory) : undefined;
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (IGNORED_DIRS.has(entry.name) || full === skip || isNestedWorkspace(full)) continue;
        walk(full);
      } else if (entry.isFile()) {
        files.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  };
  walk(root);
  return files;
}

/** A folder with a `Cargo.toml` of its own `[workspace]` is never part of the enclosing workspace's build. */
function isNestedWorkspace(dir: string): boolean {
  const manifest = path.join(dir, 'Cargo.toml');
  return fs.existsSync(manifest) && /^\s*\[workspace\]/m.test(fs.readFileSync(manifest, 'utf-8'));
}

/**
 * The part of cargo's output a person needs: the `error` blocks (with their source snippets) when there are any,
 * else the last lines.
 */
export function cargoErrors(stderr: string, maxLines = 60): string {
  const lines = (stderr ?? '').split(/\r?\n/);
  const blocks: string[] = [];
  let inError = false;
  for (const line of lines) {
    if (/^error(\[E\d+\])?:/.test(line)) inError = true;
    else if (/^(warning|\s*Compiling|\s*Finished|\s*Building|\s*Running)\b/.test(line)) inError = false;
    if (inError) blocks.push(line);
  }
  const chosen = blocks.length > 0 ? blocks : lines.filter(l => l.trim() !== '').slice(-20);
  const trimmed = chosen.length > maxLines ? [...chosen.slice(0, maxLines), `... (${chosen.length - maxLines} more lines)`] : chosen;
  return trimmed.map(l => `  ${l}`).join('\n');
}
