import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { ColdStartBenchmark } from '../lib';

/** How cdk-nag names the AWS managed policy every Lambda function's default role gets. */
export const BASIC_EXECUTION_ROLE_POLICY = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/**
 * cdk-nag AwsSolutions-IAM4 (an AWS managed policy) on the default execution role of each function, for that one
 * policy only (`appliesTo`): any other managed policy added later is still reported.
 */
export function suppressBasicExecutionRole(functions: lambda.IFunction[]): void {
  for (const fn of functions) {
    if (!fn.role) continue;
    NagSuppressions.addResourceSuppressions(fn.role as iam.Role, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole only lets the function create its own log streams and put log events ' +
        '(logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents); it grants no data access. AWS maintains ' +
        'it, and a hand-written copy would only drift from it.',
      appliesTo: [BASIC_EXECUTION_ROLE_POLICY],
    }]);
  }
}

/**
 * cdk-nag findings on a ColdStartBenchmark's own resources that stay, each with its reason: S1 on its results
 * bucket and IAM5 on the driver's prefix-scoped s3:PutObject (exactly `<bucket ARN>/<prefix>*`, nothing broader).
 */
export function suppressColdStartBenchmark(benchmark: ColdStartBenchmark): void {
  NagSuppressions.addResourceSuppressions(benchmark.bucket, [{
    id: 'AwsSolutions-S1',
    reason: 'The bucket holds only the JSON summaries the driver writes; it blocks public access, enforces TLS and ' +
      'encrypts at rest. Server access logs would need a second bucket (itself unlogged); where object-level ' +
      'auditing is required, CloudTrail data events cover it without one.',
  }]);
  const bucketId = Stack.of(benchmark).resolve((benchmark.bucket.node.defaultChild as s3.CfnBucket).logicalId);
  NagSuppressions.addResourceSuppressions(benchmark.driver.role as iam.Role, [{
    id: 'AwsSolutions-IAM5',
    reason: `The driver writes ${benchmark.prefix}runs/<run id>.json and ${benchmark.prefix}latest.json, so ` +
      `s3:PutObject is granted on the ${benchmark.prefix} prefix of its own results bucket: keys named per run, ` +
      'nothing outside the prefix.',
    appliesTo: [`Resource::<${bucketId}.Arn>/${benchmark.prefix}*`],
  }], true);
  // SnapStart functions are measured through the versions the driver publishes: it reads, invokes and deletes
  // `<function ARN>:<version>`, which IAM can only name as `<function ARN>:*`.
  for (const fn of benchmark.snapStartFunctions) {
    const fnId = Stack.of(benchmark).resolve(((fn as lambda.Function).node.defaultChild as lambda.CfnFunction).logicalId);
    NagSuppressions.addResourceSuppressions(benchmark.driver.role as iam.Role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'SnapStart applies to published versions only, so each round the driver publishes one, invokes it and ' +
        'deletes it (never $LATEST or the function itself): the versions of this one function are `<ARN>:*`.',
      appliesTo: [`Resource::<${fnId}.Arn>:*`],
    }], true);
  }
}
