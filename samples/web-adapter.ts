import * as path from 'path';
import { CfnOutput } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { suppressBasicExecutionRole } from './nag';
import { WebAdapterFunction, WebAdapterLayer, WebAdapterVersion } from '../lib';

/** Where the sample web apps live. */
export const WEB_ADAPTER_SAMPLES = path.join(__dirname, 'web-adapter');

/** The sample web apps and their Function URLs. */
export interface WebAdapterSamples {
  /** Flask (Python 3.12) on arm64, with the adapter layer built from source by this library. */
  readonly flask: WebAdapterFunction;
  readonly flaskUrl: lambda.FunctionUrl;
  /** Express (Node.js 22) on x86_64, with AWS's public adapter layer (pinned release 1.1.0). */
  readonly express: WebAdapterFunction;
  readonly expressUrl: lambda.FunctionUrl;
}

/**
 * Adds the two Web Adapter samples to `scope`: unchanged web apps behind Function URLs with IAM auth (call them
 * with SigV4-signed requests, e.g. `awscurl --service lambda <url>`).
 */
export function addWebAdapterSamples(scope: Construct): WebAdapterSamples {
  const flask = new WebAdapterFunction(scope, 'FlaskApp', {
    appPath: path.join(WEB_ADAPTER_SAMPLES, 'flask'),
    runtime: lambda.Runtime.PYTHON_3_12,
    architecture: lambda.Architecture.ARM_64,
    // No dependency on another account's layer: the adapter is built from crates.io for arm64.
    adapterLayer: WebAdapterLayer.fromSource(),
    description: 'Flask app through the Lambda Web Adapter (arm64, adapter built from source)',
  });
  const flaskUrl = flask.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  NagSuppressions.addResourceSuppressions(flask, [{
    id: 'AwsSolutions-L1',
    reason: 'Python 3.12 is a supported Lambda runtime that AWS still patches; its deprecation date is 2028-10-31 ' +
      "(the pinned cfn-lint's lifecycle data), and test/repo/runtimes.test.ts fails the build once it has passed. " +
      'The sample keeps the Python version its tests pin.',
  }]);

  const express = new WebAdapterFunction(scope, 'ExpressApp', {
    appPath: path.join(WEB_ADAPTER_SAMPLES, 'express'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.X86_64,
    adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_1_0),
    description: 'Express app through the Lambda Web Adapter (x86_64, AWS public layer)',
  });
  const expressUrl = express.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
  NagSuppressions.addResourceSuppressions(express, [{
    id: 'AwsSolutions-L1',
    reason: 'Node.js 22 is a supported Lambda runtime that AWS still patches; its deprecation date is 2027-04-30 ' +
      "(the pinned cfn-lint's lifecycle data), and test/repo/runtimes.test.ts fails the build once it has passed. " +
      'The runtime only starts run.sh (the Web Adapter serves the app); test/integ.web-adapter.ts runs the same ' +
      'app on Node.js 24.',
  }]);
  suppressBasicExecutionRole([flask, express]);

  new CfnOutput(scope, 'FlaskAppUrl', { value: flaskUrl.url });
  new CfnOutput(scope, 'ExpressAppUrl', { value: expressUrl.url });
  return { flask, flaskUrl, express, expressUrl };
}
