import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Duration, Errors, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BenchmarkWorkload, ColdStartBenchmark, ColdStartBenchmarkProps } from '../../lib';
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

/** A function in a stack of its own, and an empty stack for the benchmark, both of one app and environment. */
function functionInAnotherStack(): { fn: lambda.Function; benchStack: Stack } {
  const app = new App();
  const functionsStack = new Stack(app, 'Functions', { env: ENV });
  const fn = new lambda.Function(functionsStack, 'Hello', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  return { fn, benchStack: new Stack(app, 'Bench', { env: ENV }) };
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
      COLDSTART_WARM_INVOKES: '5',
      COLDSTART_CONCURRENCY: '4',
      COLDSTART_BUCKET: { Ref: stack.getLogicalId(bench.bucket.node.defaultChild as s3.CfnBucket) },
      COLDSTART_PREFIX: 'coldstart/',
      COLDSTART_PAYLOAD: '{}',
    });
    expect(bench.coldStarts).toBe(10);
    expect(bench.warmInvokes).toBe(5);
    expect(bench.table).toBeUndefined();
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
    const { fn, benchStack } = functionInAnotherStack();
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

/** A Java 21 function (code from a bucket: nothing to stage), with SnapStart on published versions unless told. */
function javaFunction(stack: Stack, id: string, snapStart: boolean = true): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.JAVA_21,
    handler: 'bench.Handler::handleRequest',
    code: lambda.Code.fromBucket(s3.Bucket.fromBucketName(stack, `${id}Code`, 'code-bucket'), 'java.zip', 'v1'),
    memorySize: 512,
    snapStart: snapStart ? lambda.SnapStartConf.ON_PUBLISHED_VERSIONS : undefined,
  });
}

function driverVariables(template: Template): { [name: string]: unknown } {
  const driver = template.findResources('AWS::Lambda::Function', { Properties: { Handler: 'bootstrap' } });
  return (Object.values(driver)[0] as any).Properties.Environment.Variables;
}

describe('ColdStartBenchmark warm invocations', () => {
  test('warmInvokes reaches the driver; 0 turns them off', () => {
    expect(driverVariables(benchmark({ warmInvokes: 12 }).template).COLDSTART_WARM_INVOKES).toBe('12');
    const { bench, template } = benchmark({ warmInvokes: 0 });
    expect(driverVariables(template).COLDSTART_WARM_INVOKES).toBe('0');
    expect(bench.warmInvokes).toBe(0);
  });

  test.each([
    [51, 'warmInvokes is 51; expected a whole number from 0 to 50'],
    [-1, 'warmInvokes is -1; expected a whole number from 0 to 50'],
    [1.5, 'warmInvokes is 1.5; expected a whole number from 0 to 50'],
  ])('warmInvokes %p', (warmInvokes, message) => {
    expect(errorOf(() => benchmark({ warmInvokes }))).toContain(message);
  });
});

