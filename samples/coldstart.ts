import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CfnOutput, DockerImage, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { LLRT_HANDLERS, sampleLlrtBinary } from './llrt';
import { suppressBasicExecutionRole, suppressColdStartBenchmark } from './nag';
import { RUST_HANDLERS } from './stack';
import { ColdStartBenchmark, LlrtBinary, LlrtFunction, RustFunction } from '../lib';

/** The hello handlers of the other runtimes. */
export const COLDSTART_HANDLERS = path.join(__dirname, 'coldstart');

export interface ColdStartSampleStackProps extends StackProps {
  /**
   * Include the Java 21 function. Its handler is compiled with the local `javac` (JDK 17 or newer) at synth.
   *
   * @default true
   */
  readonly java?: boolean;

  /**
   * The LLRT binary (arm64) of the LLRT hello function.
   *
   * @default - $LLRT_BINARY_PATH (a release zip or its bootstrap), else built from crates.io
   */
  readonly llrtBinary?: LlrtBinary;

  /**
   * The runtime of the Node.js hello function: the newest Node.js Lambda supports (cfn-lint names nodejs24.x as
   * the successor of the deprecated Node.js 20 runtime, which the talk and LLRT's own figures compared against).
   *
   * @default lambda.Runtime.NODEJS_24_X
   */
  readonly nodeRuntime?: lambda.Runtime;

  /**
   * Run the benchmark automatically.
   *
   * @default - no schedule: invoke the driver by hand
   */
  readonly schedule?: events.Schedule;
}

/**
 * The talk's comparison in your own account: the same hello function on Rust, LLRT, Python 3.12, Node.js 24 and
 * Java 21 (all arm64, 128 MB, zip packages), plus a `ColdStartBenchmark` that forces 10 cold starts of each.
 *
 * After `cdk deploy`, run `aws lambda invoke --function-name <DriverFunctionName> summary.json`; the summary is
 * also stored in the results bucket under `coldstart/`.
 */
export class ColdStartSampleStack extends Stack {
  /** The measured functions, by runtime label. */
  public readonly functions: { [runtime: string]: lambda.IFunction } = {};
  public readonly benchmark: ColdStartBenchmark;

  constructor(scope: Construct, id: string, props: ColdStartSampleStackProps = {}) {
    super(scope, id, props);
    const common = { architecture: lambda.Architecture.ARM_64, memorySize: 128 };

    this.functions.rust = new RustFunction(this, 'RustHello', {
      ...common,
      manifestPath: RUST_HANDLERS,
      binaryName: 'hello',
      description: 'Cold-start sample: Rust hello (provided.al2023)',
    });

    this.functions.llrt = new LlrtFunction(this, 'LlrtHello', {
      ...common,
      entry: path.join(LLRT_HANDLERS, 'hello.ts'),
      llrtBinary: props.llrtBinary ?? sampleLlrtBinary(),
      description: 'Cold-start sample: LLRT hello (provided.al2023)',
    });

    this.functions.python = new lambda.Function(this, 'PythonHello', {
      ...common,
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'hello.handler',
      code: lambda.Code.fromAsset(path.join(COLDSTART_HANDLERS, 'python')),
      description: 'Cold-start sample: Python 3.12 hello',
    });

    const nodeRuntime = props.nodeRuntime ?? lambda.Runtime.NODEJS_24_X;
    const node = new lambda.Function(this, 'NodeHello', {
      ...common,
      runtime: nodeRuntime,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(COLDSTART_HANDLERS, 'node')),
      description: `Cold-start sample: ${nodeRuntime.name} hello`,
    });
    this.functions.node = node;

    if (props.java ?? true) {
      this.functions.java = new lambda.Function(this, 'JavaHello', {
        ...common,
        runtime: lambda.Runtime.JAVA_21,
        handler: 'hello.Hello::handleRequest',
        code: javaCode(path.join(COLDSTART_HANDLERS, 'java')),
        description: 'Cold-start sample: Java 21 hello (no SnapStart)',
      });
    }

    this.benchmark = new ColdStartBenchmark(this, 'Benchmark', {
      functions: Object.values(this.functions),
      schedule: props.schedule,
    });

    // cdk-nag (AwsSolutions): what the checks flag here, and why it stays.
    suppressBasicExecutionRole([...Object.values(this.functions), this.benchmark.driver]);
    for (const fn of [this.functions.python, this.functions.java].filter(f => f !== undefined)) {
      NagSuppressions.addResourceSuppressions(fn, [{
        id: 'AwsSolutions-L1',
        reason: 'The comparison pins the runtime versions it measures (Python 3.12, Java 21) so that runs stay ' +
          'comparable over time. Both are supported Lambda runtimes that AWS still patches (deprecation 2028-10-31 ' +
          "and 2029-06-30 in the pinned cfn-lint's lifecycle data; test/repo/runtimes.test.ts fails the build once a " +
          'date has passed), and these hello functions touch no data.',
      }]);
    }
    suppressColdStartBenchmark(this.benchmark);

    new CfnOutput(this, 'DriverFunctionName', { value: this.benchmark.driver.functionName });
    new CfnOutput(this, 'ResultsBucketName', { value: this.benchmark.bucket.bucketName });
  }
}

/**
 * A Java handler without dependencies (its sources under `<projectDir>/src`), compiled at synth with the local `javac`
 * into a folder of classes (Lambda runs a zip with the classes at its root). No build tool: the handler uses only
 * the JDK.
 */
export function javaCode(projectDir: string): lambda.AssetCode {
  const sources = listJavaSources(path.join(projectDir, 'src'));
  return lambda.Code.fromAsset(projectDir, {
    bundling: {
      // Required by the type; never pulled: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('rustacean-lambda/local-build-only'),
      local: {
        tryBundle(outputDir: string) {
          const result = spawnSync('javac', ['--release', '17', '-d', outputDir, ...sources], { encoding: 'utf-8' });
          if (result.error) {
            throw new Error(`cannot run javac for the Java hello sample (${result.error.message}); install a JDK 17 or ` +
              'newer, or pass java: false to ColdStartSampleStack');
          }
          if (result.status !== 0) {
            throw new Error(`javac failed for the Java hello sample (exit code ${result.status}):\n${result.stderr}`);
          }
          return true;
        },
      },
    },
  });
}

function listJavaSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listJavaSources(full);
    return entry.name.endsWith('.java') ? [full] : [];
  }).sort();
}
