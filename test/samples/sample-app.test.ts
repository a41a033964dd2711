import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CargoLambdaBuild } from '../../lib/rust/bundling';
import { SampleStack } from '../../samples/stack';
import { cfnLintAssembly } from '../support/cfn-lint';

// No LLRT binary can be fetched on our build machines: unless one is given (LLRT_BINARY_PATH), the LLRT samples use
// the sample's placeholder bootstrap (their templates are the same either way).
const savedPlaceholder = process.env.LLRT_PLACEHOLDER_BOOTSTRAP;
beforeAll(() => { if (!process.env.LLRT_BINARY_PATH) process.env.LLRT_PLACEHOLDER_BOOTSTRAP = '1'; });
afterAll(() => {
  CargoLambdaBuild.reset();
  if (savedPlaceholder === undefined) delete process.env.LLRT_PLACEHOLDER_BOOTSTRAP;
  else process.env.LLRT_PLACEHOLDER_BOOTSTRAP = savedPlaceholder;
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
  }, 30 * 60_000);
});
