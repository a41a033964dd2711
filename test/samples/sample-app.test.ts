import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { SampleStack } from '../../samples/stack';
import { cfnLintAssembly } from '../support/cfn-lint';
import { LLRT_TEST_CACHE } from '../support/llrt-source';

// Unless a release binary is given (LLRT_BINARY_PATH), the LLRT samples run on LLRT built from crates.io (arm64,
// default preset), kept in .rustacean-lambda/cache like every LLRT build of the tests.
const savedCache = process.env.RUSTACEAN_LAMBDA_CACHE;
beforeAll(() => { process.env.RUSTACEAN_LAMBDA_CACHE = LLRT_TEST_CACHE; });
afterAll(() => {
  CargoLambdaBuild.reset();
  if (savedCache === undefined) delete process.env.RUSTACEAN_LAMBDA_CACHE;
  else process.env.RUSTACEAN_LAMBDA_CACHE = savedCache;
});

describe('sample app', () => {
  test('template snapshot (build skipped, asset hashes masked)', () => {
    CargoLambdaBuild.reset();
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new SampleStack(app, 'Samples', { env: { account: '123456789012', region: 'us-east-1' } });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'], Handler: 'bootstrap', Runtime: 'provided.al2023' });
    template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['x86_64'], Handler: 'bootstrap', Runtime: 'provided.al2023' });
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: Match.anyValue() });
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('the real synthesized app (cargo-lambda builds for arm64 and x86_64) passes cfn-lint', () => {
    CargoLambdaBuild.reset();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-samples-'));
    try {
      const app = new App({ outdir });
      new SampleStack(app, 'RustaceanLambdaSamples');
      app.synth();
      const lint = cfnLintAssembly(outdir);
      expect(lint.templates.map(t => path.basename(t))).toEqual(['RustaceanLambdaSamples.template.json']);
      expect(lint.output).toBe('');
      expect(lint.status).toBe(0);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }, 45 * 60_000);
});
