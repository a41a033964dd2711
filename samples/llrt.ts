import * as path from 'path';
import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { suppressBasicExecutionRole } from './nag';
import { LlrtBinary, LlrtFunction, LlrtFunctionProps } from '../lib';

/** Where the sample LLRT handlers live. */
export const LLRT_HANDLERS = path.join(__dirname, '..', 'llrt-handlers');

/** Environment variables the sample reads at synth. */
export const SAMPLE_ENV = {
  /** A local LLRT release binary for arm64, standard SDK: llrt-lambda-arm64.zip or the bootstrap inside it. */
  binaryPath: 'LLRT_BINARY_PATH',
} as const;

/**
 * The LLRT binary of the samples: the release file in $LLRT_BINARY_PATH when it is set (standard SDK), else LLRT
 * built from its source on crates.io (no SDK: the DynamoDB client is bundled).
 */
export function sampleLlrtBinary(): LlrtBinary {
  const file = process.env[SAMPLE_ENV.binaryPath];
  return file ? LlrtBinary.fromFile(file) : LlrtBinary.fromSource();
}

export interface LlrtSamplesProps {
  /**
   * The LLRT binary (arm64) of all three functions.
   *
   * @default - sampleLlrtBinary(): $LLRT_BINARY_PATH, else built from crates.io
   */
  readonly llrtBinary?: LlrtBinary;
}

/**
 * The LLRT samples: `hello` (arm64, the default), `http` behind a Function URL with IAM auth, and `dynamodb`, a
 * visit counter with its table and a grant for the one action it uses. All run on the same arm64 binary, so one
 * binary, downloaded, built or given, serves them all.
 */
export class LlrtSamples extends Construct {
  public readonly hello: LlrtFunction;
  public readonly http: LlrtFunction;
  public readonly httpUrl: lambda.FunctionUrl;
  public readonly counter: LlrtFunction;
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: LlrtSamplesProps = {}) {
    super(scope, id);

    const common: Partial<LlrtFunctionProps> = { llrtBinary: props.llrtBinary ?? sampleLlrtBinary() };

    try {
      this.hello = new LlrtFunction(this, 'Hello', {
        ...common,
        entry: path.join(LLRT_HANDLERS, 'hello.ts'),
        description: 'LLRT hello handler (arm64)',
      });

      this.http = new LlrtFunction(this, 'Http', {
        ...common,
        entry: path.join(LLRT_HANDLERS, 'http.ts'),
        description: 'LLRT JSON API behind a Function URL (arm64)',
      });
      this.httpUrl = this.http.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

      this.table = new dynamodb.Table(this, 'Visits', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        // Restorable to any second of the last 35 days (cdk-nag AwsSolutions-DDB3), at a few cents per GB-month.
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.DESTROY, // a sample: `cdk destroy` removes it
      });
      this.counter = new LlrtFunction(this, 'Counter', {
        ...common,
        entry: path.join(LLRT_HANDLERS, 'dynamodb.ts'),
        description: 'LLRT DynamoDB visit counter (arm64, SDK from the runtime)',
        environment: { TABLE_NAME: this.table.tableName },
      });
      // Least privilege: the handler only ever calls UpdateItem.
      this.table.grant(this.counter, 'dynamodb:UpdateItem');
      suppressBasicExecutionRole([this.hello, this.http, this.counter]);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nsample app: set ${SAMPLE_ENV.binaryPath} to a local llrt-lambda-arm64.zip ` +
        '(or the bootstrap inside it), or install what the source build needs (Rust, cargo-lambda and zig: npm run setup)',
      { cause: e });
    }

    new CfnOutput(this, 'HelloFunctionName', { value: this.hello.functionName });
    new CfnOutput(this, 'HttpUrl', { value: this.httpUrl.url });
    new CfnOutput(this, 'CounterFunctionName', { value: this.counter.functionName });
  }
}

/** Adds the LLRT samples to a stack (or any scope). */
export function addLlrtSamples(scope: Construct, props: LlrtSamplesProps = {}): LlrtSamples {
  return new LlrtSamples(scope, 'Llrt', props);
}
