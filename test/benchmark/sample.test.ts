import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinary } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { ColdStartSampleStack } from '../../samples/coldstart';
import { SAMPLE_ENV } from '../../samples/llrt';
import { cfnLintAssembly } from '../support/cfn-lint';
import { fakeReleaseZip, llrtSandbox, LlrtSandbox } from '../support/llrt';
import { functionAssetDir, stubBuild } from '../support/rust';

// The cold-start sample stack: Rust, LLRT, Python 3.12, Node.js 24 and Java 21 hello functions plus the benchmark.
// Rust builds are stubbed (into a scratch CARGO_TARGET_DIR, never the shipped workspaces' caches), LLRT gets a fake
// release zip, Java is compiled with the real javac.

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-coldstart-sample-'));
const saved = {
  targetDir: process.env.CARGO_TARGET_DIR,
  binary: process.env[SAMPLE_ENV.binaryPath],
};
process.env.CARGO_TARGET_DIR = path.join(scratch, 'target');
delete process.env[SAMPLE_ENV.binaryPath];
afterAll(() => {
  for (const [key, value] of [
    ['CARGO_TARGET_DIR', saved.targetDir], [SAMPLE_ENV.binaryPath, saved.binary],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

let sandbox: LlrtSandbox;
beforeEach(() => {
  CargoLambdaBuild.reset();
  sandbox = llrtSandbox();
});
afterEach(() => {
  CargoLambdaBuild.reset();
  sandbox.restore();
});

const ENV = { account: '123456789012', region: 'us-east-1' };
const RUNTIMES = ['provided.al2023', 'provided.al2023', 'python3.12', 'nodejs24.x', 'java21'];

/** The functions each benchmark's driver may force cold starts of, by the driver's policy. */
function measuredArns(template: Template): unknown[] {
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  return statements.filter((s: any) => s.Sid === 'ForceColdStartsOfTheListedFunctions').flatMap((s: any) => s.Resource);
}

const HELLOS = ['rust', 'llrt', 'python', 'node', 'java'];
const WORKLOAD = ['rustDynamoDb', 'llrtDynamoDb', 'pythonDynamoDb', 'nodeDynamoDb', 'javaDynamoDb'];

test('template snapshot: hello and the real workload on five runtimes, SnapStart Java, two benchmarks (build skipped)', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ColdStartSampleStack(app, 'ColdStart', { env: ENV });
  const template = Template.fromStack(stack);

  expect(Object.keys(stack.functions)).toEqual([...HELLOS, ...WORKLOAD, 'javaSnapStart']);
  for (const runtime of RUNTIMES) {
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: runtime, Architectures: ['arm64'], MemorySize: 128 });
  }
  template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'java21', Handler: 'hello.Hello::handleRequest' });
  template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'python3.12', Handler: 'hello.handler' });
  // A supported runtime, and no cfn-lint rule muted for it.
  template.hasResource('AWS::Lambda::Function', {
    Properties: Match.objectLike({ Runtime: 'nodejs24.x', Handler: 'index.handler' }),
    Metadata: Match.absent(),
  });
  template.resourceCountIs('AWS::Lambda::Function', 13); // eleven measured plus two drivers
  const arn = (fn: lambda.IFunction) => ({ 'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as any), 'Arn'] });
  expect(measuredArns(template)).toEqual(Object.values(stack.functions).map(arn));
  expect(stack.snapStartBenchmark!.snapStartFunctions).toEqual([stack.functions.javaSnapStart]);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'java21', SnapStart: { ApplyOn: 'PublishedVersions' }, Handler: 'hello.Hello::handleRequest',
  });
  // The real-workload functions, and only they, get the benchmark's table.
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
  const tableEnv = Object.values(template.findResources('AWS::Lambda::Function'))
    .filter((r: any) => r.Properties.Environment?.Variables?.TABLE_NAME).length;
  expect(tableEnv).toBe(WORKLOAD.length);
  template.hasOutput('DriverFunctionName', Match.anyValue());
  template.hasOutput('SnapStartDriverFunctionName', Match.anyValue());
  template.hasOutput('ResultsBucketName', Match.anyValue());
  expect(template.toJSON()).toMatchSnapshot();
});

