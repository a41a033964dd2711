import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { fakeElf, RecordedBuild } from './rust';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { LocalFunction, startFunction } from '../../lib/local/process';
import type { RuntimeApiServer } from '../../lib/local/runtime-api';
import { ADAPTER_BINARY } from '../../lib/web-adapter/adapter-build';
import { DockerEngine } from '../../lib/web-adapter/app-bundling';

export const WEB_SAMPLES = path.join(__dirname, '..', '..', 'samples', 'web-adapter');
export const FLASK_APP = path.join(WEB_SAMPLES, 'flask');
export const EXPRESS_APP = path.join(WEB_SAMPLES, 'express');

/** A throwaway folder that `cleanup()` removes. */
/**
 * Registers hooks that reset the build stub and the Docker probe around each test (Docker reported absent) and
 * remove the temporary folders a test added to the returned list.
 */
export function useCleanBuildState(): string[] {
  const owned: string[] = [];
  beforeEach(() => {
    CargoLambdaBuild.reset();
    DockerEngine.reset(false);
  });
  afterEach(() => {
    CargoLambdaBuild.reset();
    DockerEngine.reset();
    for (const dir of owned.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return owned;
}

export function tempDir(prefix: string, owned: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rl-wa-${prefix}-`));
  owned.push(dir);
  return dir;
}

/**
 * A cache folder that already holds a stand-in for the adapter's crate, so `WebAdapterLayer.fromSource` plans its
 * build without fetching anything (cargo metadata --no-deps reads it offline); pair with `stubBuild`.
 */
export function fakeAdapterCache(owned: string[], version = '1.0.0-rc1'): string {
  const cache = tempDir('cache', owned);
  const crate = path.join(cache, 'web-adapter', version, 'lambda_web_adapter');
  fs.mkdirSync(path.join(crate, 'src'), { recursive: true });
  fs.writeFileSync(path.join(crate, 'Cargo.toml'), [
    '[package]', 'name = "lambda_web_adapter"', `version = "${version}"`, 'edition = "2021"', '',
    '[[bin]]', `name = "${ADAPTER_BINARY}"`, 'path = "src/main.rs"', '', '[workspace]', '',
  ].join('\n'));
  fs.writeFileSync(path.join(crate, 'src', 'main.rs'), 'fn main() {}\n');
  fs.writeFileSync(path.join(crate, '.rustacean-lambda-source'), 'stand-in for tests\n');
  return cache;
}

/**
 * Replaces cargo-lambda with a stub that records each call and writes a fake `extensions/lambda-adapter` for the
 * architecture of `--target <triple>[.<glibc>]` (or `--arm64`/`--x86-64`) into `--lambda-dir`.
 */
export function stubAdapterBuild(): RecordedBuild[] {
  const calls: RecordedBuild[] = [];
  CargoLambdaBuild.executor = (_command, args, env, cwd) => {
    calls.push({ args, env, cwd });
    const lambdaDir = args[args.indexOf('--lambda-dir') + 1];
    const target = args.includes('--target') ? args[args.indexOf('--target') + 1] : '';
    const arch = args.includes('--arm64') || target.startsWith('aarch64') ? 'arm64' : 'x86_64';
    const file = path.join(lambdaDir, 'extensions', ADAPTER_BINARY);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat([fakeElf(arch), Buffer.from('fake lambda-adapter')]));
    return { status: 0, stderr: '' };
  };
  return calls;
}

/** A minimal web app folder: a start script (CRLF and a BOM when asked) and an optional fake `bootstrap`. */
export function fakeApp(owned: string[], options: { script?: string; crlf?: boolean; bootstrapFor?: 'arm64' | 'x86_64' } = {}): string {
  const dir = tempDir('app', owned);
  let script = options.script ?? '#!/bin/bash\nexec python3 app.py\n';
  if (options.crlf) script = `\ufeff${script.replace(/\n/g, '\r\n')}`;
  fs.writeFileSync(path.join(dir, 'run.sh'), script, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'app.py'), 'print("hello")\n');
  if (options.bootstrapFor) fs.writeFileSync(path.join(dir, 'bootstrap'), fakeElf(options.bootstrapFor), { mode: 0o644 });
  return dir;
}

/** The staged asset folder behind a function's or layer's code, in a synthesized app. */
export function assetDir(app: App, resource: lambda.CfnFunction | lambda.CfnLayerVersion): string {
  const stack = Stack.of(resource);
  const code = stack.resolve(resource instanceof lambda.CfnFunction ? resource.code : resource.content) as { s3Key: string };
  return path.join(app.outdir, `asset.${code.s3Key.replace('.zip', '')}`);
}

/** A file's permission bits as octal text, e.g. '755'. */
export function modeOf(file: string): string {
  return fs.statSync(file).mode.toString(8).slice(-3);
}

/** Docker reported absent, as on the machines the benchmarks run on: every app is bundled on this machine. */
export function withoutDocker(): void {
  DockerEngine.reset(false);
}

/** A free TCP port on 127.0.0.1 (freed again before it is returned). */
export { freePort } from '../../lib/core/process';

/** The directory of the real Python executable behind `python3` (pyenv shims need more than PATH). */
export function pythonBinDir(): string {
  return path.dirname(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf-8' }).trim());
}

/** An API Gateway HTTP API (payload 2.0) event, as Lambda delivers it. */
export function httpApiEvent(method: string, rawPath: string, options: {
  query?: string; headers?: Record<string, string>; body?: string; cookies?: string[];
} = {}): Record<string, unknown> {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: options.query ?? '',
    cookies: options.cookies,
    headers: { 'host': 'abc123.execute-api.us-east-1.amazonaws.com', 'user-agent': 'rustacean-lambda-test', ...(options.headers ?? {}) },
    queryStringParameters: options.query
      ? Object.fromEntries(options.query.split('&').map(kv => kv.split('=') as [string, string]))
      : undefined,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'rustacean-lambda-test' },
      requestId: 'test-request',
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: options.body,
    isBase64Encoded: false,
  };
}

/** An SQS event with the given message bodies. */
export function sqsEvent(bodies: string[]): Record<string, unknown> {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `00000000-0000-4000-8000-00000000000${i}`,
      receiptHandle: `handle-${i}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: '0'.repeat(32),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
      awsRegion: 'us-east-1',
    })),
  };
}

