import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ColdStartBenchmarkProps } from './types';
import { validating, warn } from '../core/errors';
import { OptimizationPreset, RustFunction } from '../rust';

/**
 * The driver's Cargo workspace, shipped with the package. Compiled code lives in `dist/benchmark/`, sources in
 * `lib/benchmark/`: both are two levels below the package root.
 */
const DRIVER_WORKSPACE = path.join(__dirname, '..', '..', 'benchmark-driver');
const DRIVER_BINARY = 'coldstart-driver';

const MAX_FUNCTIONS = 30;
const MAX_COLD_STARTS = 100;
const MAX_CONCURRENCY = 10;
const MAX_PAYLOAD_BYTES = 1024;
/** A rough duration of one round (update, wait for it, cold invocation), for the time-budget warning. */
const SECONDS_PER_ROUND = 8;

/**
 * lambda-perf's cold-start measurement, deployed into your own account: a Rust driver function forces cold starts
 * of the listed functions (it changes an environment variable, waits for the update, invokes with
 * `LogType: Tail`), reads the `REPORT` record of each invocation (Init Duration, Duration, Billed Duration,
 * Max Memory Used), and writes a JSON summary with statistics and a cost estimate to S3.
 *
 * The driver may only read and update the configuration of, and invoke, the listed functions, and only write
 * objects under the prefix of the bucket.
 *
 * Defaults: 10 cold starts per function and run, 4 functions at a time, summaries under `coldstart/` of a new
 * bucket (S3-managed encryption, SSL only, public access blocked, retained on stack deletion), and a driver of
 * 256 MB on arm64 with a 15-minute timeout and no retries.
 *
 * @example
 * new ColdStartBenchmark(this, 'Benchmark', {
 *   functions: [rustFn, nodeFn, pythonFn],
 *   schedule: events.Schedule.rate(Duration.days(1)),
 * });
 */
export class ColdStartBenchmark extends Construct {
  /** The driver: invoke it (no payload needed) to run the benchmark; it returns the summary. */
  public readonly driver: RustFunction;

  /** The bucket the summaries are written to. */
  public readonly bucket: s3.IBucket;

  /** Key prefix of the summaries: `<prefix>runs/<run id>.json` and `<prefix>latest.json`. */
  public readonly prefix: string;

  /** Cold starts forced per function and run. */
  public readonly coldStarts: number;

  /** The EventBridge rule that starts runs, when a schedule was given. */
  public readonly rule?: events.Rule;

  constructor(scope: Construct, id: string, props: ColdStartBenchmarkProps) {
    super(scope, id);

    // Bad props fail as aws-cdk-lib's ValidationError naming this construct's path.
    const { functions, coldStarts, concurrency, prefix, payload, timeout } = validating(this, undefined, () => checkProps(props));
    this.coldStarts = coldStarts;
    this.prefix = prefix;

    this.bucket = props.bucket ?? new s3.Bucket(this, 'Results', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.driver = new RustFunction(this, 'Driver', {
      manifestPath: DRIVER_WORKSPACE,
      binaryName: DRIVER_BINARY,
      // `[profile.driver]` of the workspace: a quick build matters more than the speed of a function that waits.
      bundling: { profile: 'driver', optimization: OptimizationPreset.NONE },
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      // A failed run is not worth repeating automatically: it would change the measured functions again.
      retryAttempts: 0,
      description: 'Cold-start benchmark: forces cold starts of the listed functions and records their REPORT metrics',
      environment: {
        COLDSTART_FUNCTIONS: functions.map(fn => fn.functionArn).join(','),
        COLDSTART_COLD_STARTS: String(this.coldStarts),
        COLDSTART_CONCURRENCY: String(concurrency),
        COLDSTART_BUCKET: this.bucket.bucketName,
        COLDSTART_PREFIX: this.prefix,
        COLDSTART_PAYLOAD: payload,
      },
    });

    this.driver.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ForceColdStartsOfTheListedFunctions',
      actions: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration', 'lambda:InvokeFunction'],
      resources: functions.map(fn => fn.functionArn),
    }));
    this.driver.addToRolePolicy(new iam.PolicyStatement({
      sid: 'WriteSummaries',
      actions: ['s3:PutObject'],
      resources: [this.bucket.arnForObjects(`${this.prefix}*`)],
    }));
    this.bucket.encryptionKey?.grant(this.driver, 'kms:GenerateDataKey');

    if (props.schedule) {
      this.rule = new events.Rule(this, 'Schedule', {
        schedule: props.schedule,
        description: 'Starts a cold-start benchmark run',
        targets: [new targets.LambdaFunction(this.driver, {
          event: events.RuleTargetInput.fromObject({}),
          retryAttempts: 0,
        })],
      });
    }

    this.warnAboutAccounts(functions);
    const estimate = Math.ceil(functions.length / concurrency) * this.coldStarts * SECONDS_PER_ROUND;
    if (!timeout.isUnresolved() && estimate > timeout.toSeconds() - 30) {
      warn(this, 'benchmark-time-budget',
        `${functions.length} functions x ${this.coldStarts} cold starts at concurrency ${concurrency} may need about ` +
        `${estimate} s but the driver's timeout is ${timeout.toSeconds()} s; the run will stop early and store a ` +
        'partial summary (complete: false); raise concurrency, lower coldStarts or split the functions');
    }
  }

  /** Functions of another account cannot be reconfigured by the driver's role. */
  private warnAboutAccounts(functions: lambda.IFunction[]): void {
    const account = Stack.of(this).account;
    for (const fn of functions) {
      const other = fn.env.account;
      if (!Token.isUnresolved(account) && !Token.isUnresolved(other) && other !== account) {
        warn(this, 'benchmark-cross-account',
          `function '${fn.node.path}' is in account ${other} but the benchmark in account ${account}; the driver's ` +
          'role cannot update a function of another account, so its rounds will fail with AccessDenied; deploy a ' +
          'ColdStartBenchmark in that account instead');
      }
    }
  }
}

