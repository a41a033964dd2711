import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Errors, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ColdStartBenchmark, ColdStartBenchmarkProps } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { cfnLintAssembly } from '../support/cfn-lint';
import { RecordedBuild, stubBuild } from '../support/rust';

// Props-to-template tests of the cold-start benchmark; cargo-lambda is replaced by a stub that writes a fake
// bootstrap. The driver's workspace is the real, shipped benchmark-driver/: the stub's output goes to a
// scratch CARGO_TARGET_DIR so it never lands in that workspace's build cache (a later real synth would reuse it).

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-benchmark-'));
const savedTargetDir = process.env.CARGO_TARGET_DIR;
process.env.CARGO_TARGET_DIR = path.join(scratch, 'target');
afterAll(() => {
  if (savedTargetDir === undefined) delete process.env.CARGO_TARGET_DIR;
  else process.env.CARGO_TARGET_DIR = savedTargetDir;
  fs.rmSync(scratch, { recursive: true, force: true });
});

let calls: RecordedBuild[];
beforeEach(() => {
  CargoLambdaBuild.reset();
  calls = stubBuild(['coldstart-driver']);
});
afterEach(() => CargoLambdaBuild.reset());

const ENV = { account: '123456789012', region: 'us-east-1' };

/** A stack with `count` small Python functions to measure. */
function setup(count = 2, outdir?: string) {
  const app = new App(outdir ? { outdir } : {});
  const stack = new Stack(app, 'Bench', { env: ENV });
  const functions = Array.from({ length: count }, (_, i) => new lambda.Function(stack, `Target${i + 1}`, {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: 'index.handler',
    code: lambda.Code.fromInline('def handler(event, context):\n    return {}\n'),
  }));
  return { app, stack, functions };
}

function benchmark(props: Partial<ColdStartBenchmarkProps> = {}, count = 2) {
  const { app, stack, functions } = setup(count);
  const bench = new ColdStartBenchmark(stack, 'Benchmark', { functions, ...props });
  return { app, stack, functions, bench, template: Template.fromStack(stack) };
}

function errorOf(make: () => unknown): string {
  try {
    make();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('no error thrown');
}

const arnOf = (stack: Stack, fn: lambda.IFunction) => ({
  'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction), 'Arn'],
});

/** Every statement of every inline IAM policy in the template. */
function statements(template: Template): Array<{ Action: string | string[]; Resource: unknown; Sid?: string }> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement);
}