test('without Java and on another supported Node.js: hello and the workload on four runtimes, no SnapStart benchmark', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ColdStartSampleStack(app, 'ColdStart', { env: ENV, java: false, nodeRuntime: lambda.Runtime.NODEJS_22_X });
  const template = Template.fromStack(stack);
  expect(Object.keys(stack.functions)).toEqual([...HELLOS.slice(0, 4), ...WORKLOAD.slice(0, 4)]);
  expect(measuredArns(template)).toHaveLength(8);
  expect(stack.snapStartBenchmark).toBeUndefined();
  template.hasResource('AWS::Lambda::Function', { Properties: Match.objectLike({ Runtime: 'nodejs22.x' }), Metadata: Match.absent() });
});

test('workload: false and snapStart: false give the five hello functions and one benchmark', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new ColdStartSampleStack(app, 'ColdStart', { env: ENV, workload: false, snapStart: false });
  const template = Template.fromStack(stack);
  expect(Object.keys(stack.functions)).toEqual(HELLOS);
  template.resourceCountIs('AWS::DynamoDB::Table', 0);
  template.resourceCountIs('AWS::Lambda::Function', 6);
});

test('synthesized with every asset staged (javac, fake LLRT, stubbed cargo-lambda) passes cfn-lint', () => {
  const calls = stubBuild(['hello', 'dynamodb', 'coldstart-driver']);
  const llrtZip = path.join(sandbox.dir, 'llrt-lambda-arm64.zip');
  fs.writeFileSync(llrtZip, fakeReleaseZip('arm64', 'coldstart sample'));
  const outdir = fs.mkdtempSync(path.join(scratch, 'out-'));
  const app = new App({ outdir });
  const stack = new ColdStartSampleStack(app, 'ColdStart', { env: ENV, llrtBinary: LlrtBinary.fromFile(llrtZip) });
  app.synth();

  // One cargo-lambda build per workspace: rust-handlers (hello), its nested workspace rust-handlers/dynamodb (the SDK
  // stays out of the hello's build) and benchmark-driver (the drivers).
  const manifests = calls.map(c => path.relative(path.join(__dirname, '..', '..'), c.args[c.args.indexOf('--manifest-path') + 1]));
  expect(manifests.sort()).toEqual(['benchmark-driver/Cargo.toml', 'rust-handlers/Cargo.toml', 'rust-handlers/dynamodb/Cargo.toml']);

  const files = (fn: any) => fs.readdirSync(functionAssetDir(outdir, fn), { recursive: true }).map(String).sort();
  expect(files(stack.functions.java)).toEqual(['hello', path.join('hello', 'Hello.class')]);
  // Each package holds its own handler only.
  expect(files(stack.functions.python)).toEqual(['hello.py']);
  expect(files(stack.functions.node)).toEqual(['index.mjs']);
  expect(files(stack.functions.pythonDynamoDb)).toEqual(['dynamodb.py']);
  expect(files(stack.functions.nodeDynamoDb)).toEqual(['dynamodb.mjs']);
  expect(files(stack.functions.javaDynamoDb).filter(f => /^lib\/dynamodb-[\d.]+\.jar$/.test(f))).toHaveLength(1);
  expect(files(stack.functions.rustDynamoDb)).toEqual(['bootstrap']);
  expect(files(stack.functions.llrtDynamoDb)).toEqual(expect.arrayContaining(['bootstrap', 'index.mjs']));
  expect(files(stack.functions.llrt)).toEqual(expect.arrayContaining(['bootstrap', 'index.mjs']));
  expect(files(stack.functions.rust)).toEqual(['bootstrap']);
  expect(files(stack.benchmark.driver)).toEqual(['bootstrap']);

  const lint = cfnLintAssembly(outdir);
  expect(lint.output).toBe('');
  expect(lint.status).toBe(0);
});
