/**
 * The one assertion of the integ tests (test/integ.*.ts): invoke a function of the stack under test and check its
 * answer. integ-runner runs those apps with ts-node, so this file is plain TypeScript with no jest in it. (Its name
 * does not start with `integ.`, so integ-runner does not take it for a test of its own.)
 */
import { ExpectedResult, IApiCall, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Invokes `fn` with `event` (sent as its JSON) and expects status 200 and a payload that, parsed, is like `answer`
 * (`Match.objectLike`: the keys given, with values or matchers; other keys are free).
 */
export function expectInvocation(integ: IntegTest, fn: lambda.IFunction, event: unknown, answer: Record<string, unknown>): IApiCall {
  return integ.assertions
    .invokeFunction({ functionName: fn.functionName, payload: JSON.stringify(event) })
    .expect(ExpectedResult.objectLike({
      StatusCode: 200,
      Payload: Match.serializedJson(Match.objectLike(answer)),
    }));
}