describe('ColdStartBenchmark SnapStart', () => {
  test('a Java function without SnapStart is measured like any other: on $LATEST, no version rights', () => {
    const { stack } = setup(0);
    const java = javaFunction(stack, 'Java', false);
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [java] });
    const template = Template.fromStack(stack);
    expect(driverVariables(template).COLDSTART_SNAPSTART_FUNCTIONS).toBeUndefined();
    const actions = statements(template).flatMap(st => [st.Action].flat());
    expect(actions).not.toContain('lambda:PublishVersion');
    expect(actions).not.toContain('lambda:DeleteFunction');
  });

  test('a lambda.Function with snapStart is detected: measured through versions, with rights on its versions only', () => {
    const { stack, functions } = setup(1);
    const java = javaFunction(stack, 'Java');
    const bench = new ColdStartBenchmark(stack, 'Benchmark', { functions: [functions[0], java] });
    expect(bench.snapStartFunctions).toEqual([java]);
    const template = Template.fromStack(stack);
    expect(driverVariables(template).COLDSTART_SNAPSTART_FUNCTIONS).toEqual(arnOf(stack, java));

    const lambdaStatements = statements(template).filter(st => [st.Action].flat().some(a => a.startsWith('lambda:')));
    expect(lambdaStatements).toEqual([
      {
        Sid: 'ForceColdStartsOfTheListedFunctions',
        Effect: 'Allow',
        Action: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', 'lambda:InvokeFunction'],
        Resource: [arnOf(stack, functions[0]), arnOf(stack, java)],
      },
      {
        Sid: 'PublishVersionsOfTheSnapStartFunctions',
        Effect: 'Allow',
        Action: 'lambda:PublishVersion',
        Resource: arnOf(stack, java),
      },
      {
        Sid: 'MeasureAndDeleteTheVersionsItPublishes',
        Effect: 'Allow',
        Action: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction', 'lambda:DeleteFunction'],
        Resource: { 'Fn::Join': ['', [arnOf(stack, java), ':*']] },
      },
    ]);
    // DeleteFunction never on an unqualified ARN (that would delete the function itself).
    const deleting = statements(template).filter(st => [st.Action].flat().includes('lambda:DeleteFunction'));
    expect(deleting.map(st => JSON.stringify(st.Resource))).toEqual([expect.stringContaining('":*"')]);
  });

  test('imported functions are measured through versions when listed in snapStartFunctions', () => {
    const { stack } = setup(0);
    const imported = lambda.Function.fromFunctionName(stack, 'Imported', 'hello-java');
    const other = lambda.Function.fromFunctionName(stack, 'Other', 'hello-node');
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [imported, other], snapStartFunctions: [imported] });
    const template = Template.fromStack(stack);
    const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:us-east-1:123456789012:function:hello-java']] };
    expect(driverVariables(template).COLDSTART_SNAPSTART_FUNCTIONS).toEqual(arn);
    const publish = statements(template).find(st => st.Sid === 'PublishVersionsOfTheSnapStartFunctions')!;
    expect(publish.Resource).toEqual(arn);
  });

  test('a SnapStart function that is not measured', () => {
    const { stack, functions } = setup(1);
    const java = javaFunction(stack, 'Java');
    expect(errorOf(() => new ColdStartBenchmark(stack, 'Benchmark', { functions, snapStartFunctions: [java] })))
      .toBe("snapStartFunctions includes 'Bench/Java', which is not in functions; add it to functions " +
        '(snapStartFunctions only says how a measured function is measured)');
  });

  test('SnapStart asked for a runtime without it names the runtime and the supported ones', () => {
    const { stack } = setup(0);
    const node = new lambda.Function(stack, 'Node', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    let caught: any;
    try {
      new ColdStartBenchmark(stack, 'Benchmark', { functions: [node], snapStartFunctions: [node] });
    } catch (e) {
      caught = e;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect(caught.constructPath).toBe('Bench/Benchmark');
    expect(caught.message).toBe("snapStartFunctions includes 'Bench/Node', whose runtime nodejs24.x has no SnapStart; " +
      'Lambda supports it for Java 11 and later, Python 3.12 and later, .NET 8 and later; remove the function from ' +
      'snapStartFunctions (it is then measured on $LATEST) or move it to one of those runtimes');
  });

  test('a function on a SnapStart runtime without snapStart set', () => {
    const { stack } = setup(0);
    const java = javaFunction(stack, 'Java', false);
    expect(errorOf(() => new ColdStartBenchmark(stack, 'Benchmark', { functions: [java], snapStartFunctions: [java] })))
      .toMatch(/^snapStartFunctions includes 'Bench\/Java', which does not turn SnapStart on.*set snapStart: lambda\.SnapStartConf\.ON_PUBLISHED_VERSIONS on the function$/);
  });

  test('SnapStart rounds count in the time budget', () => {
    const { stack } = setup(0);
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [javaFunction(stack, 'Java')] });
    Annotations.fromStack(stack).hasWarning('/Bench/Benchmark', Match.stringLikeRegexp(
      '^1 functions \\(1 of them SnapStart functions, whose rounds publish a version and wait for its snapshot, about 90 s each\\) ' +
      'x 10 cold starts at concurrency 4 may need about 900 s'));
    const { stack: fits } = setup(0);
    new ColdStartBenchmark(fits, 'Benchmark', { functions: [javaFunction(fits, 'Java')], coldStarts: 5 });
    expect(Annotations.fromStack(fits).findWarning('/Bench/Benchmark', Match.anyValue())).toEqual([]);
  });
});

