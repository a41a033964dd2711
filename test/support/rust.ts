import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { COMPLETE_MARKER } from '../../lib/core/cargo/plan';
import { Toolchain } from '../../lib/core/cargo/toolchain';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const RUST_HANDLERS = path.join(__dirname, '..', '..', 'rust-handlers');

/** Copies a fixture to a fresh temporary folder, so builds and caches of one test never leak into another. */
export function copyFixture(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rl-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dir, {
    recursive: true,
    filter: src => !src.split(path.sep).includes('target'),
  });
  return dir;
}

/** The first bytes of an ELF executable for a machine, enough for `elfMachine` to read. */
export function fakeElf(machine: 'arm64' | 'x86_64'): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little endian
  header.writeUInt16LE(machine === 'arm64' ? 0xb7 : 0x3e, 18);
  return header;
}

export interface RecordedBuild {
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/**
 * Replaces cargo-lambda with a stub that records each call and writes a fake `bootstrap` for the given binaries
 * into `--lambda-dir` (`extensions/<bin>` with `--extension`). `machine` overrides the ELF machine written.
 */
export function stubBuild(binaries: string[], machine?: 'arm64' | 'x86_64'): RecordedBuild[] {
  const calls: RecordedBuild[] = [];
  CargoLambdaBuild.executor = (_command, args, env, cwd) => {
    calls.push({ args, env, cwd });
    const lambdaDir = args[args.indexOf('--lambda-dir') + 1];
    const arch = machine ?? (args.includes('--arm64') ? 'arm64' : 'x86_64');
    for (const bin of binaries) {
      const file = args.includes('--extension') ? path.join(lambdaDir, 'extensions', bin) : path.join(lambdaDir, bin, 'bootstrap');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, Buffer.concat([fakeElf(arch), Buffer.from(`fake ${bin}`)]));
    }
    return { status: 0, stderr: '' };
  };
  return calls;
}

/** The staged asset folder of a function in a synthesized app (what would be zipped and uploaded). */
export function functionAssetDir(outdir: string, fn: lambda.Function): string {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const code = Stack.of(fn).resolve(cfn.code) as { s3Key: string };
  return path.join(outdir, `asset.${code.s3Key.replace('.zip', '')}`);
}

/** Forgets this process's cargo-lambda builds (and any stub), like a new process: only on-disk caches remain. */
export function forgetCargoBuilds(): void {
  CargoLambdaBuild.reset();
}

/** How many times cargo-lambda really ran since the last `forgetCargoBuilds()`. */
export function cargoLambdaRuns(): number {
  return CargoLambdaBuild.invocations;
}

/** A build's own record of how long it took (written by the cargo-lambda build into its completion marker). */
export function recordedBuildSeconds(bootstrap: string): number | undefined {
  const marker = path.join(path.dirname(path.dirname(bootstrap)), COMPLETE_MARKER);
  const match = /build seconds: ([\d.]+)/.exec(fs.existsSync(marker) ? fs.readFileSync(marker, 'utf-8') : '');
  return match ? Number(match[1]) : undefined;
}

/**
 * The rustup toolchain RustFunction would build an architecture with when the default one lacks its target (as on
 * our build machines), else undefined.
 */
export function toolchainFor(architecture: 'arm64' | 'x86_64'): string | undefined {
  return Toolchain.forTarget(architecture, undefined);
}
