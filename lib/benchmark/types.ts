import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BenchmarkWorkload } from './workload';

/**
 * Properties of a `ColdStartBenchmark`.
 */
export interface ColdStartBenchmarkProps {
  /**
   * The functions to measure: 1 to 30 functions of the benchmark's account, unqualified (the benchmark changes
   * `$LATEST`, so versions and aliases cannot be measured). Their code and settings are left alone; only the
   * environment variable `COLDSTART_BENCHMARK_RUN` is set during a run and removed afterwards.
   *
   * A `lambda.Function` with `snapStart` (`lambda.SnapStartConf.ON_PUBLISHED_VERSIONS`) is measured through
   * published versions, as if listed in `snapStartFunctions`.
   */
  readonly functions: lambda.IFunction[];

  /**
   * Functions (also listed in `functions`) to measure through published versions, so that SnapStart restores a
   * snapshot on each cold start (`Restore Duration` instead of `Init Duration`). SnapStart applies only to
   * published versions: each round updates `$LATEST`, publishes a version, waits until it is `Active` (its
   * snapshot taken, which can take a minute or more) and invokes that version; the driver deletes each version it
   * published once measured, and no other. Needed only for imported functions: a `lambda.Function` with
   * `snapStart` is detected.
   *
   * For these functions the driver may also publish versions (`lambda:PublishVersion`), and read, invoke and
   * delete versions (`<function ARN>:*`).
   *
   * @default - the `lambda.Function`s of `functions` that have `snapStart`
   */
  readonly snapStartFunctions?: lambda.IFunction[];

  /**
   * Warm invocations per function after its cold rounds (0 to 50): the last environment is invoked again without
   * any change, and the summary adds the warm Duration (p50, p90, p95, p99) and the cost of one million warm
   * invocations. A warm invocation takes well under a second of the run.
   *
   * @default 5
   */
  readonly warmInvokes?: number;

  /**
   * A real workload for the measured functions, e.g. `BenchmarkWorkload.dynamoDb()`: a table the benchmark
   * creates, its name in each function's `TABLE_NAME` and `dynamodb:PutItem` and `dynamodb:GetItem` on it.
   *
   * @default - none: the functions run as they are
   */
  readonly workload?: BenchmarkWorkload;

  /**
   * Cold starts forced per function and run. Each one costs a configuration update and an invocation, a few
   * seconds per round.
   *
   * @default 10
   * @see https://github.com/maxday/lambda-perf
   */
  readonly coldStarts?: number;

  /**
   * How many functions are measured at the same time (1 to 10). Each function's rounds always run one after the
   * other. Higher values finish sooner but make more Lambda control-plane calls per second.
   *
   * @default 4
   */
  readonly concurrency?: number;

  /**
   * The event sent to every measured function. Each invocation gets an `id` of its own added
   * (`<run id>-<function name>-<round>`, warm ones `...-warm-<n>`) unless the payload sets `id`. A function that
   * fails on it still yields its init duration; the failure is counted in the summary (`functionErrors`).
   *
   * @default {}
   */
  readonly payload?: { [key: string]: any };

  /**
   * When to run the benchmark automatically, for example `events.Schedule.rate(Duration.days(1))` (lambda-perf
   * measures once a day). Each run replaces `<prefix>latest.json` and adds a file under `<prefix>runs/`.
   *
   * @default - no schedule: invoke the driver function by hand (`aws lambda invoke --function-name <driver> out.json`)
   */
  readonly schedule?: events.Schedule;

  /**
   * Where the summaries are written. The driver may only write objects under `prefix`.
   *
   * @default - a new bucket: S3-managed encryption, TLS required, public access blocked, retained when the stack is
   * deleted
   */
  readonly bucket?: s3.IBucket;

  /**
   * Key prefix of the summaries in the bucket: `<prefix>runs/<run id>.json` and `<prefix>latest.json`. The driver's
   * `s3:PutObject` grant covers exactly `<prefix>*`, so an empty prefix is refused.
   *
   * @default 'coldstart/'
   */
  readonly prefix?: string;

  /**
   * The architecture of the driver function (not of the measured functions).
   *
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * Timeout of the driver: the time budget of one run (1 to 15 minutes). The driver starts no new round in its last
   * 30 seconds and stores what it measured, marking the run incomplete.
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
}
