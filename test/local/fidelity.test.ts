/**
 * Protocol fidelity: the official runtime clients run unchanged against our Runtime API host,
 * and give the same answers under AWS's Runtime Interface Emulator (RIE) for the same
 * bootstrap and event.
 *
 *   lambda_runtime (Rust, crates.io)  the rust-handlers `hello`, built with cargo-lambda
 *   awslambdaric   (Python, PyPI)     test/local/fixtures/functions/python
 *   aws-lambda-ric (Node.js, npm)     test/local/fixtures/functions/node
 *   Lambda Web Adapter (extension)    samples/web-adapter/flask, adapter built from crates.io
 *
 *   LLRT (provided.al2023)            llrt-handlers/hello.ts on LLRT built from crates.io (x86_64)
 *
 * RIE only looks for extensions in /opt/extensions, which the tests never write to, so the
 * Web Adapter is checked against our host alone.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CLI_CONTEXT, synthRustHello, synthScripted, tempDir } from './apps';
import { PythonBundling, WebAdapterFunction, WebAdapterLayer } from '../../lib';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { sampleEvent } from '../../lib/local/events';
import { LocalLambda } from '../../lib/local/host';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS, synthLlrtFunction } from '../support/llrt-source';
import { RieFunction, startRie } from '../support/rie';

// First run: cargo-lambda build, pip install awslambdaric, npm install aws-lambda-ric (native addon), go install RIE.
jest.setTimeout(20 * 60_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let outdirs: string[] = [];
const clients: Record<string, AssemblyFunction> = {};
const lambdas: LocalLambda[] = [];
const emulators: RieFunction[] = [];

beforeAll(() => {
  outdirs = [synthRustHello(), synthScripted()];
  const functions = outdirs.flatMap(dir => readAssembly(dir).functions);
  const find = (p: string) => functions.find(f => f.constructPath === p) as AssemblyFunction;
  clients.lambda_runtime = find('LocalRust/Hello');
  clients.awslambdaric = find('LocalScripted/PyHello');
  clients['aws-lambda-ric'] = find('LocalScripted/NodeHello');
});

afterEach(async () => {
  await Promise.all(emulators.splice(0).map(e => e.stop()));
  await Promise.all(lambdas.splice(0).map(l => l.close()));
});

afterAll(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

function prepare(fn: AssemblyFunction): LocalLambda {
  const local = LocalLambda.prepare(fn);
  lambdas.push(local);
  return local;
}

/** The response without its request id (which each host picks), after checking it is one. */
function withoutRequestId(body: string): Record<string, unknown> {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  expect(parsed.requestId).toMatch(UUID);
  const { requestId: _ignored, ...rest } = parsed;
  return rest;
}

describe.each(['lambda_runtime', 'awslambdaric', 'aws-lambda-ric'])('%s', client => {
  test('initialises against our host, answers invokes with the request id it was given, and stays warm', async () => {
    const env = await prepare(clients[client]).start();
    expect(env.initDurationMs).toBeGreaterThan(0);
    const first = await env.invoke({ name: 'Ferris' });
    expect(first.result.ok).toBe(true);
    expect(JSON.parse(first.result.payload)).toEqual({ message: 'Hello, Ferris!', requestId: first.result.requestId });
    expect(first.cold).toBe(true);
    const second = await env.invoke({ name: '  Ada ' }, { requestId: '11111111-2222-4333-8444-555555555555' });
    expect(JSON.parse(second.result.payload)).toEqual({ message: 'Hello, Ada!', requestId: '11111111-2222-4333-8444-555555555555' });
    expect(second.cold).toBe(false);
    expect(second.report.initDurationMs).toBeUndefined();
  });

  test('gives the same response under RIE for the same bootstrap and event', async () => {
    const local = prepare(clients[client]);
    const env = await local.start();
    const rie = await startRie(local.plan, { handler: clients[client].handler, functionName: 'same' });
    emulators.push(rie);
    for (const event of [{ name: 'Ferris' }, {}, { name: 'émoji ✓' }]) {
      const ours = await env.invoke(event);
      const theirs = await rie.invoke(event);
      expect(theirs.status).toBe(200);
      expect(withoutRequestId(ours.result.payload)).toEqual(withoutRequestId(theirs.body));
    }
  });
});

