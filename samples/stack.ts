import * as path from 'path';
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { RustFunction } from '../lib';
import { LlrtSamples } from './llrt';
import { suppressBasicExecutionRole } from './nag';
import { addWebAdapterSamples, WebAdapterSamples } from './web-adapter';

/** Where the sample Rust handlers live (a Cargo workspace). */
export const RUST_HANDLERS = path.join(__dirname, '..', 'rust-handlers');

/**
 * The sample stack: every construct of the library with the sample handlers of this repository.
 * `cdk synth` builds the real functions; `cdk deploy` deploys them.
 */
export class SampleStack extends Stack {
  /** `hello`: JSON in, JSON out, on arm64 (the default). */
  public readonly hello: RustFunction;
  /** `http-api`: a small JSON API on x86_64 behind a Function URL with IAM auth. */
  public readonly httpApi: RustFunction;
  public readonly httpApiUrl: lambda.FunctionUrl;
  /** LLRT: hello, an HTTP handler behind a Function URL, and a DynamoDB visit counter (all arm64). */
  public readonly llrt: LlrtSamples;
  /** Web Adapter: Flask (arm64, adapter layer built from source) and Express (x86_64, AWS's layer). */
  public readonly webAdapter: WebAdapterSamples;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    this.hello = new RustFunction(this, 'Hello', {
      manifestPath: RUST_HANDLERS,
      binaryName: 'hello',
      description: 'Rust hello handler (arm64)',
    });

    this.httpApi = new RustFunction(this, 'HttpApi', {
      manifestPath: RUST_HANDLERS,
      binaryName: 'http-api',
      architecture: lambda.Architecture.X86_64,
      description: 'Rust JSON API behind a Function URL (x86_64)',
    });
    this.httpApiUrl = this.httpApi.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    suppressBasicExecutionRole([this.hello, this.httpApi]);

    new CfnOutput(this, 'HelloFunctionName', { value: this.hello.functionName });
    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApiUrl.url });

    this.llrt = new LlrtSamples(this, 'Llrt');
    this.webAdapter = addWebAdapterSamples(this);
  }
}
