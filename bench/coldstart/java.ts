/**
 * The Java rows of the cold-start comparison app (bench/coldstart/app.ts): the hello sample and the real workload
 * (one DynamoDB PutItem and one GetItem through the AWS SDK for Java v2), both `java21` on x86_64 with 128 MB like
 * the other rows. The local host runs them on the closest local JDK at or above 21 (Temurin 25 on our machines),
 * which the row's label names, with the official Java runtime interface client.
 *
 * The hello handler is compiled with the local `javac` at synth (samples/coldstart.ts's `javaCode`); the DynamoDB one
 * is a small Maven module built at synth into Lambda's zip layout and cached by a hash of its sources
 * (samples/java-maven.ts).
 */
import * as path from 'path';
import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { RowDefinition } from './app';
import { findJdk } from '../../lib/local';
import { javaCode } from '../../samples/coldstart';
import { javaMavenCode } from '../../samples/java-maven';

const COLDSTART_SAMPLES = path.join(__dirname, '..', '..', 'samples', 'coldstart');
/** The Java hello sample (no dependencies). */
export const JAVA_HELLO = path.join(COLDSTART_SAMPLES, 'java');
/** The Java real-workload handler: a Maven module (AWS SDK for Java v2, DynamoDB). */
export const JAVA_DYNAMODB = path.join(COLDSTART_SAMPLES, 'java-dynamodb');
/** Its Lambda handler. */
export const JAVA_DYNAMODB_HANDLER = 'bench.DynamoDbHandler::handleRequest';
/**
 * The table the real-workload rows write to (partition key `pk`, a string), which the bench creates in its local
 * moto_server; the same name as the other runtimes' DynamoDB rows.
 */
export const JAVA_BENCH_TABLE = 'rustacean-lambda-bench';

/** The ids of the Java rows, in the table's order. */
export const JAVA_ROW_IDS = ['java-hello', 'java-dynamodb'];

/**
 * lambda-perf's Java figures (2026-08-22, zip, 128 MB, Init Duration on x86_64; arm64: java21 254 ms, java25 179 ms).
 * The brief has no memory figure for Java: left undefined, shown as unknown.
 */
export const JAVA_LAMBDA_PERF_X86_64: Record<string, { initMs: number; memoryMb?: number; warmMs?: number }> = {
  java21: { initMs: 242 },
  java25: { initMs: 185 },
};

/** A Java row: the app's row definition plus what the real-workload rows need from the bench. */
export type JavaRowDefinition = RowDefinition & {
  /** What the function does, as the chart names the workloads. */
  readonly workload?: string;
  /** The function calls AWS: the bench runs it against a local moto_server, its endpoint in the environment. */
  readonly localAws?: boolean;
};

/** `Java 21 <what>, on Temurin 25.0.3` (the JDK the local host picks for java21), or without the JDK when there is none. */
function label(what: string): string {
  try {
    return `Java 21 ${what}, on ${findJdk('java21', 21).description}`;
  } catch {
    return `Java 21 ${what}`;
  }
}

/** The Java rows (x86_64, 128 MB, java21). */
export function javaRows(): JavaRowDefinition[] {
  const common = { runtime: lambda.Runtime.JAVA_21, architecture: lambda.Architecture.X86_64, memorySize: 128 };
  return [
    {
      id: 'java-hello',
      label: label('hello'),
      reference: 'java21',
      event: { name: 'Ferris' },
      workload: 'hello',
      add: (stack: Stack, id: string) => new lambda.Function(stack, id, {
        ...common,
        handler: 'hello.Hello::handleRequest',
        code: javaCode(JAVA_HELLO),
      }),
    },
    {
      id: 'java-dynamodb',
      label: label('DynamoDB'),
      event: { id: 'bench-1' },
      workload: 'DynamoDB PutItem + GetItem',
      localAws: true,
      add: (stack: Stack, id: string) => new lambda.Function(stack, id, {
        ...common,
        handler: JAVA_DYNAMODB_HANDLER,
        code: javaMavenCode(JAVA_DYNAMODB),
        environment: { TABLE_NAME: JAVA_BENCH_TABLE },
      }),
    },
  ];
}
