/**
 * Integration test and deployable example: a ColdStartBenchmark over the Rust hello function (arm64, 128 MB).
 *
 * The assertion invokes the driver, which forces three cold starts of the function and returns its summary: the
 * run must be complete, with three measured cold starts of a provided.al2023 function. (Three rounds take well
 * under the two minutes the assertion's own Lambda function waits.) The results bucket is kept when the stack is
 * destroyed, as the construct's default bucket always is: empty and delete it by hand after a test deployment.
 *
 * `npm test` (task integ:snapshot) synthesizes this app and compares its templates with the committed snapshot
 * (integ.coldstart-benchmark.ts.snapshot/), asset hashes aside; no AWS needed.
 * `npx projen integ:snapshot:update` rewrites it, deliberately.
 * With credentials, `npx projen integ:deploy` deploys the stack, invokes the driver, checks the summary and
 * destroys the stack again. The stack alone, as an example:
 * `npx cdk deploy --app 'npx ts-node --project test/tsconfig.json test/integ.coldstart-benchmark.ts' ColdStartBenchmarkInteg`.
 */
import { IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ColdStartBenchmark, RustFunction } from '../lib';
import { suppressBasicExecutionRole, suppressColdStartBenchmark } from '../samples/nag';
import { RUST_HANDLERS } from '../samples/stack';
import { expectInvocation } from './support/integ-assertions';

/** Cold starts per run: enough to show the statistics, few enough for the assertion's time limit. */
export const INTEG_COLD_STARTS = 3;

/** The stack under test: the measured function and the benchmark. */
export class ColdStartBenchmarkIntegStack extends Stack {
  public readonly hello: RustFunction;
  public readonly benchmark: ColdStartBenchmark;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.hello = new RustFunction(this, 'Hello', {
      manifestPath: RUST_HANDLERS,
      binaryName: 'hello',
      description: 'integ: the function the cold-start benchmark measures (Rust hello, arm64)',
    });
    this.benchmark = new ColdStartBenchmark(this, 'Benchmark', {
      functions: [this.hello],
      coldStarts: INTEG_COLD_STARTS,
      timeout: Duration.minutes(2),
    });

    suppressBasicExecutionRole([this.hello, this.benchmark.driver]);
    suppressColdStartBenchmark(this.benchmark);
  }
}

/** Adds the stack and its assertion to `app`. */
export function coldStartBenchmarkInteg(app: App): IntegTest {
  const stack = new ColdStartBenchmarkIntegStack(app, 'ColdStartBenchmarkInteg');
  const integ = new IntegTest(app, 'ColdStartBenchmark', {
    testCases: [stack],
    // Deploy from scratch only: the snapshot keeps no assets (the built driver and function are not committed).
    stackUpdateWorkflow: false,
  });
  expectInvocation(integ, stack.benchmark.driver, {}, {
    complete: true,
    coldStartsPerFunction: INTEG_COLD_STARTS,
    functions: Match.arrayWith([Match.objectLike({ runtime: 'provided.al2023', coldStarts: INTEG_COLD_STARTS })]),
  });
  return integ;
}

if (require.main === module) {
  const app = new App();
  coldStartBenchmarkInteg(app);
  app.synth();
}