describe('ColdStartBenchmark driver', () => {
  test('is a RustFunction of the shipped coldstart workspace: arm64, provided.al2023, 15 minutes, 256 MB, no retries', () => {
    const { bench, template } = benchmark();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['arm64'],
      Timeout: 900,
      MemorySize: 256,
      LoggingConfig: { LogFormat: 'JSON' },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, Qualifier: '$LATEST' });
    expect(bench.driver.binaryName).toBe('coldstart-driver');
    expect(bench.driver.packageName).toBe('coldstart-driver');
    expect(calls).toHaveLength(1);
    expect(calls[0].args).toContain('--arm64');
    // Built with the workspace's own quick profile, without the optimisation preset's fat LTO.
    expect(calls[0].args.join(' ')).toContain('--profile driver');
    expect(calls[0].args).not.toContain('--release');
    expect(Object.keys(calls[0].env).filter(k => k.startsWith('CARGO_PROFILE_'))).toEqual([]);
    const workspace = fs.readFileSync(path.join(__dirname, '..', '..', 'benchmark-driver', 'Cargo.toml'), 'utf-8');
    expect(workspace).toMatch(/^\[profile\.driver\]$/m);
    const manifest = calls[0].args[calls[0].args.indexOf('--manifest-path') + 1];
    expect(manifest).toBe(path.join(__dirname, '..', '..', 'benchmark-driver', 'Cargo.toml'));
  });

  test('gets the functions, cold starts, bucket and prefix through its environment', () => {
    const { stack, functions, bench, template } = benchmark();
    const driver = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'bootstrap' },
    });
    const variables = (Object.values(driver)[0] as any).Properties.Environment.Variables;
    expect(variables).toEqual({
      COLDSTART_FUNCTIONS: { 'Fn::Join': ['', [arnOf(stack, functions[0]), ',', arnOf(stack, functions[1])]] },
      COLDSTART_COLD_STARTS: '10',
      COLDSTART_CONCURRENCY: '4',
      COLDSTART_BUCKET: { Ref: stack.getLogicalId(bench.bucket.node.defaultChild as s3.CfnBucket) },
      COLDSTART_PREFIX: 'coldstart/',
      COLDSTART_PAYLOAD: '{}',
    });
    expect(bench.coldStarts).toBe(10);
    expect(bench.prefix).toBe('coldstart/');
    expect(bench.rule).toBeUndefined();
  });

  test('coldStarts, concurrency, payload, prefix, timeout and architecture reach the driver', () => {
    const { template } = benchmark({
      coldStarts: 3,
      concurrency: 1,
      payload: { name: 'Ferris' },
      prefix: 'bench/',
      timeout: Duration.minutes(5),
      architecture: lambda.Architecture.X86_64,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'bootstrap',
      Architectures: ['x86_64'],
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          COLDSTART_COLD_STARTS: '3',
          COLDSTART_CONCURRENCY: '1',
          COLDSTART_PAYLOAD: '{"name":"Ferris"}',
          COLDSTART_PREFIX: 'bench/',
        }),
      },
    });
    expect(calls[0].args).toContain('--x86-64');
  });
});

describe('ColdStartBenchmark permissions', () => {
  test('lambda actions only on the listed functions, s3:PutObject only under the prefix', () => {
    const { stack, functions, bench, template } = benchmark();
    const all = statements(template);

    const lambdaStatements = all.filter(s => [s.Action].flat().some(a => a.startsWith('lambda:')));
    expect(lambdaStatements).toEqual([{
      Sid: 'ForceColdStartsOfTheListedFunctions',
      Effect: 'Allow',
      Action: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', 'lambda:InvokeFunction'],
      Resource: functions.map(fn => arnOf(stack, fn)),
    }]);

    const bucketArn = { 'Fn::GetAtt': [stack.getLogicalId(bench.bucket.node.defaultChild as s3.CfnBucket), 'Arn'] };
    const s3Statements = all.filter(s => [s.Action].flat().some(a => a.startsWith('s3:')));
    expect(s3Statements).toEqual([{
      Sid: 'WriteSummaries',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [bucketArn, '/coldstart/*']] },
    }]);

    // Nothing else, and no wildcard resource anywhere.
    expect(all).toHaveLength(2);
    expect(JSON.stringify(all)).not.toContain('"Resource":"*"');
  });

  test('imported functions (by name, and by ARN in another region) are granted by their ARNs', () => {
    const { stack } = setup(0);
    const byName = lambda.Function.fromFunctionName(stack, 'ByName', 'hello-node');
    const byArn = lambda.Function.fromFunctionArn(stack, 'ByArn', 'arn:aws:lambda:eu-west-1:123456789012:function:hello-java');
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [byName, byArn] });
    const lambdaStatement = statements(Template.fromStack(stack)).find(s => s.Sid === 'ForceColdStartsOfTheListedFunctions')!;
    expect(lambdaStatement.Resource).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:us-east-1:123456789012:function:hello-node']] },
      'arn:aws:lambda:eu-west-1:123456789012:function:hello-java',
    ]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('a function of another stack in the same environment is referenced across stacks', () => {
    const app = new App();
    const functionsStack = new Stack(app, 'Functions', { env: ENV });
    const fn = new lambda.Function(functionsStack, 'Hello', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    const benchStack = new Stack(app, 'Bench', { env: ENV });
    new ColdStartBenchmark(benchStack, 'Benchmark', { functions: [fn] });
    const lambdaStatement = statements(Template.fromStack(benchStack)).find(s => s.Sid === 'ForceColdStartsOfTheListedFunctions')!;
    expect(JSON.stringify(lambdaStatement.Resource)).toContain('Fn::ImportValue');
  });
});

