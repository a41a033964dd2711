import { App, Annotations as CoreAnnotations, Errors, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { WebAdapter, WebAdapterFunction } from '../../lib';
import { FLASK_APP, useCleanBuildState } from '../support/web-adapter';

// Bad input fails with aws-cdk-lib's ValidationError, whose constructPath names the construct whose props were
// wrong (the CDK CLI prints it beside the message); warnings carry one kebab-case id each. Nothing is bundled.

useCleanBuildState();

function templateStack(region = 'us-east-1'): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region } });
}

/** The error `fn` throws (failing the test when it throws none). */
function errorOf(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('errors carry the construct path', () => {
  test('a bad prop of a WebAdapterFunction, checked before the function exists: its own path, the message unchanged', () => {
    const e = errorOf(() => new WebAdapterFunction(templateStack(), 'Web', { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12, port: 80 }));
    expect(Errors.isValidationError(e)).toBe(true);
    expect(e.constructPath).toBe('Test/Web');
    expect(e.message).toMatch(/^port 80 is a privileged port, and Lambda runs the web app as a non-root user/);
  });

  test('WebAdapter.addTo with a bad option: the path of the function it was added to', () => {
    const stack = templateStack();
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'run.sh', code: lambda.Code.fromInline('x') });
    const e = errorOf(() => WebAdapter.addTo(fn, { readinessCheckPath: 'health' }));
    expect(Errors.isValidationError(e)).toBe(true);
    expect(e.constructPath).toBe('Test/Fn');
    expect(e.message).toBe("readinessCheckPath 'health' does not start with '/'; write it as '/health' (e.g. '/health')");
  });

  test('no AWS layer in the region: the path of the function the layer was for', () => {
    const e = errorOf(() => new WebAdapterFunction(templateStack('us-gov-west-1'), 'Web', { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12 }));
    expect(Errors.isValidationError(e)).toBe(true);
    expect(e.constructPath).toBe('Test/Web');
    expect(e.message).toMatch(/^AWS publishes no Lambda Web Adapter layer in the aws-us-gov partition/);
  });

  test('addFunctionUrl with the other invoke mode: the function\'s path', () => {
    const fn = new WebAdapterFunction(templateStack(), 'Web', { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12 });
    const e = errorOf(() => fn.addFunctionUrl({ invokeMode: lambda.InvokeMode.RESPONSE_STREAM }));
    expect(Errors.isValidationError(e)).toBe(true);
    expect(e.constructPath).toBe('Test/Web');
  });
});

describe('warnings have one kebab-case id each', () => {
  test('port 3000 (port or readinessCheckPort) is one warning id a user can acknowledge', () => {
    const stack = templateStack();
    new WebAdapterFunction(stack, 'Web', { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12, port: 3000, readinessCheckPort: 3000 });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Web', Match.stringLikeRegexp('^port 3000 is also used by the CloudWatch Lambda Insights.*\\[ack: rustacean-lambda:web-adapter-port-3000\\]'));
    annotations.hasWarning('/Test/Web', Match.stringLikeRegexp('^readinessCheckPort 3000 .*\\[ack: rustacean-lambda:web-adapter-port-3000\\]'));

    // One id per kind of warning: acknowledging it silences exactly that one.
    const quiet = templateStack();
    const fn = new WebAdapterFunction(quiet, 'Web', { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12, port: 3000 });
    CoreAnnotations.of(fn).acknowledgeWarning('rustacean-lambda:web-adapter-port-3000');
    Annotations.fromStack(quiet).hasNoWarning('/Test/Web', Match.anyValue());
    expect(fn.port).toBe(3000);
  });
});

