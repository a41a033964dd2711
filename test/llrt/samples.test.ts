import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LlrtBinarySource, LlrtBinaryType } from '../../lib';
import { ARCHITECTURES } from '../../lib/core/arch';
import { elfMachineOf } from '../../lib/core/elf';
import { LLRT_GLIBC } from '../../lib/llrt/source';
import { OptimizationPreset } from '../../lib/rust/types';
import { LlrtSamples, SAMPLE_ENV } from '../../samples/llrt';
import { cfnLintAssembly } from '../support/cfn-lint';
import { compareVersions, newestGlibc } from '../support/elf';
import { fakeReleaseZip, listFiles, llrtSandbox, LlrtSandbox } from '../support/llrt';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS, LLRT_TEST_CACHE } from '../support/llrt-source';
import { functionAssetDir } from '../support/rust';

// The LLRT part of the sample app: with a release binary given (LLRT_BINARY_PATH), or, by default, on LLRT built
// from crates.io (arm64, default preset; the build is cached in .rustacean-lambda/cache, shared with the tests).

let sandbox: LlrtSandbox;
const saved = process.env[SAMPLE_ENV.binaryPath];
beforeEach(() => {
  sandbox = llrtSandbox();
  delete process.env[SAMPLE_ENV.binaryPath];
});
afterEach(() => {
  sandbox.restore();
  if (saved === undefined) delete process.env[SAMPLE_ENV.binaryPath];
  else process.env[SAMPLE_ENV.binaryPath] = saved;
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
    expect(fn.llrtBinary.source).toBe(LlrtBinarySource.FILE);
    expect(fn.llrtBinaryType).toBe(LlrtBinaryType.STANDARD);
    const bootstrap = fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'bootstrap'));
    expect(bootstrap.toString('latin1')).toContain('fake llrt sample');
  }

  const lint = cfnLintAssembly(app.outdir);
  expect(lint.output).toBe('');
  expect(lint.status).toBe(0);
}, 120_000);

test('by default: LLRT built from crates.io for arm64 (aarch64 ELF, glibc <= 2.34), the SDK bundled; cfn-lint clean', () => {
  const built = ensureLlrt('arm64', OptimizationPreset.BALANCED);
  process.env.RUSTACEAN_LAMBDA_CACHE = LLRT_TEST_CACHE; // the samples use the default cache root
  const { app, samples } = synthSamples();
  for (const fn of [samples.hello, samples.http, samples.counter]) {
    expect(fn.llrtBinary.source).toBe(LlrtBinarySource.SOURCE);
    expect(fn.llrtBinaryType).toBe(LlrtBinaryType.NO_SDK);
    const bootstrap = path.join(functionAssetDir(app.outdir, fn), 'bootstrap');
    const content = fs.readFileSync(bootstrap);
    expect(content.equals(fs.readFileSync(built))).toBe(true);
    expect(elfMachineOf(content.subarray(0, 20))).toBe(ARCHITECTURES.arm64.elfMachine);
    expect(compareVersions(newestGlibc(bootstrap)!, LLRT_GLIBC)).toBeLessThanOrEqual(0);
  }
  // Bytecode, written by LLRT's compiler for this (x86_64) machine: QuickJS bytecode names no CPU, both are 64-bit
  // little-endian (not run here: qemu-user cannot run LLRT's threads on our machines).
  expect(listFiles(functionAssetDir(app.outdir, samples.counter))).toEqual(['bootstrap', 'index.lrt']);
  const counter = fs.readFileSync(path.join(functionAssetDir(app.outdir, samples.counter), 'index.lrt')).toString('latin1');
  expect(counter).toContain('DynamoDB_20120810'); // the client is in the bundle

  const lint = cfnLintAssembly(app.outdir);
  expect(lint.output).toBe('');
  expect(lint.status).toBe(0);
}, FIRST_BUILD_TIMEOUT_MS);
