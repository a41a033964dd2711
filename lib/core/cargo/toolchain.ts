/**
 * The Rust toolchain probe: which rustup toolchain has the standard library for a target, what compiler that is,
 * and whether cargo-lambda (and zig) can run. Every answer is asked once per process.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Architecture, ARCHITECTURES } from '../arch';
import { memoized, resolveOnPath, toolchainInputs, toolchainKey } from './memo';
import { run } from '../process';

/**
 * Finds and checks the tools a build needs. Each check runs once per process (they spawn processes);
 * `Toolchain.reset()` forgets them (for tests).
 */
export class Toolchain {
  /** Forget every cached detection result. */
  public static reset(): void {
    Toolchain.cargoLambdaChecked = false;
    Toolchain.zigChecked = false;
    Toolchain.targetCache.clear();
    Toolchain.identityCache.clear();
  }

  /** A short description of the compiler in use, part of the asset hash so a toolchain upgrade redeploys. */
  public static identity(toolchain: string | undefined): string {
    const key = toolchain ?? process.env.RUSTUP_TOOLCHAIN ?? '';
    let id = Toolchain.identityCache.get(key);
    if (id === undefined) {
      const env = toolchain ? { ...process.env, RUSTUP_TOOLCHAIN: toolchain } : process.env;
      // Across synth processes from the memo while the toolchain's files are unchanged.
      id = memoized('rustc-version', [key, ...toolchainKey()], toolchainInputs(process.cwd()), () => {
        const result = run('rustc', ['-V'], { env });
        return { value: result.status === 0 ? result.stdout.trim() : 'rustc-unknown' };
      });
      Toolchain.identityCache.set(key, id);
    }
    return id;
  }

  /**
   * The identity of the compiler that will build `architecture`: the one `forTarget` picks. When no toolchain has
   * the target, a marker (the build itself then fails with instructions).
   */
  public static resolvedIdentity(architecture: Architecture, requested: string | undefined): string {
    let toolchain: string | undefined;
    try {
      toolchain = Toolchain.forTarget(architecture, requested);
    } catch {
      return `no toolchain with ${ARCHITECTURES[architecture].rustTarget}`;
    }
    return Toolchain.identity(toolchain);
  }

  /** Throws with install instructions unless cargo-lambda (and zig, when it will be used) can run. */
  public static checkCargoLambda(extraFlags: string[]): void {
    if (!Toolchain.cargoLambdaChecked) {
      const result = run('cargo-lambda', ['lambda', '--version']);
      if (result.error || result.status !== 0) {
        throw new Error('cargo-lambda was not found on PATH (`cargo-lambda lambda --version` failed' +
          `${result.error ? `: ${result.error.message}` : ''}); install it with \`pip install cargo-lambda\` ` +
          '(brings zig), `brew install cargo-lambda/tap/cargo-lambda` or `cargo install --locked cargo-lambda`; ' +
          'see https://www.cargo-lambda.info/guide/installation.html');
      }
      const version = parseCargoLambdaVersion(result.stdout);
      if (version && compareVersions(version, MIN_CARGO_LAMBDA_VERSION) < 0) {
        throw new Error(`cargo-lambda ${version.join('.')} is too old: this library needs cargo-lambda ` +
          `${MIN_CARGO_LAMBDA_VERSION.join('.')} or newer (it passes --disable-optimizations, --skip-target-check, ` +
          '--lambda-dir and glibc-suffixed targets); upgrade it with `pip install -U cargo-lambda`, ' +
          '`brew upgrade cargo-lambda` or `cargo install --locked cargo-lambda`');
      }
      Toolchain.cargoLambdaChecked = true;
    }
    const compiler = flagValue(extraFlags, '--compiler');
    if (compiler !== undefined && compiler !== 'cargo-zigbuild') return;
    if (!Toolchain.zigChecked) {
      const zig = run('zig', ['version']);
      const fromPip = zig.status === 0 ? zig : run('python3', ['-m', 'ziglang', 'version']);
      if (fromPip.status !== 0) {
        throw new Error('zig was not found (neither `zig` on PATH nor the `ziglang` Python module); cargo-lambda ' +
          'uses it to cross-compile and to link against the glibc of Lambda\'s provided.al2023; install it with ' +
          '`pip install ziglang`, or pass bundling.cargoLambdaFlags [\'--compiler\', \'cargo\'] to build without zig');
      }
      Toolchain.zigChecked = true;
    }
  }

