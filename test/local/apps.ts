/**
 * Small CDK apps for the local host's tests, synthesized into temporary cloud assemblies.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { CliIo, run } from '../../lib/local/cli';
import { RUST_HANDLERS } from '../support/rust';

export const LOCAL_FIXTURES = path.join(__dirname, 'fixtures');
export const PYTHON_HANDLERS = path.join(LOCAL_FIXTURES, 'functions', 'python');
export const NODE_HANDLERS = path.join(LOCAL_FIXTURES, 'functions', 'node');

/** What `cdk synth` adds to the context, so resources carry `aws:cdk:path` and `aws:asset:path` metadata. */
export const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rl-local-${prefix}-`));
}

/**
 * A layer folder: `bootstrap` (an exec wrapper that marks the environment and runs its arguments),
 * `extensions/fake-extension` (the test extension) and `python/layer_util.py`.
 */
export function makeLayer(): string {
  const dir = tempDir('layer');
  fs.mkdirSync(path.join(dir, 'extensions'));
  fs.mkdirSync(path.join(dir, 'python'));
  fs.writeFileSync(path.join(dir, 'bootstrap'), '#!/bin/sh\nexport WRAPPED_BY="layer bootstrap"\nexec "$@"\n', { mode: 0o755 });
  fs.copyFileSync(path.join(LOCAL_FIXTURES, 'fake-extension.js'), path.join(dir, 'extensions', 'fake-extension'));
  fs.chmodSync(path.join(dir, 'extensions', 'fake-extension'), 0o755);
  fs.writeFileSync(path.join(dir, 'python', 'layer_util.py'), 'VALUE = "from the layer"\n');
  return dir;
}

/** The Rust `hello` of rust-handlers, really built (cached in rust-handlers/target/rustacean-lambda); x86_64 unless asked. */
export function synthRustHello(context: Record<string, unknown> = CLI_CONTEXT, architecture = lambda.Architecture.X86_64): string {
  CargoLambdaBuild.reset();
  const outdir = tempDir('rust-out');
  const app = new App({ outdir, context });
  const stack = new Stack(app, 'LocalRust');
  new RustFunction(stack, 'Hello', {
    manifestPath: RUST_HANDLERS,
    binaryName: 'hello',
    architecture,
    environment: { GREETING_STYLE: 'plain' },
  });
  app.synth();
  return outdir;
}

/** Python and Node.js functions, one with a layer (wrapper + extension), an external layer and a deploy-time variable. */
export function synthScripted(context: Record<string, unknown> = CLI_CONTEXT): string {
  const outdir = tempDir('scripted-out');
  const app = new App({ outdir, context });
  const stack = new Stack(app, 'LocalScripted');
  const bucket = new s3.Bucket(stack, 'Bucket');
  const layerDir = makeLayer();
  const layer = new lambda.LayerVersion(stack, 'Tools', { code: lambda.Code.fromAsset(layerDir) });
  new lambda.Function(stack, 'PyHello', {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: 'hello.handler',
    code: lambda.Code.fromAsset(PYTHON_HANDLERS),
  });
  new lambda.Function(stack, 'PyLayered', {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: 'hello.describe',
    code: lambda.Code.fromAsset(PYTHON_HANDLERS),
    memorySize: 256,
    layers: [layer, lambda.LayerVersion.fromLayerVersionArn(stack, 'External', 'arn:aws:lambda:us-east-1:123456789012:layer:elsewhere:3')],
    environment: {
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap',
      GREETING: 'hi',
      BUCKET: bucket.bucketName,
      REGION_NAME: stack.region,
    },
  });
  new lambda.Function(stack, 'NodeHello', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(NODE_HANDLERS),
  });
  new lambda.Function(stack, 'NodeInline', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async (event) => ({ inline: true, event });'),
  });
  app.synth();
  fs.rmSync(layerDir, { recursive: true, force: true }); // staged into the assembly
  return outdir;
}

/** What one in-process run of the `rustacean-lambda` CLI printed, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `rustacean-lambda` CLI in-process with these arguments (and `stdin` as its standard input). */
export async function runCli(args: string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: t => { stdout += t; }, stderr: t => { stderr += t; }, stdin: async () => stdin };
  const code = await run(args, io);
  return { code, stdout, stderr };
}