describe('ColdStartBenchmark results bucket', () => {
  test('defaults to a new bucket: S3-managed encryption, TLS only, public access blocked, retained', () => {
    const { stack, bench, template } = benchmark();
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: stack.getLogicalId(bench.bucket.node.defaultChild as s3.CfnBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
    // No custom resource to empty the bucket on delete.
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('uses a given bucket; a KMS-encrypted one also gets kms:GenerateDataKey for the driver, nothing more', () => {
    const { stack, functions } = setup();
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Mine', { encryptionKey: key, enforceSSL: true });
    const bench = new ColdStartBenchmark(stack, 'Benchmark', { functions, bucket, prefix: 'perf/daily/' });
    const template = Template.fromStack(stack);

    expect(bench.bucket).toBe(bucket);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    const all = statements(template);
    const put = all.find(s => s.Sid === 'WriteSummaries')!;
    expect(JSON.stringify(put.Resource)).toContain('/perf/daily/*');
    const kmsStatements = all.filter(s => [s.Action].flat().some(a => a.startsWith('kms:')));
    expect(kmsStatements).toEqual([expect.objectContaining({
      Action: 'kms:GenerateDataKey',
      Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    })]);
  });
});

describe('ColdStartBenchmark schedule', () => {
  test('no schedule: no rule, the driver is invoked by hand', () => {
    benchmark().template.resourceCountIs('AWS::Events::Rule', 0);
  });

  test('a schedule adds a rule that invokes the driver with {} and no retries', () => {
    const { bench, template } = benchmark({ schedule: events.Schedule.rate(Duration.days(1)) });
    expect(bench.rule).toBeDefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Input: '{}', RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
    });
  });
});

describe('ColdStartBenchmark validation', () => {
  test('bad props fail as an aws-cdk-lib ValidationError that names the benchmark', () => {
    let caught: any;
    try {
      benchmark({ coldStarts: 0 });
    } catch (e) {
      caught = e;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect(caught.constructPath).toBe('Bench/Benchmark');
    expect(caught.message).toMatch(/^coldStarts is 0; expected a whole number from 1 to 100/);
  });

  test('an empty function list', () => {
    expect(errorOf(() => benchmark({ functions: [] }))).toBe(
      'functions is empty; expected 1 to 30 Lambda functions to measure, e.g. functions: [rustFn, nodeFn]');
  });

  test('more than 30 functions', () => {
    expect(errorOf(() => benchmark({}, 31))).toMatch(/^functions lists 31 functions; expected at most 30 .*split them over several ColdStartBenchmark constructs$/);
  });

  test.each([
    [0, 'coldStarts is 0; expected a whole number from 1 to 100'],
    [101, 'coldStarts is 101; expected a whole number from 1 to 100'],
    [2.5, 'coldStarts is 2.5; expected a whole number from 1 to 100'],
  ])('coldStarts %p', (coldStarts, message) => {
    expect(errorOf(() => benchmark({ coldStarts }))).toContain(message);
  });

  test('concurrency out of range', () => {
    expect(errorOf(() => benchmark({ concurrency: 11 }))).toContain('concurrency is 11; expected a whole number from 1 to 10');
  });

  test.each([
    [Duration.seconds(30), 'timeout is 30 seconds; expected 1 to 15 minutes'],
    [Duration.minutes(20), 'timeout is 20 minutes; expected 1 to 15 minutes'],
  ])('timeout %p', (timeout, message) => {
    expect(errorOf(() => benchmark({ timeout }))).toContain(message);
  });

  test('prefix that is not a usable key prefix', () => {
    expect(errorOf(() => benchmark({ prefix: '/results' }))).toContain("prefix '/results' is not a usable S3 key prefix");
    expect(errorOf(() => benchmark({ prefix: 'a*' }))).toContain("prefix 'a*'");
    expect(errorOf(() => benchmark({ prefix: '' }))).toContain('prefix is empty, which would let the driver write anywhere in the bucket; ' +
      'expected a key prefix such as \'coldstart/\'');
  });

  test('payload too large for the environment', () => {
    expect(errorOf(() => benchmark({ payload: { blob: 'x'.repeat(2000) } })))
      .toMatch(/^payload is 2011 bytes of JSON; expected at most 1024/);
  });

  test('the same function twice', () => {
    const { stack, functions } = setup(1);
    expect(errorOf(() => new ColdStartBenchmark(stack, 'B', { functions: [functions[0], functions[0]] })))
      .toBe("functions lists the same function twice ('Bench/Target1'); remove the duplicate");
    const a = lambda.Function.fromFunctionName(stack, 'A', 'same');
    const b = lambda.Function.fromFunctionName(stack, 'B2', 'same');
    expect(errorOf(() => new ColdStartBenchmark(stack, 'C', { functions: [a, b] })))
      .toBe("functions lists the same function twice ('Bench/A' and 'Bench/B2'); remove the duplicate");
  });

  test('versions and aliases are refused: a published version never starts cold from a configuration change', () => {
    const { stack, functions } = setup(1);
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: functions[0].currentVersion });
    expect(errorOf(() => new ColdStartBenchmark(stack, 'B', { functions: [alias] })))
      .toMatch(/^functions includes the version or alias 'Bench\/Live'; the benchmark updates and invokes \$LATEST/);
    const qualified = lambda.Function.fromFunctionArn(stack, 'Q', 'arn:aws:lambda:us-east-1:123456789012:function:f:live');
    expect(errorOf(() => new ColdStartBenchmark(stack, 'C', { functions: [qualified] })))
      .toContain("'arn:aws:lambda:us-east-1:123456789012:function:f:live'");
  });
});