  /**
   * The rustup toolchain to build `architecture` with: the requested one (it must have the target), else the
   * default when it has the target, else the first installed toolchain that has it.
   * Returns undefined for "the default toolchain".
   */
  public static forTarget(architecture: Architecture, requested: string | undefined): string | undefined {
    const target = ARCHITECTURES[architecture].rustTarget;
    const wanted = requested ?? process.env.RUSTUP_TOOLCHAIN;
    if (wanted) {
      if (Toolchain.hasTarget(wanted, target)) return wanted;
      throw new Error(`toolchain '${wanted}' has no Rust standard library for ${target} (architecture ${architecture}); ` +
        `run \`rustup target add ${target} --toolchain ${wanted}\`, choose another toolchain, or change the architecture`);
    }
    if (Toolchain.hasTarget(undefined, target)) return undefined;
    const names = memoized('rustup-toolchains', [resolveOnPath('rustup'), ...toolchainKey()], toolchainInputs(process.cwd()), () => {
      const list = run('rustup', ['toolchain', 'list']);
      return { value: list.status === 0 ? list.stdout.split('\n').map(l => l.trim().split(/\s+/)[0]).filter(n => n) : [] };
    });
    for (const name of names) {
      if (Toolchain.hasTarget(name, target)) return name;
    }
    throw new Error(`no Rust standard library for ${target} (architecture ${architecture}) in the default toolchain` +
      `${names.length ? ` nor in the rustup toolchains ${names.join(', ')}` : ''}; run \`rustup target add ${target}\`, ` +
      'set the toolchain option (`bundling.toolchain`; `toolchain` of fromSource()) to one that has it, or choose ' +
      'the other architecture (on Debian without rustup downloads: ' +
      'scripts/setup.sh installs libstd-rust-web-dev:arm64)');
  }

  private static cargoLambdaChecked = false;
  private static zigChecked = false;
  private static readonly targetCache = new Map<string, boolean>();
  private static readonly identityCache = new Map<string, string>();

  private static hasTarget(toolchain: string | undefined, target: string): boolean {
    const key = `${toolchain ?? ''}|${target}`;
    let found = Toolchain.targetCache.get(key);
    if (found === undefined) {
      const env = { ...process.env };
      if (toolchain) env.RUSTUP_TOOLCHAIN = toolchain;
      else delete env.RUSTUP_TOOLCHAIN;
      // The sysroot from the memo while the toolchain's files are unchanged; the target's folder is looked at each time.
      const sysroot = memoized('rustc-sysroot', [toolchain ?? '', ...toolchainKey()], toolchainInputs(process.cwd()), () => {
        const result = run('rustc', ['--print', 'sysroot'], { env });
        return { value: result.status === 0 ? result.stdout.trim() : '' };
      });
      found = sysroot !== '' && fs.existsSync(path.join(sysroot, 'lib', 'rustlib', target, 'lib'));
      Toolchain.targetCache.set(key, found);
    }
    return found;
  }
}

/**
 * The oldest cargo-lambda this library drives. Our tests build with the version pinned in
 * scripts/tool-versions.env (1.9.2); 1.0.0's `build --help` already lists every flag we pass
 * (`--disable-optimizations`, `--skip-target-check`, `--lambda-dir`, `--compiler`).
 */
export const MIN_CARGO_LAMBDA_VERSION: readonly number[] = [1, 0, 0];

/** `cargo-lambda 1.9.2 (abc 2025-01-01Z)` -> [1, 9, 2]; undefined when the output has no version. */
export function parseCargoLambdaVersion(output: string): number[] | undefined {
  const match = /cargo-lambda\s+v?(\d+)\.(\d+)\.(\d+)/.exec(output);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function flagValue(flags: string[], name: string): string | undefined {
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === name) return flags[i + 1];
    if (flags[i].startsWith(`${name}=`)) return flags[i].slice(name.length + 1);
  }
  return undefined;
}

