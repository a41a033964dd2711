import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLE_NAME_VARIABLE } from './bound';
import { ColdStartBenchmarkProps } from './types';
import { BenchmarkWorkload } from './workload';
import { validating, validationError, warn } from '../core/errors';
import { SNAPSTART_RUNTIMES, supportsSnapStart } from '../core/snapstart';
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
const MAX_WARM_INVOKES = 50;
/** A rough duration of one round (update, wait for it, cold invocation), for the time-budget warning. */
const SECONDS_PER_ROUND = 8;
/** A SnapStart round also publishes a version and waits for its snapshot: rough, for the same warning. */
const SECONDS_PER_SNAPSTART_ROUND = 90;

/**
 * lambda-perf's cold-start measurement, deployed into your own account: a Rust driver function forces cold starts
 * of the listed functions (it changes an environment variable, waits for the update, invokes with
 * `LogType: Tail`), reads the `REPORT` record of each invocation (Init or Restore Duration, Duration, Billed
 * Duration, Max Memory Used), makes a few warm invocations after the cold rounds, and writes a JSON summary with
 * statistics (cold start + duration at p50, p90, p95, p99 and max) and cost estimates to S3. SnapStart functions
 * are measured through a published version per round; a workload (`BenchmarkWorkload.dynamoDb()`) gives the
 * functions a table to work with.
 *
 * The driver may only read and update the configuration of, and invoke, the listed functions (for SnapStart
 * functions also publish versions, and read, invoke and delete versions), and only write objects under the prefix
 * of the bucket.
 *
 * Defaults: 10 cold starts and 5 warm invocations per function and run, 4 functions at a time, summaries under
 * `coldstart/` of a new bucket (S3-managed encryption, SSL only, public access blocked, retained on stack
 * deletion), and a driver of 256 MB on arm64 with a 15-minute timeout and no retries.
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

  /** Warm invocations per function after its cold rounds. */
  public readonly warmInvokes: number;

  /** The functions measured through published versions (SnapStart): the listed and the detected ones. */
  public readonly snapStartFunctions: lambda.IFunction[];

  /** The workload's table, when `workload` is `BenchmarkWorkload.dynamoDb()`. */
  public readonly table?: dynamodb.ITable;

  /** The EventBridge rule that starts runs, when a schedule was given. */
  public readonly rule?: events.Rule;

  constructor(scope: Construct, id: string, props: ColdStartBenchmarkProps) {
    super(scope, id);

    // Bad props fail as aws-cdk-lib's ValidationError naming this construct's path.
    const { functions, snapStart, coldStarts, warmInvokes, concurrency, prefix, payload, timeout } =
      validating(this, undefined, () => checkProps(props));
    this.coldStarts = coldStarts;
    this.warmInvokes = warmInvokes;
    this.snapStartFunctions = snapStart;
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
        COLDSTART_WARM_INVOKES: String(this.warmInvokes),
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
    if (snapStart.length > 0) {
      this.driver.addEnvironment('COLDSTART_SNAPSTART_FUNCTIONS', snapStart.map(fn => fn.functionArn).join(','));
      this.driver.addToRolePolicy(new iam.PolicyStatement({
        sid: 'PublishVersionsOfTheSnapStartFunctions',
        actions: ['lambda:PublishVersion'],
        resources: snapStart.map(fn => fn.functionArn),
      }));
      // Versions are `<function ARN>:<version>`; the driver deletes only the ones it published.
      this.driver.addToRolePolicy(new iam.PolicyStatement({
        sid: 'MeasureAndDeleteTheVersionsItPublishes',
        actions: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction', 'lambda:DeleteFunction'],
        resources: snapStart.map(fn => `${fn.functionArn}:*`),
      }));
    }
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

    if (props.workload) {
      this.table = this.bindWorkload(props.workload, functions);
    }

    this.warnAboutAccounts(functions);
    const estimate = estimateSeconds(functions.length, snapStart.length, this.coldStarts, concurrency);
    if (!timeout.isUnresolved() && estimate > timeout.toSeconds() - 30) {
      const snapStartNote = snapStart.length > 0
        ? ` (${snapStart.length} of them SnapStart functions, whose rounds publish a version and wait for its ` +
          `snapshot, about ${SECONDS_PER_SNAPSTART_ROUND} s each)`
        : '';
      warn(this, 'benchmark-time-budget',
        `${functions.length} functions${snapStartNote} x ${this.coldStarts} cold starts at concurrency ${concurrency} ` +
        `may need about ${estimate} s but the driver's timeout is ${timeout.toSeconds()} s; the run will stop early ` +
        'and store a partial summary (complete: false); raise concurrency, lower coldStarts or split the functions');
    }
  }

  /**
   * Creates the workload's table and gives it to every function of this stack that takes environment variables:
   * `TABLE_NAME` and exactly the workload's actions on the table's ARN. Other functions are named in a warning.
   */
  private bindWorkload(workload: BenchmarkWorkload, functions: lambda.IFunction[]): dynamodb.ITable {
    const bound = workload._bind(this);
    const stack = Stack.of(this);
    const untouched: string[] = [];
    const measured = new Set(functions.map(arnKey));
    for (const fn of bound.functions ?? []) {
      if (!measured.has(arnKey(fn))) {
        throw validationError(`workload: the workload's functions include '${fn.node.path}', which is not in ` +
          'functions; add it to functions or leave it out of the workload', this);
      }
    }
    const given = bound.functions ? new Set(bound.functions.map(arnKey)) : undefined;
    for (const fn of functions.filter(f => given === undefined || given.has(arnKey(f)))) {
      if (!(fn instanceof lambda.Function)) {
        untouched.push(fn.node.path);
        continue;
      }
      if (Stack.of(fn) !== stack) {
        // The benchmark's stack references the function (its ARN), so the function cannot reference the table back.
        const [there, here] = [Stack.of(fn).stackName, stack.stackName];
        throw validationError(`workload: function '${fn.node.path}' is in stack '${there}' but the benchmark in stack '${here}'` +
          '; the benchmark refers to the function and the function would ' +
          'refer to the table, a cycle between the stacks; create the benchmark in the functions\' stack to use a workload', this);
      }
      for (const [name, value] of Object.entries(bound.environment)) fn.addEnvironment(name, value);
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: bound.actions,
        resources: [bound.table.tableArn],
      }));
    }
    if (untouched.length > 0) {
      warn(this, 'benchmark-workload-imported',
        `workload: ${untouched.map(p => `'${p}'`).join(', ')} ${untouched.length === 1 ? 'is' : 'are'} not a ` +
        `lambda.Function of this app, so the benchmark cannot set ${TABLE_NAME_VARIABLE} on ${untouched.length === 1 ? 'it' : 'them'} ` +
        `nor grant ${bound.actions.join(' and ')} on the table; configure that yourself (the table is the ` +
        'benchmark\'s `table`), or the function will measure without its workload');
    }
    return bound.table;
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