/** Every prop checked once, here; throws naming the value, what was expected and the fix. */
function checkProps(props: ColdStartBenchmarkProps) {
  const timeout = props.timeout ?? Duration.minutes(15);
  if (!timeout.isUnresolved() && (timeout.toSeconds() < 60 || timeout.toSeconds() > 900)) {
    throw new Error(`timeout is ${timeout.toHumanString()}; expected 1 to 15 minutes (the driver runs as one Lambda ` +
      'invocation); lower coldStarts or split the functions over several benchmarks for longer runs');
  }
  return {
    functions: checkFunctions(props.functions),
    coldStarts: wholeNumber('coldStarts', props.coldStarts ?? 10, 1, MAX_COLD_STARTS,
      'lambda-perf forces 10 a day; split bigger samples over several runs'),
    concurrency: wholeNumber('concurrency', props.concurrency ?? 4, 1, MAX_CONCURRENCY,
      'functions measured at the same time'),
    prefix: checkPrefix(props.prefix ?? 'coldstart/'),
    payload: checkPayload(props.payload ?? {}),
    timeout,
  };
}

function checkFunctions(functions: lambda.IFunction[] | undefined): lambda.IFunction[] {
  const list = functions ?? [];
  if (list.length === 0) {
    throw new Error('functions is empty; expected 1 to 30 Lambda functions to measure, e.g. functions: [rustFn, nodeFn]');
  }
  if (list.length > MAX_FUNCTIONS) {
    throw new Error(`functions lists ${list.length} functions; expected at most ${MAX_FUNCTIONS} (their ARNs travel in ` +
      'one environment variable of the driver, limited to 4 KB); split them over several ColdStartBenchmark constructs');
  }
  // Two constructs can stand for the same function (imported twice by name): compare the resolved ARNs.
  const seen = new Map<string, lambda.IFunction>();
  for (const fn of list) {
    const arn = fn.functionArn;
    const key = JSON.stringify(Stack.of(fn).resolve(arn));
    const earlier = seen.get(key);
    if (earlier) {
      const names = earlier === fn ? `'${fn.node.path}'` : `'${earlier.node.path}' and '${fn.node.path}'`;
      throw new Error(`functions lists the same function twice (${names}); remove the duplicate`);
    }
    seen.set(key, fn);
    const qualified = fn instanceof lambda.QualifiedFunctionBase ||
      (!Token.isUnresolved(arn) && arn.split(':').length > 7);
    if (qualified) {
      throw new Error(`functions includes the version or alias '${Token.isUnresolved(arn) ? fn.node.path : arn}'; ` +
        'the benchmark updates and invokes $LATEST, so a published version would never start cold; pass the ' +
        'function itself (e.g. alias.version.lambda or lambda.Function.fromFunctionName)');
    }
  }
  return list;
}

function wholeNumber(name: string, value: number, min: number, max: number, hint: string): number {
  if (Token.isUnresolved(value)) {
    throw new Error(`${name} is a token; expected a number known at synth (${min} to ${max}), as it sizes the run`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} is ${value}; expected a whole number from ${min} to ${max} (${hint})`);
  }
  return value;
}

function checkPrefix(prefix: string): string {
  if (Token.isUnresolved(prefix)) {
    throw new Error('prefix is a token; expected a key prefix known at synth, e.g. \'coldstart/\'');
  }
  if (prefix === '') {
    // An empty prefix would grant s3:PutObject on every key of the bucket, which may be a shared one.
    throw new Error('prefix is empty, which would let the driver write anywhere in the bucket; expected a key ' +
      'prefix such as \'coldstart/\' (the default) that scopes its s3:PutObject grant');
  }
  if (prefix.startsWith('/') || prefix.includes('*') || !/^[\x20-\x7e]*$/.test(prefix)) {
    throw new Error(`prefix '${prefix}' is not a usable S3 key prefix; expected printable characters without a ` +
      'leading \'/\' or \'*\', e.g. \'coldstart/\'');
  }
  return prefix;
}

function checkPayload(payload: { [key: string]: any }): string {
  const json = JSON.stringify(payload);
  if (Token.isUnresolved(json)) {
    throw new Error('payload contains tokens; expected plain JSON known at synth (it is sent as is to every function)');
  }
  if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES) {
    throw new Error(`payload is ${Buffer.byteLength(json)} bytes of JSON; expected at most ${MAX_PAYLOAD_BYTES} ` +
      '(it travels in an environment variable of the driver); send a smaller event');
  }
  return json;
}
