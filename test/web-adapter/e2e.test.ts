import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { WebAdapterFunction, WebAdapterLayer, WebAdapterVersion } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { elfArchitecture } from '../../lib/core/elf';
import { findPython, forgetPython } from '../../lib/core/python';
import { LocalFunction } from '../../lib/local/process';
import { DockerEngine } from '../../lib/web-adapter/app-bundling';
import { compareVersions, newestGlibc } from '../support/elf';
import {
  assetDir, EXPRESS_APP, FLASK_APP, freePort, functionEnvironment, HttpApiResponse, httpApiEvent, modeOf,
  pythonBinDir, sqsEvent, startWebApp, tempDir,
} from '../support/web-adapter';

// End to end, locally, with the real adapter: the layer is built from crates.io with cargo-lambda (x86_64, and
// arm64 once), the Flask and Express samples are bundled by the construct (local pip / npm ci), and everything
// runs under the Lambda Runtime API + Extensions API host of lib/local on 127.0.0.1. The first run builds the
// adapter (minutes); later runs reuse ~/.cache/rustacean-lambda.
//
// The arm64 adapter is checked, not run: the adapter is a multi-threaded tokio program, and qemu-user 7.2 on our
// build machines hangs in the first pthread_create of any aarch64 program (a two-line C program included).
jest.setTimeout(45 * 60_000);

/** Managed runtimes before Python 3.12 / Node.js 20 run on Amazon Linux 2 (glibc 2.26): the layer must load there. */
const AL2_GLIBC = '2.26';
const STARTUP_DELAY_SECONDS = 1.5;

const owned: string[] = [];
const running: LocalFunction[] = [];
let app: App;
let flask: WebAdapterFunction;
let express: WebAdapterFunction;
let x86Layer: lambda.LayerVersion;
let arm64Layer: lambda.LayerVersion;

beforeAll(async () => {
  CargoLambdaBuild.reset();
  forgetPython();
  DockerEngine.reset(false); // the local pip path, whatever the machine has
  app = new App({ outdir: tempDir('e2e', owned) });
  const stack = new Stack(app, 'WebAdapterE2e', { env: { account: '123456789012', region: 'us-east-1' } });
  // The app runs on this machine's Python, so bundle for its version.
  const python = findPython().version;
  const layer = WebAdapterLayer.fromSource();
  flask = new WebAdapterFunction(stack, 'Flask', {
    appPath: FLASK_APP,
    runtime: new lambda.Runtime(`python${python}`, lambda.RuntimeFamily.PYTHON),
    architecture: lambda.Architecture.X86_64,
    adapterLayer: layer,
    port: await freePort(),
  });
  express = new WebAdapterFunction(stack, 'Express', {
    appPath: EXPRESS_APP,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.X86_64,
    adapterLayer: layer,
    port: await freePort(),
  });
  x86Layer = flask.adapter.layer as lambda.LayerVersion;
  arm64Layer = layer.bind(stack, lambda.Architecture.ARM_64) as lambda.LayerVersion;
});