describe('ColdStartBenchmark workload', () => {
  test('BenchmarkWorkload.dynamoDb(): a table with pk (S), on demand, point-in-time recovery, destroyed with the stack', () => {
    const { stack, bench, template } = benchmark({ workload: BenchmarkWorkload.dynamoDb() });
    expect(bench.table).toBeDefined();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // Encrypted at rest with an AWS-owned key (SSEEnabled false means not a KMS key, not unencrypted).
        SSESpecification: { SSEEnabled: false },
      },
    });
    expect(stack.resolve(bench.table!.tableName)).toEqual({ Ref: stack.getLogicalId(bench.table!.node.defaultChild as dynamodb.CfnTable) });
  });

  test('every measured function gets TABLE_NAME and exactly PutItem and GetItem on the table; the driver nothing', () => {
    const { stack, functions } = setup(2);
    const java = javaFunction(stack, 'Java');
    const benchmarkConstruct = new ColdStartBenchmark(stack, 'Benchmark', {
      functions: [...functions, java],
      workload: BenchmarkWorkload.dynamoDb(),
    });
    const template = Template.fromStack(stack);
    const tableId = stack.getLogicalId(benchmarkConstruct.table!.node.defaultChild as dynamodb.CfnTable);
    for (const fn of [...functions, java]) {
      const cfn = fn.node.defaultChild as lambda.CfnFunction;
      expect(stack.resolve(cfn.environment)).toEqual({ variables: { TABLE_NAME: { Ref: tableId } } });
      const roleId = stack.getLogicalId(fn.role!.node.defaultChild as iam.CfnRole);
      const policies = template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      });
      expect(Object.values(policies).map((p: any) => p.Properties.PolicyDocument)).toEqual([{
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:GetItem'],
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        }],
      }]);
    }
    expect(JSON.stringify(statements(template))).not.toMatch(/dynamodb:(?!PutItem|GetItem)/);
    const driverRole = stack.getLogicalId(benchmarkConstruct.driver.role!.node.defaultChild as iam.CfnRole);
    const driverPolicy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: driverRole }] } }));
    expect(JSON.stringify(driverPolicy)).not.toContain('dynamodb:');
    // The driver's environment does not carry the table: the functions have it.
    expect(driverVariables(template).TABLE_NAME).toBeUndefined();
  });

  test('options.functions limits the table to some of the measured functions: the others get nothing', () => {
    const { stack, functions } = setup(2);
    const bench = new ColdStartBenchmark(stack, 'Benchmark', {
      functions,
      workload: BenchmarkWorkload.dynamoDb({ functions: [functions[1]] }),
    });
    const tableId = stack.getLogicalId(bench.table!.node.defaultChild as dynamodb.CfnTable);
    expect(stack.resolve((functions[0].node.defaultChild as lambda.CfnFunction).environment)).toBeUndefined();
    expect(stack.resolve((functions[1].node.defaultChild as lambda.CfnFunction).environment))
      .toEqual({ variables: { TABLE_NAME: { Ref: tableId } } });
    const template = Template.fromStack(stack);
    const roleOf = (fn: lambda.Function) => ({ Ref: stack.getLogicalId(fn.role!.node.defaultChild as iam.CfnRole) });
    expect(Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [roleOf(functions[0])] } }))).toEqual([]);
    expect(Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [roleOf(functions[1])] } }))).toHaveLength(1);

    const { stack: other, functions: measured } = setup(1);
    const stray = lambda.Function.fromFunctionName(other, 'Stray', 'not-measured');
    expect(errorOf(() => new ColdStartBenchmark(other, 'Benchmark', {
      functions: measured,
      workload: BenchmarkWorkload.dynamoDb({ functions: [stray] }),
    }))).toBe("workload: the workload's functions include 'Bench/Stray', which is not in functions; add it to functions " +
      'or leave it out of the workload');
  });

  test('removalPolicy keeps the table when asked', () => {
    const { template } = benchmark({ workload: BenchmarkWorkload.dynamoDb({ removalPolicy: RemovalPolicy.RETAIN }) });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  test('an imported function is named in a warning and granted nothing', () => {
    const { stack, functions } = setup(1);
    const imported = lambda.Function.fromFunctionName(stack, 'Imported', 'hello-go');
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [functions[0], imported], workload: BenchmarkWorkload.dynamoDb() });
    Annotations.fromStack(stack).hasWarning('/Bench/Benchmark', Match.stringLikeRegexp(
      "^workload: 'Bench/Imported' is not a lambda.Function of this app, so the benchmark cannot set TABLE_NAME on it " +
      'nor grant dynamodb:PutItem and dynamodb:GetItem on the table'));
    const granted = statements(Template.fromStack(stack)).filter(st => [st.Action].flat().includes('dynamodb:PutItem'));
    expect(granted).toHaveLength(1);
  });

  test('a function of another stack is refused: the references would run both ways', () => {
    const { fn, benchStack } = functionInAnotherStack();
    let caught: any;
    try {
      new ColdStartBenchmark(benchStack, 'Benchmark', { functions: [fn], workload: BenchmarkWorkload.dynamoDb() });
    } catch (e) {
      caught = e;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect(caught.message).toMatch(/^workload: function 'Functions\/Hello' is in stack 'Functions' but the benchmark in stack 'Bench'; .*create the benchmark in the functions' stack to use a workload$/);
  });

  test('cdk-nag AwsSolutions finds nothing on the table nor on the functions\' workload grants', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    Aspects.of(app).add(new AwsSolutionsChecks());
    const stack = new Stack(app, 'Bench', { env: ENV });
    const fn = new lambda.Function(stack, 'Node', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [fn], workload: BenchmarkWorkload.dynamoDb() });
    app.synth();
    const annotations = Annotations.fromStack(stack);
    const pattern = Match.stringLikeRegexp('AwsSolutions-.*');
    const findings = [...annotations.findError('*', pattern), ...annotations.findWarning('*', pattern)]
      .map(m => `${m.id} ${String(m.entry.data).split(/[[:]/)[0]}`);
    expect(findings.filter(f => f.includes('WorkloadTable') || f.includes('DDB'))).toEqual([]);
    // What remains is what the sample and integ stacks already suppress with reasons: the basic execution role,
    // the driver's s3 prefix grant and the results bucket's access logs.
    expect(new Set(findings.map(f => f.split(' ')[1]))).toEqual(new Set(['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-S1']));
  });

  test('the template with a workload and a SnapStart function passes cfn-lint', () => {
    const outdir = fs.mkdtempSync(path.join(scratch, 'out-'));
    const { app, stack, functions } = setup(2, outdir);
    const java = javaFunction(stack, 'Java');
    // cfn-lint W2530 wants a version of a SnapStart function in the template; users deploy one (the benchmark
    // publishes its own per round and deletes them, leaving this one alone).
    void java.currentVersion;
    new ColdStartBenchmark(stack, 'Benchmark', { functions: [...functions, java], workload: BenchmarkWorkload.dynamoDb() });
    app.synth();
    const lint = cfnLintAssembly(outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });
});
