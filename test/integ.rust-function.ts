/**
 * Integration test and deployable example: RustFunction on both architectures.
 *
 * - `hello` (arm64, the default): JSON in, JSON out.
 * - `http-api` (x86_64): a JSON API answering Function URL events.
 *
 * `npm test` (task integ:snapshot) synthesizes this app and compares its templates with the committed snapshot
 * (integ.rust-function.ts.snapshot/), asset hashes aside; no AWS needed.
 * `npx projen integ:snapshot:update` rewrites it, deliberately.
 * With credentials, `npx projen integ:deploy` deploys the stack, invokes both functions, checks the answer and
 * destroys the stack again. The stack alone, as an example:
 * `npx cdk deploy --app 'npx ts-node --project test/tsconfig.json test/integ.rust-function.ts' RustFunctionInteg`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { RustFunction } from '../lib';
import { suppressBasicExecutionRole } from '../samples/nag';
import { RUST_HANDLERS } from '../samples/stack';
import { expectInvocation } from './support/integ-assertions';

/** The stack under test: one function per architecture. */
export class RustFunctionIntegStack extends Stack {
  public readonly hello: RustFunction;
  public readonly httpApi: RustFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.hello = new RustFunction(this, 'Hello', {
      manifestPath: RUST_HANDLERS,
      binaryName: 'hello',
      description: 'integ: Rust hello (arm64)',
    });
    this.httpApi = new RustFunction(this, 'HttpApi', {
      manifestPath: RUST_HANDLERS,
      binaryName: 'http-api',
      architecture: lambda.Architecture.X86_64,
      description: 'integ: Rust JSON API (x86_64)',
    });
    suppressBasicExecutionRole([this.hello, this.httpApi]);
  }
}

/** Adds the stack and its assertions to `app`. */
export function rustFunctionInteg(app: App): IntegTest {
  const stack = new RustFunctionIntegStack(app, 'RustFunctionInteg');
  const integ = new IntegTest(app, 'RustFunction', {
    testCases: [stack],
    // Deploy from scratch only: the update workflow would first deploy the previous snapshot, whose assets (the
    // built bootstraps) are not committed.
    stackUpdateWorkflow: false,
  });

  expectInvocation(integ, stack.hello, { name: 'Ferris' }, { message: 'Hello, Ferris!' });

  // The handler's own sample event: a Function URL request for GET /health.
  const healthEvent = JSON.parse(fs.readFileSync(path.join(RUST_HANDLERS, 'http-api', 'events', 'function-url-health.json'), 'utf-8'));
  expectInvocation(integ, stack.httpApi, healthEvent, { statusCode: 200, body: '{"status":"ok"}' });
  return integ;
}

if (require.main === module) {
  const app = new App();
  rustFunctionInteg(app);
  app.synth();
}
