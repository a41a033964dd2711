/**
 * The Go binding, end to end: samples/go, a CDK app written in Go against the module jsii-pacmak builds into
 * dist/go (test/support/bindings.ts), compiled with `go build` and run. Nothing is stubbed: the Rust function is a
 * real cargo-lambda build for arm64 and the LLRT function runs on the tests' real arm64 LLRT (from the cache).
 * aws-cdk-go is large (about 200 MB of modules), but `npx projen package:go` has already fetched and compiled it to
 * build the generated module, so the app itself adds a few seconds.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { elfArchitecture } from '../../lib/core/elf';
import { OptimizationPreset } from '../../lib/rust/types';
import { ensurePackage, REPO_ROOT } from '../support/bindings';
import { cfnLintAssembly } from '../support/cfn-lint';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS } from '../support/llrt-source';

const APP_DIR = path.join(REPO_ROOT, 'samples', 'go');
const STACK = 'RustaceanLambdaGo';

let workdir: string;
let outdir: string;
let resources: Record<string, { Type: string; Properties: Record<string, any> }>;
let llrtBootstrap: string;

const log = (line: string) => process.stderr.write(`go binding: ${line}\n`);

beforeAll(() => {
  ensurePackage('go', log);
  llrtBootstrap = ensureLlrt('arm64', OptimizationPreset.BALANCED);
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-go-app-'));
  outdir = path.join(workdir, 'cdk.out');
  const binary = path.join(workdir, 'app');
  let started = Date.now();
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: APP_DIR, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOFLAGS: '-buildvcs=false' } });
  log(`go build of samples/go took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  started = Date.now();
  const result = spawnSync(binary, [], {
    cwd: APP_DIR,
    env: { ...process.env, CDK_OUTDIR: outdir, LLRT_BINARY_PATH: llrtBootstrap },
    encoding: 'utf-8',
  });
  if (result.status !== 0) throw new Error(`the Go app failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  log(`the Go app synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  resources = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK}.template.json`), 'utf-8')).Resources;
}, FIRST_BUILD_TIMEOUT_MS);

afterAll(() => {
  if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
});

function lambdaFunction(id: string): { props: Record<string, any>; asset: string } {
  const matches = Object.entries(resources).filter(([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(id));
  expect(matches).toHaveLength(1);
  const props = matches[0][1].Properties;
  return { props, asset: path.join(outdir, `asset.${(props.Code.S3Key as string).replace(/\.zip$/, '')}`) };
}

describe('a CDK app in Go (samples/go)', () => {
  test('RustFunction: provided.al2023, arm64, bootstrap built for aarch64', () => {
    const { props, asset } = lambdaFunction('Hello');
    expect(props).toMatchObject({ Runtime: 'provided.al2023', Architectures: ['arm64'], Handler: 'bootstrap' });
    expect(elfArchitecture(path.join(asset, 'bootstrap'))).toBe('arm64');
  });

  test('LlrtFunction: provided.al2023, arm64, index.handler, the given LLRT next to the bundle', () => {
    const { props, asset } = lambdaFunction('Llrt');
    expect(props).toMatchObject({ Runtime: 'provided.al2023', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(fs.readdirSync(asset).sort()).toEqual(['bootstrap', 'index.mjs']);
    expect(fs.readFileSync(path.join(asset, 'bootstrap')).equals(fs.readFileSync(llrtBootstrap))).toBe(true);
  });

  test('cfn-lint passes the template', () => {
    const lint = cfnLintAssembly(outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });
});
