import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ColdStartBenchmark } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { elfMachine } from '../../lib/core/elf';
import { compareVersions, newestGlibc } from '../support/elf';
import { functionAssetDir } from '../support/rust';

// The code ColdStartBenchmark deploys, built for real: `cargo lambda build` of benchmark-driver/'s driver for
// arm64 (the construct's default), in the workspace's own target folder, which `cargo test` of the same workspace
// (the README's test command runs it first) shares. Running it needs AWS; its logic is covered by its own unit
// tests against a fake Lambda API (cargo test -p coldstart-driver).
jest.setTimeout(40 * 60_000);

const AL2023_GLIBC = '2.34';

let outdir: string;
beforeAll(() => { outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-driver-')); });
afterAll(() => {
  CargoLambdaBuild.reset();
  fs.rmSync(outdir, { recursive: true, force: true });
});

test('the cold-start driver builds with cargo-lambda for arm64: an aarch64 bootstrap that loads on provided.al2023', () => {
  CargoLambdaBuild.reset();
  const app = new App({ outdir });
  const stack = new Stack(app, 'Bench', { env: { account: '123456789012', region: 'us-east-1' } });
  const measured = lambda.Function.fromFunctionArn(stack, 'Measured', 'arn:aws:lambda:us-east-1:123456789012:function:hello');
  const benchmark = new ColdStartBenchmark(stack, 'Benchmark', { functions: [measured] });
  app.synth();

  expect(CargoLambdaBuild.invocations).toBeLessThanOrEqual(1); // 0 when an earlier run left the build cached
  const dir = functionAssetDir(outdir, benchmark.driver);
  expect(fs.readdirSync(dir)).toEqual(['bootstrap']);
  const bootstrap = path.join(dir, 'bootstrap');
  expect(elfMachine(bootstrap)).toBe(0xb7); // EM_AARCH64
  const glibc = newestGlibc(bootstrap);
  expect(glibc).toBeDefined();
  expect(compareVersions(glibc!, AL2023_GLIBC)).toBeLessThanOrEqual(0);
  // Stripped by [profile.driver]: a few MB, not the tens of MB of an unstripped SDK build.
  const size = fs.statSync(bootstrap).size;
  expect(size).toBeGreaterThan(1024 * 1024);
  expect(size).toBeLessThan(30 * 1024 * 1024);
});