/** The response an HTTP API gets from the function. */
export interface HttpApiResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
  readonly cookies?: string[];
}

/**
 * Runs a function's staged web app with the adapter layer's real files, the way Lambda does on a managed runtime
 * with `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`: the layer's `extensions/lambda-adapter` as an external extension,
 * and the layer's `bootstrap` wrapper as the runtime process, which runs `${LAMBDA_TASK_ROOT}/${_HANDLER}` (the
 * app's start script). Nothing is written to /opt. `environment` is the function's environment from the template.
 */
export function startWebApp(options: {
  layerDir: string;
  appDir: string;
  handler: string;
  environment: Record<string, string>;
  extraPath?: string[];
  extraEnv?: Record<string, string>;
  initTimeoutMs?: number;
  onServer?: (server: RuntimeApiServer) => void;
  onOutput?: (label: string, stream: 'stdout' | 'stderr', chunk: string) => void;
}): Promise<LocalFunction> {
  const { AWS_LAMBDA_EXEC_WRAPPER: _wrapper, ...environment } = options.environment;
  return startFunction({
    bootstrap: path.join(options.layerDir, 'bootstrap'),
    handler: options.handler,
    cwd: options.appDir,
    extensions: [path.join(options.layerDir, 'extensions', ADAPTER_BINARY)],
    env: {
      ...environment,
      PATH: [...(options.extraPath ?? []), process.env.PATH ?? '/usr/bin:/bin'].join(path.delimiter),
      HOME: os.tmpdir(),
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
      ...(options.extraEnv ?? {}),
    },
    initTimeoutMs: options.initTimeoutMs ?? 30_000,
    stopGraceMs: 3_000,
    onServer: options.onServer,
    onOutput: options.onOutput,
  });
}

/** The function's environment variables as synthesized. */
export function functionEnvironment(fn: lambda.Function): Record<string, string> {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const env = Stack.of(fn).resolve(cfn.environment) as { variables?: Record<string, string> } | undefined;
  return env?.variables ?? {};
}
