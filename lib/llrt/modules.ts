import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The modules an LLRT release provides, read from its Rust sources: every `ModuleInfo { name: "..." }` of the
 * `llrt_*` crates its Cargo.lock names, with the exports each module declares (`declare.declare(...)`), and the
 * JavaScript modules `llrt_core` compiles in (`src/modules/js`).
 */
export interface LlrtModules {
  /** The release, e.g. `0.8.1-beta`. */
  readonly version: string;
  /** Module name (`fs`, `fs/promises`, `llrt:xml`) -> declared exports; empty when none could be read. */
  readonly modules: Record<string, string[]>;
}

/** Where cargo keeps unpacked crates: `$CARGO_HOME/registry/src/<index>/<name>-<version>`. */
function registrySourceDirs(): string[] {
  const home = process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo');
  const root = path.join(home, 'registry', 'src');
  return fs.existsSync(root) ? fs.readdirSync(root).map(d => path.join(root, d)) : [];
}

/** The `llrt_*` packages (name and version) of a Cargo.lock. */
function llrtPackages(lockFile: string): Array<{ name: string; version: string }> {
  const text = fs.readFileSync(lockFile, 'utf-8');
  const packages: Array<{ name: string; version: string }> = [];
  for (const block of text.split('[[package]]')) {
    const name = /^name = "([^"]+)"/m.exec(block)?.[1];
    const version = /^version = "([^"]+)"/m.exec(block)?.[1];
    if (name && version && /^llrt_/.test(name)) packages.push({ name, version });
  }
  return packages;
}

function rustFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.rs')) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/**
 * Reads the module list of an LLRT release from the crate folder (with its Cargo.lock) and the dependency sources
 * cargo has unpacked (they are there once the crate has been built or `cargo fetch --locked` has run).
 */
export function modulesFromSources(crateDir: string, version: string): LlrtModules {
  const registries = registrySourceDirs();
  const names = new Map<string, string>(); // struct -> module name
  const declared = new Map<string, string[]>(); // struct -> exports
  const missing: string[] = [];
  let coreDir: string | undefined;
  for (const pkg of llrtPackages(path.join(crateDir, 'Cargo.lock'))) {
    const dir = registries.map(r => path.join(r, `${pkg.name}-${pkg.version}`)).find(d => fs.existsSync(d));
    if (!dir) {
      missing.push(`${pkg.name}-${pkg.version}`);
      continue;
    }
    if (pkg.name === 'llrt_core') coreDir = dir;
    for (const file of rustFiles(path.join(dir, 'src'))) {
      const text = fs.readFileSync(file, 'utf-8');
      for (const m of text.matchAll(/impl\s+From<(\w+)>\s+for\s+ModuleInfo<\w+>\s*\{[\s\S]*?name:\s*"([^"]+)"/g)) names.set(m[1], m[2]);
      for (const m of text.matchAll(/impl\s+ModuleDef\s+for\s+(\w+)\s*\{([\s\S]*?)fn\s+evaluate/g)) {
        const exports = [...m[2].matchAll(/declare\.declare\((?:stringify!\((\w+)\)|"([^"]+)")\)/g)].map(d => d[1] ?? d[2]);
        declared.set(m[1], [...new Set(exports)].sort());
      }
    }
  }
  // Packages the build never compiles (llrt_test, platform-specific ones) are never unpacked: only the two that
  // register every module must be there.
  if (missing.some(m => /^llrt_(core|modules)-/.test(m))) {
    throw new Error(`the sources of LLRT ${version} are not unpacked (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); ` +
      `run \`cargo fetch --locked\` in ${crateDir}`);
  }
  const modules: Record<string, string[]> = {};
  for (const [struct, name] of names) modules[name] = declared.get(struct) ?? [];
  // JavaScript modules compiled into the runtime (not @llrt/*, LLRT's own test runner).
  if (coreDir) {
    const jsRoot = path.join(coreDir, 'src', 'modules', 'js');
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        const rel = path.relative(jsRoot, full).split(path.sep).join('/');
        if (rel.startsWith('@')) continue;
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) modules[rel.replace(/(\/index)?\.ts$/, '')] ??= [];
      }
    };
    if (fs.existsSync(jsRoot)) walk(jsRoot);
  }
  const sorted: Record<string, string[]> = {};
  for (const k of Object.keys(modules).sort()) sorted[k] = modules[k];
  return { version, modules: sorted };
}
