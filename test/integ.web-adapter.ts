/**
 * Integration test and deployable example: an unchanged Express app behind the Lambda Web Adapter (x86_64, AWS's
 * published adapter layer, so nothing is built but the app's `npm ci`).
 *
 * The assertion invokes the function with a Function URL event for `GET /hello/ferris`: the adapter turns it into
 * an HTTP request to the app and the app's JSON answer back into the Function URL response.
 *
 * `npm test` (task integ:snapshot) synthesizes this app and compares its templates with the committed snapshot
 * (integ.web-adapter.ts.snapshot/), asset hashes aside; no AWS needed.
 * `npx projen integ:snapshot:update` rewrites it, deliberately.
 * With credentials, `npx projen integ:deploy` deploys the stack, invokes the function, checks the answer and
 * destroys the stack again. The stack alone, as an example:
 * `npx cdk deploy --app 'npx ts-node --project test/tsconfig.json test/integ.web-adapter.ts' WebAdapterInteg`.
 */
import * as path from 'path';
import { IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { WebAdapterFunction, WebAdapterLayer, WebAdapterVersion } from '../lib';
import { suppressBasicExecutionRole } from '../samples/nag';
import { WEB_ADAPTER_SAMPLES } from '../samples/web-adapter';
import { expectInvocation } from './support/integ-assertions';

/** The stack under test: the Express sample app. */
export class WebAdapterIntegStack extends Stack {
  public readonly express: WebAdapterFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.express = new WebAdapterFunction(this, 'ExpressApp', {
      appPath: path.join(WEB_ADAPTER_SAMPLES, 'express'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_1_0),
      description: 'integ: Express through the Lambda Web Adapter (x86_64)',
    });
    suppressBasicExecutionRole([this.express]);
  }
}

/** A Function URL event (payload 2.0) for a GET request, the shape the adapter receives behind a Function URL. */
export function functionUrlGet(rawPath: string): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { 'host': 'integ.lambda-url.us-east-1.on.aws', 'x-forwarded-proto': 'https' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'integ',
      domainName: 'integ.lambda-url.us-east-1.on.aws',
      domainPrefix: 'integ',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.10', userAgent: 'integ-tests' },
      requestId: 'integ-request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1767225600000,
    },
    isBase64Encoded: false,
  };
}

/** Adds the stack and its assertion to `app`. */
export function webAdapterInteg(app: App): IntegTest {
  const stack = new WebAdapterIntegStack(app, 'WebAdapterInteg');
  const integ = new IntegTest(app, 'WebAdapter', {
    testCases: [stack],
    // Deploy from scratch only: the snapshot keeps no assets (the app with its node_modules is not committed).
    stackUpdateWorkflow: false,
  });
  expectInvocation(integ, stack.express, functionUrlGet('/hello/ferris'), {
    statusCode: 200,
    body: Match.stringLikeRegexp('"greeting":"hello, ferris"'),
  });
  return integ;
}

if (require.main === module) {
  const app = new App();
  webAdapterInteg(app);
  app.synth();
}
