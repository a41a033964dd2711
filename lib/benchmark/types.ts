import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Properties of a `ColdStartBenchmark`.
 */
export interface ColdStartBenchmarkProps {
  /**
   * The functions to measure: 1 to 30 functions of the benchmark's account, unqualified (the benchmark changes
   * `$LATEST`, so versions and aliases cannot be measured). Their code and settings are left alone; only the
   * environment variable `COLDSTART_BENCHMARK_RUN` is set during a run and removed afterwards.
   */
  readonly functions: lambda.IFunction[];

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
   * The event sent to every measured function. A function that fails on it still yields its init duration; the
   * failure is counted in the summary (`functionErrors`).
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
