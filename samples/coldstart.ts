import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CfnOutput, DockerImage, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { javaMavenCode } from './java-maven';
import { LLRT_HANDLERS, sampleLlrtBinary } from './llrt';
import { suppressBasicExecutionRole, suppressColdStartBenchmark } from './nag';
import { RUST_HANDLERS } from './stack';
import { BenchmarkWorkload, ColdStartBenchmark, LlrtBinary, LlrtFunction, RustFunction } from '../lib';

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
   * Include the real-workload variant of each runtime (one DynamoDB PutItem and GetItem per invoke, through that
   * runtime's AWS SDK, the client created at Init) and the table the benchmark creates for them.
   *
   * @default true
   */
  readonly workload?: boolean;

  /**
   * Include the Java hello function with SnapStart, measured by a second benchmark through published versions
   * (Restore Duration instead of Init Duration). Needs `java`.
   *
   * @default true
   */
  readonly snapStart?: boolean;

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
 * Java 21 (all arm64, 128 MB, zip packages), the same real workload on each (DynamoDB PutItem + GetItem in a table
 * the benchmark creates), plus a `ColdStartBenchmark` that forces 10 cold starts of each; and the Java hello with
 * SnapStart, measured through published versions by a second benchmark.
 *
 * After `cdk deploy`, run `aws lambda invoke --function-name <DriverFunctionName> summary.json`; the summary is
 * also stored in the results bucket under `coldstart/`.
 */
export class ColdStartSampleStack extends Stack {
  /** The measured functions, by runtime label. */
  public readonly functions: { [runtime: string]: lambda.IFunction } = {};
  public readonly benchmark: ColdStartBenchmark;
  /** The benchmark of the SnapStart function (through published versions), when there is one. */
  public readonly snapStartBenchmark?: ColdStartBenchmark;

  constructor(scope: Construct, id: string, props: ColdStartSampleStackProps = {}) {
    super(scope, id, props);
    // 128 MB as lambda-perf measures; a timeout well above Lambda's default 3 s, which a cold Java SDK call at 128 MB
    // (a fraction of a vCPU) can pass: a timed-out invoke would count as an error with a Duration of 3000 ms.
    const common = { architecture: lambda.Architecture.ARM_64, memorySize: 128, timeout: Duration.seconds(30) };

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
      code: lambda.Code.fromAsset(path.join(COLDSTART_HANDLERS, 'python'), { exclude: ['dynamodb.py'] }),
      description: 'Cold-start sample: Python 3.12 hello',
    });

    const nodeRuntime = props.nodeRuntime ?? lambda.Runtime.NODEJS_24_X;
    const node = new lambda.Function(this, 'NodeHello', {
      ...common,
      runtime: nodeRuntime,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(COLDSTART_HANDLERS, 'node'), { exclude: ['dynamodb.mjs'] }),
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

    // The real workload: the same PutItem + GetItem on each runtime, in the table the benchmark creates (each of
    // these functions may put and get items there, nothing else). Each package holds only its own handler.
    const workload: lambda.IFunction[] = [];
    if (props.workload ?? true) {
      this.functions.rustDynamoDb = new RustFunction(this, 'RustDynamoDb', {
        ...common,
        // A workspace of its own inside rust-handlers/ (see its Cargo.toml), so the SDK stays out of the hello's build.
        manifestPath: path.join(RUST_HANDLERS, 'dynamodb'),
        binaryName: 'dynamodb',
        description: 'Cold-start sample: Rust DynamoDB PutItem + GetItem (aws-sdk-dynamodb)',
      });
      this.functions.llrtDynamoDb = new LlrtFunction(this, 'LlrtDynamoDb', {
        ...common,
        entry: path.join(LLRT_HANDLERS, 'put-get.ts'),
        llrtBinary: props.llrtBinary ?? sampleLlrtBinary(),
        description: 'Cold-start sample: LLRT DynamoDB PutItem + GetItem (SDK v3 bundled)',
      });
      this.functions.pythonDynamoDb = new lambda.Function(this, 'PythonDynamoDb', {
        ...common,
        runtime: lambda.Runtime.PYTHON_3_12,
        handler: 'dynamodb.handler',
        code: lambda.Code.fromAsset(path.join(COLDSTART_HANDLERS, 'python'), { exclude: ['*', '!dynamodb.py'] }),
        description: 'Cold-start sample: Python 3.12 DynamoDB PutItem + GetItem (boto3 of the runtime)',
      });
      this.functions.nodeDynamoDb = new lambda.Function(this, 'NodeDynamoDb', {
        ...common,
        runtime: nodeRuntime,
        handler: 'dynamodb.handler',
        code: lambda.Code.fromAsset(path.join(COLDSTART_HANDLERS, 'node'), { exclude: ['*', '!dynamodb.mjs'] }),
        description: `Cold-start sample: ${nodeRuntime.name} DynamoDB PutItem + GetItem (SDK v3 of the runtime)`,
      });
      if (props.java ?? true) {
        this.functions.javaDynamoDb = new lambda.Function(this, 'JavaDynamoDb', {
          ...common,
          runtime: lambda.Runtime.JAVA_21,
          handler: 'bench.DynamoDbHandler::handleRequest',
          code: javaMavenCode(path.join(COLDSTART_HANDLERS, 'java-dynamodb')),
          description: 'Cold-start sample: Java 21 DynamoDB PutItem + GetItem (SDK v2, url-connection client)',
        });
      }
      workload.push(...['rustDynamoDb', 'llrtDynamoDb', 'pythonDynamoDb', 'nodeDynamoDb', 'javaDynamoDb']
        .map(key => this.functions[key]).filter(f => f !== undefined));
    }

    this.benchmark = new ColdStartBenchmark(this, 'Benchmark', {
      functions: Object.values(this.functions),
      schedule: props.schedule,
      workload: workload.length > 0 ? BenchmarkWorkload.dynamoDb({ functions: workload }) : undefined,
    });
    const benchmarks = [this.benchmark];

    // SnapStart applies to published versions only: a second benchmark measures the Java hello through a version
    // per round (Restore Duration), 5 rounds (publishing takes longer than an update), into the same bucket.
    if ((props.java ?? true) && (props.snapStart ?? true)) {
      const snap = new lambda.Function(this, 'JavaHelloSnapStart', {
        ...common,
        runtime: lambda.Runtime.JAVA_21,
        handler: 'hello.Hello::handleRequest',
        code: javaCode(path.join(COLDSTART_HANDLERS, 'java')),
        snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS,
        description: 'Cold-start sample: Java 21 hello with SnapStart',
      });
      this.functions.javaSnapStart = snap;
      // A published version at deploy (cfn-lint W2530: SnapStart without a version does nothing): callers other than
      // the benchmark, which publishes its own each round, invoke this one.
      new CfnOutput(this, 'JavaSnapStartVersionArn', { value: snap.currentVersion.functionArn });
      this.snapStartBenchmark = new ColdStartBenchmark(this, 'SnapStartBenchmark', {
        functions: [snap],
        coldStarts: 5,
        bucket: this.benchmark.bucket,
        prefix: 'coldstart-snapstart/',
        schedule: props.schedule,
      });
      benchmarks.push(this.snapStartBenchmark);
    }

    // cdk-nag (AwsSolutions): what the checks flag here, and why it stays.
    suppressBasicExecutionRole([...Object.values(this.functions), ...benchmarks.map(b => b.driver)]);
    const fns = this.functions;
    const pinned = [fns.python, fns.pythonDynamoDb, fns.java, fns.javaDynamoDb, fns.javaSnapStart];
    for (const fn of pinned.filter(f => f !== undefined)) {
      NagSuppressions.addResourceSuppressions(fn, [{
        id: 'AwsSolutions-L1',
        reason: 'The comparison pins the runtime versions it measures (Python 3.12, Java 21) so that runs stay ' +
          'comparable over time. Both are supported Lambda runtimes that AWS still patches (deprecation 2028-10-31 ' +
          "and 2029-06-30 in the pinned cfn-lint's lifecycle data; test/repo/runtimes.test.ts fails the build once a " +
          'date has passed); the hello functions touch no data, the DynamoDB ones only the benchmark\'s own table.',
      }]);
    }
    for (const benchmark of benchmarks) suppressColdStartBenchmark(benchmark);

    new CfnOutput(this, 'DriverFunctionName', { value: this.benchmark.driver.functionName });
    if (this.snapStartBenchmark) {
      new CfnOutput(this, 'SnapStartDriverFunctionName', { value: this.snapStartBenchmark.driver.functionName });
    }
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
