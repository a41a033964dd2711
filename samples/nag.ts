import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';

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
