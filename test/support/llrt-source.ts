/**
 * The real LLRT the tests run on: built from crates.io by `LlrtBinary.fromSource()` through the same cargo-lambda
 * machinery as `RustFunction`, for x86_64 (the machines' own architecture, so it really runs), and kept in
 * `.rustacean-lambda/cache` (git-ignored) across runs. Every test file that needs it asks for the same build, so a
 * clean clone builds it once; later runs find it in the cache and run no cargo at all.
 *
 * The tests build it with the default preset (fat LTO), like the samples and the benchmarks: one x86_64 build
 * serves the tests, `npm run samples` and its local benchmark, and one arm64 build the samples and the ELF check.
 * (Measured on a busy 2-core machine: 14 min for x86_64 with the preset, 21 min for cargo's release profile, 19
 * min for arm64; the cheaper profile would have been a third build in CI, not a quicker one.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinary, LlrtFunction, LlrtFunctionProps, LlrtVersion } from '../../lib';
import type { Architecture } from '../../lib/core/arch';
import { buildLlrt } from '../../lib/llrt/source';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { OptimizationPreset } from '../../lib/rust/types';

export const REPO_ROOT = path.join(__dirname, '..', '..');
/** Where the tests (and the benchmarks) keep LLRT's source and builds. */
export const LLRT_TEST_CACHE = path.join(REPO_ROOT, '.rustacean-lambda', 'cache');
/** The first build takes 10 to 25 minutes on two busy cores. */
export const FIRST_BUILD_TIMEOUT_MS = 45 * 60_000;
export const LLRT_CRATE_VERSION = LlrtVersion.DEFAULT.version.replace(/^v/, '');

/** The binary source of every test that runs LLRT: the product default, in the tests' cache. */
export function testLlrt(): LlrtBinary {
  return LlrtBinary.fromSource({ cacheDirectory: LLRT_TEST_CACHE });
}

/**
 * Builds (first run) or finds the test LLRT for an architecture and returns the bootstrap's path; reports how long
 * a real build took, so CI logs show the cost of a clean clone.
 */
export function ensureLlrt(arch: Architecture = 'x86_64', optimization = OptimizationPreset.BALANCED): string {
  const started = Date.now();
  const file = buildLlrtFromCrates(optimization, arch);
  const seconds = (Date.now() - started) / 1000;
  if (seconds > 5) process.stderr.write(`LLRT ${LLRT_CRATE_VERSION} (${arch}, ${optimization}) built for the tests in ${seconds.toFixed(0)} s\n`);
  return file;
}

/**
 * Builds (or finds in `cacheRoot`) LLRT of the default version from crates.io with `optimization`, as
 * `LlrtBinary.fromSource()` does, and returns the bootstrap's path.
 */
export function buildLlrtFromCrates(optimization: OptimizationPreset, arch: Architecture, cacheRoot = LLRT_TEST_CACHE): string {
  return buildLlrt({ crateVersion: LLRT_CRATE_VERSION, optimization, cacheRoot }, arch);
}

/** Synthesizes one LLRT function (x86_64, the test LLRT unless props say otherwise) and returns it from the assembly. */
export function synthLlrtFunction(entry: string, props: Partial<LlrtFunctionProps> = {}): { outdir: string; fn: AssemblyFunction } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-llrt-real-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'RealLlrt');
  new LlrtFunction(stack, 'Fn', {
    entry,
    architecture: lambda.Architecture.X86_64,
    llrtBinary: testLlrt(),
    ...props,
  });
  app.synth();
  const [fn] = readAssembly(outdir).functions;
  return { outdir, fn };
}