afterAll(async () => {
  await Promise.all(running.splice(0).map(f => f.stop()));
  CargoLambdaBuild.reset();
  DockerEngine.reset();
  for (const dir of owned.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function layerDir(layer: lambda.LayerVersion): string {
  return assetDir(app, layer.node.defaultChild as lambda.CfnLayerVersion);
}

function appDir(fn: lambda.Function): string {
  return assetDir(app, fn.node.defaultChild as lambda.CfnFunction);
}

async function start(fn: WebAdapterFunction, layer: lambda.LayerVersion, extraEnv: Record<string, string> = {}): Promise<LocalFunction> {
  const local = await startWebApp({
    layerDir: layerDir(layer),
    appDir: appDir(fn),
    handler: 'run.sh',
    environment: functionEnvironment(fn),
    extraPath: [pythonBinDir()],
    extraEnv,
    initTimeoutMs: 120_000,
  });
  running.push(local);
  return local;
}

async function httpInvoke(local: LocalFunction, event: Record<string, unknown>): Promise<{ response: HttpApiResponse; requestId: string }> {
  const result = await local.invoke(event, { timeoutMs: 60_000 });
  if (!result.ok) throw new Error(`invocation failed: ${result.payload}\n${local.stderr().slice(-4000)}`);
  return { response: JSON.parse(result.payload) as HttpApiResponse, requestId: result.requestId };
}

describe('the layer built from source', () => {
  test('holds an x86_64 lambda-adapter that loads on Amazon Linux 2, and the bootstrap wrapper', () => {
    const dir = layerDir(x86Layer);
    expect(fs.readdirSync(dir).sort()).toEqual(['bootstrap', 'extensions']);
    const extension = `${dir}/extensions/lambda-adapter`;
    expect(elfArchitecture(extension)).toBe('x86_64');
    expect(compareVersions(newestGlibc(extension)!, AL2_GLIBC)).toBeLessThanOrEqual(0);
  });

  test('a release that is not on crates.io fails at synth with the published versions and leaves nothing in the cache', () => {
    const stack = new Stack(new App({ outdir: tempDir('missing', owned) }), 'Missing');
    const cache = tempDir('cache', owned);
    expect(() => new WebAdapterFunction(stack, 'Fn', {
      appPath: FLASK_APP,
      runtime: lambda.Runtime.PYTHON_3_12,
      bundling: { installDependencies: false },
      adapterLayer: WebAdapterLayer.fromSource({ version: WebAdapterVersion.of('0.0.0'), cacheDirectory: cache }),
    })).toThrow(/crates\.io has no lambda_web_adapter 0\.0\.0; published versions include .*1\.0\.0-rc1.*; choose one of them, e\.g\. WebAdapterLayer\.fromSource\(\{ version: WebAdapterVersion\.V1_0_0_RC1 \}\) \(the default\)$/);
    expect(fs.readdirSync(cache)).toEqual([]);
  });

  test('builds for arm64 too: an aarch64 lambda-adapter that loads on Amazon Linux 2', () => {
    const extension = `${layerDir(arm64Layer)}/extensions/lambda-adapter`;
    expect(elfArchitecture(extension)).toBe('arm64');
    expect(compareVersions(newestGlibc(extension)!, AL2_GLIBC)).toBeLessThanOrEqual(0);
  });
});

describe('Flask through the real adapter on a local Lambda host', () => {
  let local: LocalFunction;
  beforeAll(async () => {
    // The app sleeps before it listens: the adapter's readiness check must keep init (and so every invoke) waiting.
    local = await start(flask, x86Layer, { STARTUP_DELAY_SECONDS: String(STARTUP_DELAY_SECONDS) });
  });
  afterAll(() => local?.stop());

  test('the readiness check holds init until the app answers, then the first invoke succeeds', async () => {
    expect(local.initDurationMs).toBeGreaterThanOrEqual(STARTUP_DELAY_SECONDS * 1000);
    const { response } = await httpInvoke(local, httpApiEvent('GET', '/'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: 'hello from Flask behind the Lambda Web Adapter' });
    // The adapter registered as the extension `lambda-adapter` (with no events), as on Lambda.
    expect(local.server.extensions.map(e => ({ name: e.name, events: e.events }))).toEqual([{ name: 'lambda-adapter', events: [] }]);
  });

  test('an HTTP API v2 event returns the app\'s status, headers and body', async () => {
    const { response, requestId } = await httpInvoke(local, httpApiEvent('GET', '/hello/lambda', { query: 'lang=en' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-served-by']).toBe('flask');
    expect(JSON.parse(response.body)).toEqual({ greeting: 'hello, lambda', query: { lang: 'en' }, requestId });
  });

  test('a POST with a JSON body gets the app\'s 201 and Location header', async () => {
    const { response } = await httpInvoke(local, httpApiEvent('POST', '/items', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 42, name: 'ferris' }),
    }));
    expect(response.statusCode).toBe(201);
    expect(response.headers.location).toBe('/items/42');
    expect(JSON.parse(response.body)).toEqual({ created: { id: 42, name: 'ferris' } });
  });

  test('an unknown path is the app\'s own 404', async () => {
    const { response } = await httpInvoke(local, httpApiEvent('GET', '/nope'));
    expect(response.statusCode).toBe(404);
  });

  test('an SQS event reaches the pass-through path and the app\'s JSON is the result', async () => {
    const event = sqsEvent(['{"order":1}', '{"order":2}']);
    const result = await local.invoke(event, { timeoutMs: 60_000 });
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.payload)).toEqual({
      processed: ['00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001'],
      sources: ['aws:sqs'],
      batchItemFailures: [],
    });
  });
});

describe('Express through the real adapter on a local Lambda host', () => {
  test('the staged asset holds express from package-lock.json (npm ci --omit=dev) and an executable run.sh', () => {
    const dir = appDir(express);
    expect(fs.existsSync(`${dir}/node_modules/express/package.json`)).toBe(true);
    expect(modeOf(`${dir}/run.sh`)).toBe('755');
  });

  test('HTTP and SQS events', async () => {
    const local = await start(express, x86Layer);
    const { response, requestId } = await httpInvoke(local, httpApiEvent('GET', '/hello/node', { query: 'x=1' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-served-by']).toBe('express');
    expect(JSON.parse(response.body)).toEqual({ greeting: 'hello, node', query: { x: '1' }, requestId });

    const result = await local.invoke(sqsEvent(['a']), { timeoutMs: 60_000 });
    expect(JSON.parse(result.payload)).toMatchObject({ processed: ['00000000-0000-4000-8000-000000000000'], sources: ['aws:sqs'] });
  });
});