describe('function errors', () => {
  test.each([
    ['awslambdaric', 'hello.fail', 'ValueError'],
    ['aws-lambda-ric', 'index.fail', 'Error'],
  ])('%s reports a handler exception the same way to our host and to RIE', async (client, handler, errorType) => {
    const fn = { ...clients[client], handler };
    const local = prepare(fn);
    const env = await local.start();
    const ours = await env.invoke({});
    expect(ours.result.ok).toBe(false);
    expect(ours.result.error).toMatchObject({ errorType, errorMessage: 'failed on purpose' });

    const rie = await startRie(local.plan, { handler });
    emulators.push(rie);
    const theirs = JSON.parse((await rie.invoke({})).body) as { errorType: string; errorMessage: string };
    expect(theirs).toMatchObject({ errorType, errorMessage: 'failed on purpose' });
  });
});

describe('Lambda Web Adapter', () => {
  test('the adapter extension from a synthesized WebAdapterFunction serves the Flask sample through our host', async () => {
    const outdir = tempDir('lwa-out');
    outdirs.push(outdir);
    const app = new App({ outdir, context: CLI_CONTEXT });
    const stack = new Stack(app, 'LocalLwa');
    new WebAdapterFunction(stack, 'Flask', {
      appPath: path.join(__dirname, '..', '..', 'samples', 'web-adapter', 'flask'),
      runtime: lambda.Runtime.PYTHON_3_12,
      architecture: lambda.Architecture.X86_64,
      adapterLayer: WebAdapterLayer.fromSource(),
      bundling: { pythonBundling: PythonBundling.LOCAL },
    });
    app.synth();
    const [fn] = readAssembly(outdir).functions;
    expect(fn.layers).toHaveLength(1);

    const local = prepare(fn);
    expect(local.plan.extensions.map(e => path.basename(e.command))).toEqual(['lambda-adapter']);
    const env = await local.start();
    // The adapter registers as an extension and polls the Runtime API for the app, which it waits for.
    expect(env.local.server.extensions.map(e => e.name)).toEqual(['lambda-adapter']);
    const event = sampleEvent('function-url') as { rawPath: string; requestContext: { http: { path: string } } };
    event.rawPath = '/hello/Ferris';
    event.requestContext.http.path = '/hello/Ferris';
    const outcome = await env.invoke(event);
    expect(outcome.result.ok).toBe(true);
    const response = JSON.parse(outcome.result.payload) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-served-by']).toBe('flask');
    expect(JSON.parse(response.body)).toMatchObject({ greeting: 'hello, Ferris', query: { name: 'Ferris' }, requestId: outcome.result.requestId });
  });
});

// LLRT's own runtime client (Rust, in the llrt binary), built from crates.io like every LLRT of the tests.
describe('LLRT (built from crates.io)', () => {
  test('the LLRT bootstrap answers through our host and gives the same response under RIE', async () => {
    ensureLlrt('x86_64');
    const { outdir, fn } = synthLlrtFunction(path.join(__dirname, '..', '..', 'llrt-handlers', 'hello.ts'));
    outdirs.push(outdir);
    const local = prepare(fn);
    const env = await local.start();
    const ours = await env.invoke({ name: 'Ferris' });
    expect(JSON.parse(ours.result.payload)).toEqual({ message: 'Hello, Ferris!', requestId: ours.result.requestId });
    const rie = await startRie(local.plan, { handler: fn.handler });
    emulators.push(rie);
    expect(withoutRequestId((await rie.invoke({ name: 'Ferris' })).body)).toEqual(withoutRequestId(ours.result.payload));
  }, FIRST_BUILD_TIMEOUT_MS); // the first run builds LLRT
});