/** Seconds a run may take: the rounds of all functions spread over `concurrency`, at least the longest function's. */
function estimateSeconds(functions: number, snapStart: number, coldStarts: number, concurrency: number): number {
  const plain = functions - snapStart;
  const total = coldStarts * (plain * SECONDS_PER_ROUND + snapStart * SECONDS_PER_SNAPSTART_ROUND);
  const longest = coldStarts * (snapStart > 0 ? SECONDS_PER_SNAPSTART_ROUND : SECONDS_PER_ROUND);
  return Math.max(Math.ceil(total / concurrency), longest);
}

/** Every prop checked once, here; throws naming the value, what was expected and the fix. */
function checkProps(props: ColdStartBenchmarkProps) {
  const timeout = props.timeout ?? Duration.minutes(15);
  if (!timeout.isUnresolved() && (timeout.toSeconds() < 60 || timeout.toSeconds() > 900)) {
    throw new Error(`timeout is ${timeout.toHumanString()}; expected 1 to 15 minutes (the driver runs as one Lambda ` +
      'invocation); lower coldStarts or split the functions over several benchmarks for longer runs');
  }
  const functions = checkFunctions(props.functions);
  return {
    functions,
    snapStart: checkSnapStart(functions, props.snapStartFunctions ?? []),
    coldStarts: wholeNumber('coldStarts', props.coldStarts ?? 10, 1, MAX_COLD_STARTS,
      'lambda-perf forces 10 a day; split bigger samples over several runs'),
    warmInvokes: wholeNumber('warmInvokes', props.warmInvokes ?? 5, 0, MAX_WARM_INVOKES,
      'warm invocations per function after its cold rounds; 0 for none'),
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
    const key = arnKey(fn);
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
        'function itself (e.g. alias.version.lambda or lambda.Function.fromFunctionName); for SnapStart, the ' +
        'benchmark publishes a version per round itself (snapStartFunctions)');
    }
  }
  return list;
}

/** The resolved ARN of a function, to compare two constructs that may stand for the same function. */
function arnKey(fn: lambda.IFunction): string {
  return JSON.stringify(Stack.of(fn).resolve(fn.functionArn));
}

/** True for a function of this app whose own settings turn SnapStart on for published versions. */
function hasSnapStart(fn: lambda.IFunction): boolean {
  if (!(fn instanceof lambda.Function) || !(fn.node.defaultChild instanceof lambda.CfnFunction)) return false;
  const snapStart = Stack.of(fn).resolve(fn.node.defaultChild.snapStart);
  return snapStart?.applyOn === 'PublishedVersions';
}

/**
 * The functions measured through published versions: the listed ones (each also in `functions`, on a runtime with
 * SnapStart, with SnapStart on when that can be seen) and every `lambda.Function` of `functions` with SnapStart on.
 */
function checkSnapStart(functions: lambda.IFunction[], listed: lambda.IFunction[]): lambda.IFunction[] {
  const measured = new Map(functions.map(fn => [arnKey(fn), fn]));
  const chosen = new Set<string>();
  for (const fn of listed) {
    const key = arnKey(fn);
    if (!measured.has(key)) {
      throw new Error(`snapStartFunctions includes '${fn.node.path}', which is not in functions; add it to functions ` +
        '(snapStartFunctions only says how a measured function is measured)');
    }
    if (fn instanceof lambda.Function) {
      if (!supportsSnapStart(fn.runtime)) {
        throw new Error(`snapStartFunctions includes '${fn.node.path}', whose runtime ${fn.runtime.name} has no ` +
          `SnapStart; Lambda supports it for ${SNAPSTART_RUNTIMES}; remove the function from snapStartFunctions ` +
          '(it is then measured on $LATEST) or move it to one of those runtimes');
      }
      if (!hasSnapStart(fn)) {
        throw new Error(`snapStartFunctions includes '${fn.node.path}', which does not turn SnapStart on, so its ` +
          'versions would start like $LATEST; set snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS on the function');
      }
    }
    chosen.add(key);
  }
  for (const fn of functions) {
    if (hasSnapStart(fn)) chosen.add(arnKey(fn));
  }
  return functions.filter(fn => chosen.has(arnKey(fn)));
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
