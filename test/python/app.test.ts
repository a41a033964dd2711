/**
 * The Python binding, end to end: samples/python/app.py, a CDK app written in Python, synthesized with the wheel
 * built from this repository and aws-cdk-lib from PyPI (test/support/bindings.ts). Nothing is stubbed: the
 * Rust function is a real cargo-lambda build for arm64, the LLRT function runs on the tests' real arm64 LLRT (built
 * from crates.io, from the cache), and the Web Adapter app gets its bytecode from the local Python 3.12.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { elfArchitecture } from '../../lib/core/elf';
import { OptimizationPreset } from '../../lib/rust/types';
import { ensurePackage, ensurePythonApp, REPO_ROOT } from '../support/bindings';
import { cfnLintAssembly } from '../support/cfn-lint';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS } from '../support/llrt-source';

const APP_DIR = path.join(REPO_ROOT, 'samples', 'python');
const STACK = 'RustaceanLambdaPython';

let outdir: string;
let template: Template;
let resources: Record<string, { Type: string; Properties: Record<string, any> }>;
let llrtBootstrap: string;
let synthOutput: string;

const log = (line: string) => process.stderr.write(`python binding: ${line}\n`);

beforeAll(() => {
  const wheel = ensurePackage('python', log);
  const python = ensurePythonApp(wheel, log);
  llrtBootstrap = ensureLlrt('arm64', OptimizationPreset.BALANCED);
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-python-app-'));
  const started = Date.now();
  // jsii runs the library in Node.js (node on PATH); the pinned cargo-lambda and zig are first on PATH (jest setup).
  const result = spawnSync(python, ['app.py'], {
    cwd: APP_DIR,
    env: { ...process.env, CDK_OUTDIR: outdir, LLRT_BINARY_PATH: llrtBootstrap },
    encoding: 'utf-8',
  });
  synthOutput = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`python app.py failed (${result.status ?? result.signal}):\n${synthOutput}`);
  log(`python app.py synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const json = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK}.template.json`), 'utf-8'));
  template = Template.fromJSON(json);
  resources = json.Resources;
}, FIRST_BUILD_TIMEOUT_MS);

afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
});

/** The one function whose logical id starts with `id`, and its staged asset folder. */
function lambdaFunction(id: string): { props: Record<string, any>; asset: string } {
  const matches = Object.entries(resources).filter(([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(id));
  expect(matches).toHaveLength(1);
  const props = matches[0][1].Properties;
  const key: string = props.Code.S3Key;
  return { props, asset: path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`) };
}

describe('a CDK app in Python (samples/python/app.py)', () => {
  test('synthesizes three functions, and cfn-lint passes the template', () => {
    expect(Object.values(resources).filter(r => r.Type === 'AWS::Lambda::Function')).toHaveLength(3);
    const lint = cfnLintAssembly(outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });

  test('RustFunction: provided.al2023, arm64, bootstrap built by cargo-lambda for aarch64', () => {
    const { props, asset } = lambdaFunction('Hello');
    expect(props).toMatchObject({ Runtime: 'provided.al2023', Architectures: ['arm64'], Handler: 'bootstrap', MemorySize: 128 });
    expect(props.Layers).toBeUndefined();
    expect(fs.readdirSync(asset)).toEqual(['bootstrap']);
    expect(elfArchitecture(path.join(asset, 'bootstrap'))).toBe('arm64');
  });

  test('LlrtFunction: provided.al2023, arm64, index.handler, the given LLRT next to the esbuild bundle', () => {
    const { props, asset } = lambdaFunction('Llrt');
    expect(props).toMatchObject({ Runtime: 'provided.al2023', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(props.Layers).toBeUndefined();
    expect(fs.readdirSync(asset).sort()).toEqual(['bootstrap', 'index.mjs']);
    expect(fs.readFileSync(path.join(asset, 'bootstrap')).equals(fs.readFileSync(llrtBootstrap))).toBe(true);
    expect(elfArchitecture(path.join(asset, 'bootstrap'))).toBe('arm64');
    expect(fs.readFileSync(path.join(asset, 'index.mjs'), 'utf-8')).toContain('Hello, ');
  });

  test('WebAdapterFunction: python3.12, arm64, run.sh behind the adapter layer for arm64, with its settings', () => {
    const { props, asset } = lambdaFunction('Web');
    expect(props).toMatchObject({ Runtime: 'python3.12', Architectures: ['arm64'], Handler: 'run.sh' });
    expect(props.Layers).toHaveLength(1);
    expect(JSON.stringify(props.Layers[0])).toMatch(/:layer:LambdaAdapterLayerArm64:\d+/);
    expect(props.Environment.Variables).toMatchObject({
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap',
      AWS_LWA_READINESS_CHECK_PATH: '/health',
      AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: '200-299',
    });
    const runSh = path.join(asset, 'run.sh');
    expect(fs.readFileSync(runSh, 'utf-8')).toMatch(/^#!\/bin\/sh\n[\s\S]*exec python3 server\.py\n$/);
    expect((fs.statSync(runSh).mode % 0o1000).toString(8)).toBe('755');
    // Bytecode for the runtime's Python, compiled by the local python3.12.
    expect(fs.readdirSync(path.join(asset, '__pycache__'))).toEqual(['server.cpython-312.pyc']);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: Match.anyValue() });
  });
});
