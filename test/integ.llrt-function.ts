/**
 * Integration test and deployable example: LlrtFunction (arm64), a TypeScript handler bundled with esbuild and run
 * on LLRT.
 *
 * The LLRT binary is the samples' one: the release file in $LLRT_BINARY_PATH (e.g. llrt-lambda-arm64.zip) when it
 * is set, else LLRT built from crates.io (kept in $RUSTACEAN_LAMBDA_CACHE). Either way the template is the same
 * but for the asset hash, which the snapshot check ignores.
 *
 * `npm test` (task integ:snapshot) synthesizes this app and compares its templates with the committed snapshot
 * (integ.llrt-function.ts.snapshot/), asset hashes aside; no AWS needed.
 * `npx projen integ:snapshot:update` rewrites it, deliberately.
 * With credentials, `npx projen integ:deploy` deploys the stack, invokes the function, checks the answer and
 * destroys the stack again. The stack alone, as an example:
 * `npx cdk deploy --app 'npx ts-node --project test/tsconfig.json test/integ.llrt-function.ts' LlrtFunctionInteg`.
 */
import * as path from 'path';
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LlrtFunction } from '../lib';
import { LLRT_HANDLERS, sampleLlrtBinary } from '../samples/llrt';
import { suppressBasicExecutionRole } from '../samples/nag';
import { expectInvocation } from './support/integ-assertions';

/** The stack under test: the LLRT hello handler. */
export class LlrtFunctionIntegStack extends Stack {
  public readonly hello: LlrtFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.hello = new LlrtFunction(this, 'Hello', {
      entry: path.join(LLRT_HANDLERS, 'hello.ts'),
      llrtBinary: sampleLlrtBinary(),
      description: 'integ: LLRT hello (arm64)',
    });
    suppressBasicExecutionRole([this.hello]);
  }
}

/** Adds the stack and its assertion to `app`. */
export function llrtFunctionInteg(app: App): IntegTest {
  const stack = new LlrtFunctionIntegStack(app, 'LlrtFunctionInteg');
  const integ = new IntegTest(app, 'LlrtFunction', {
    testCases: [stack],
    // Deploy from scratch only: the snapshot keeps no assets (the LLRT bootstrap is not committed).
    stackUpdateWorkflow: false,
  });
  expectInvocation(integ, stack.hello, { name: 'Ferris' }, { message: 'Hello, Ferris!' });
  return integ;
}

if (require.main === module) {
  const app = new App();
  llrtFunctionInteg(app);
  app.synth();
}
