import * as path from 'path';
import { Annotations, CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LlrtFunction, LlrtFunctionProps } from '../lib';

/** Where the sample LLRT handlers live. */
export const LLRT_HANDLERS = path.join(__dirname, '..', 'llrt-handlers');

/** A stand-in bootstrap (a shell script that fails at init), used only when LLRT_PLACEHOLDER_BOOTSTRAP=1. */
export const PLACEHOLDER_BOOTSTRAP = path.join(__dirname, 'llrt-placeholder', 'bootstrap');

/** Environment variables the sample reads at synth. */
export const SAMPLE_ENV = {
  /** A local LLRT binary for arm64, standard SDK: llrt-lambda-arm64.zip or the bootstrap inside it. */
  binaryPath: 'LLRT_BINARY_PATH',
  /** `1`: synthesize with PLACEHOLDER_BOOTSTRAP when no binary is given (for offline checks; never deploy it). */
  placeholder: 'LLRT_PLACEHOLDER_BOOTSTRAP',
} as const;

export interface LlrtSamplesProps {
  /**
   * The LLRT binary (arm64, standard SDK) for all three functions.
   *
   * @default - $LLRT_BINARY_PATH; else the placeholder when LLRT_PLACEHOLDER_BOOTSTRAP=1; else downloaded (pinned
   * version, checked against samples/llrt.lock.json)
   */
  readonly llrtBinaryPath?: string;
}

/**
 * The LLRT samples: `hello` (arm64, the default), `http` behind a Function URL with IAM auth, and `dynamodb`, a
 * visit counter with its table and a grant for the one action it uses. All run on the standard arm64 binary, so one
 * local binary serves them all when the app is synthesized offline.
 */
export class LlrtSamples extends Construct {
  public readonly hello: LlrtFunction;
  public readonly http: LlrtFunction;
  public readonly httpUrl: lambda.FunctionUrl;
  public readonly counter: LlrtFunction;
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: LlrtSamplesProps = {}) {
    super(scope, id);

    const placeholder = props.llrtBinaryPath === undefined && !process.env[SAMPLE_ENV.binaryPath] &&
      ['1', 'true'].includes((process.env[SAMPLE_ENV.placeholder] ?? '').toLowerCase());
    const common: Partial<LlrtFunctionProps> = {
      llrtBinaryPath: props.llrtBinaryPath ?? (process.env[SAMPLE_ENV.binaryPath] || (placeholder ? PLACEHOLDER_BOOTSTRAP : undefined)),
      // Next to this file, whatever directory `cdk synth` runs in; commit it.
      llrtLockFile: path.join(__dirname, 'llrt.lock.json'),
    };
    if (placeholder) {
      Annotations.of(this).addWarningV2('rustacean-lambda:samples-placeholder',
        `${SAMPLE_ENV.placeholder}=1: the LLRT functions hold a placeholder instead of LLRT's bootstrap and fail at init; ` +
        `this synth is for inspection only, do not deploy it (set ${SAMPLE_ENV.binaryPath} or synthesize with network access)`);
    }

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
    } catch (e) {
      throw new Error(`${(e as Error).message}\nsample app: set ${SAMPLE_ENV.binaryPath} to a local llrt-lambda-arm64.zip ` +
        `(or the bootstrap inside it), or set ${SAMPLE_ENV.placeholder}=1 to synthesize with a placeholder that must not be deployed`,
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