describe('ColdStartBenchmark warnings', () => {
  test('a function of another account', () => {
    const { stack } = setup(0);
    const foreign = lambda.Function.fromFunctionArn(stack, 'Foreign', 'arn:aws:lambda:us-east-1:210987654321:function:theirs');
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [foreign] });
    Annotations.fromStack(stack).hasWarning('/Bench/Benchmark', Match.stringLikeRegexp(
      "^function 'Bench/Foreign' is in account 210987654321 but the benchmark in account 123456789012; .*deploy a ColdStartBenchmark in that account instead"));
  });

  test('a run that cannot fit in the timeout', () => {
    const { stack } = benchmark({ coldStarts: 50, concurrency: 1, timeout: Duration.minutes(5) }, 3);
    Annotations.fromStack(stack).hasWarning('/Bench/Benchmark', Match.stringLikeRegexp(
      '^3 functions x 50 cold starts at concurrency 1 may need about 1200 s but the driver\'s timeout is 300 s'));
  });

  test('the defaults fit: no warning', () => {
    const { stack } = benchmark({}, 5);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('ColdStartBenchmark synthesized', () => {
  test('template snapshot', () => {
    const { template } = benchmark({ schedule: events.Schedule.cron({ hour: '6', minute: '0' }) });
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('the template passes cfn-lint', () => {
    const outdir = fs.mkdtempSync(path.join(scratch, 'out-'));
    const { app, stack, functions } = setup(3, outdir);
    const bench = new ColdStartBenchmark(stack, 'Benchmark', { functions, schedule: events.Schedule.rate(Duration.days(1)) });
    app.synth();

    // The stub's bootstrap was staged as the driver's asset.
    const code = stack.resolve((bench.driver.node.defaultChild as lambda.CfnFunction).code) as { s3Key: string };
    const bootstrap = fs.readFileSync(path.join(outdir, `asset.${code.s3Key.replace('.zip', '')}`, 'bootstrap'));
    expect(bootstrap.toString('latin1')).toContain('fake coldstart-driver');

    const lint = cfnLintAssembly(outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });
});
