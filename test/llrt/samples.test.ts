import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { LlrtSamples, SAMPLE_ENV } from '../../samples/llrt';
import { cfnLintAssembly } from '../support/cfn-lint';
import { closedPort, fakeReleaseZip, llrtSandbox, LlrtSandbox } from '../support/llrt';
import { functionAssetDir } from '../support/rust';

// The LLRT part of the sample app, synthesized offline: with a local binary (LLRT_BINARY_PATH), or with the
// placeholder when explicitly asked for; with neither and no network, the error says what to do.

let sandbox: LlrtSandbox;
const saved = { binary: process.env[SAMPLE_ENV.binaryPath], placeholder: process.env[SAMPLE_ENV.placeholder] };
beforeEach(() => {
  sandbox = llrtSandbox();
  delete process.env[SAMPLE_ENV.binaryPath];
  delete process.env[SAMPLE_ENV.placeholder];
});
afterEach(() => {
  sandbox.restore();
  for (const [key, value] of [[SAMPLE_ENV.binaryPath, saved.binary], [SAMPLE_ENV.placeholder, saved.placeholder]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function synthSamples() {
  const app = new App({ outdir: fs.mkdtempSync(path.join(sandbox.dir, 'out-')) });
  const stack = new Stack(app, 'LlrtSamplesTest', { env: { account: '123456789012', region: 'us-east-1' } });
  const samples = new LlrtSamples(stack, 'Llrt');
  app.synth();
  return { app, stack, samples, template: Template.fromStack(stack) };
}

test('with LLRT_BINARY_PATH: three arm64 LLRT functions, an IAM-protected Function URL, a table with an UpdateItem-only grant; cfn-lint clean', () => {
  const zip = path.join(sandbox.dir, 'llrt-lambda-arm64.zip');
  fs.writeFileSync(zip, fakeReleaseZip('arm64', 'sample'));
  process.env[SAMPLE_ENV.binaryPath] = zip;
  const { app, samples, template } = synthSamples();

  template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'provided.al2023', Architectures: ['arm64'], Handler: 'index.handler' }, 3);
  template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LlrtHttp'), 'Arn'] } });
  template.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: { TABLE_NAME: { Ref: Match.stringLikeRegexp('^LlrtVisits') } } },
  });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [{ Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LlrtVisits'), 'Arn'] } }],
    },
  });
  for (const fn of [samples.hello, samples.http, samples.counter]) {
    const bootstrap = fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'bootstrap'));
    expect(bootstrap.toString('latin1')).toContain('fake llrt sample');
  }

  const lint = cfnLintAssembly(app.outdir);
  expect(lint.output).toBe('');
  expect(lint.status).toBe(0);
}, 120_000);

test('LLRT_PLACEHOLDER_BOOTSTRAP=1 synthesizes with the placeholder, loudly', () => {
  process.env[SAMPLE_ENV.placeholder] = '1';
  const { app, stack, samples } = synthSamples();
  const bootstrap = fs.readFileSync(path.join(functionAssetDir(app.outdir, samples.hello), 'bootstrap'), 'utf-8');
  expect(bootstrap).toMatch(/^#!\/bin\/sh\n# NOT LLRT/);
  Annotations.fromStack(stack).hasWarning('/LlrtSamplesTest/Llrt', Match.stringLikeRegexp('do not deploy it'));
  Annotations.fromStack(stack).hasWarning('/LlrtSamplesTest/Llrt/Hello', Match.stringLikeRegexp('is not an ELF executable'));
});

test('with neither a binary nor network, the error says so and how to synthesize offline', async () => {
  process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL = `http://127.0.0.1:${await closedPort()}/releases/download`;
  expect(() => synthSamples()).toThrow(new RegExp([
    'cannot download LLRT v0\\.8\\.1-beta \\(llrt-lambda-arm64\\.zip\\) from .*: network error: .*; to synthesize offline, set llrtBinaryPath',
    '\\nsample app: set LLRT_BINARY_PATH to a local llrt-lambda-arm64\\.zip \\(or the bootstrap inside it\\), or set LLRT_PLACEHOLDER_BOOTSTRAP=1',
  ].join('[^]*')));
});
