import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { LlrtBinaryType } from '../../lib';
import { bundle } from '../../lib/llrt/bundling';
import { AssemblyFunction } from '../../lib/local/assembly';
import { LocalEnvironment, LocalLambda } from '../../lib/local/host';
import { LLRT_HANDLERS } from '../support/llrt';
import { ensureLlrt, FIRST_BUILD_TIMEOUT_MS, synthLlrtFunction } from '../support/llrt-source';

// The sample handlers of llrt-handlers/ on a real LLRT (built from crates.io, x86_64, cached in
// .rustacean-lambda/cache), deployed by LlrtFunction and run through the local Lambda host: the bootstrap talks to
// our Runtime API exactly as it would on Lambda.

jest.setTimeout(FIRST_BUILD_TIMEOUT_MS);

const outdirs: string[] = [];
const lambdas: LocalLambda[] = [];

beforeAll(() => {
  ensureLlrt('x86_64');
});
afterAll(async () => {
  await Promise.all(lambdas.map(l => l.close()));
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes a sample on the test LLRT and starts one execution environment for it. */
async function start(name: string, env: Record<string, string> = {}, environment?: Record<string, string>):
Promise<{ fn: AssemblyFunction; lambda: LocalEnvironment }> {
  const { outdir, fn } = synthLlrtFunction(path.join(LLRT_HANDLERS, `${name}.ts`), { environment });
  outdirs.push(outdir);
  const local = LocalLambda.prepare(fn, { env });
  lambdas.push(local);
  return { fn, lambda: await local.start() };
}

async function call(env: LocalEnvironment, event: unknown): Promise<any> {
  const outcome = await env.invoke(event);
  if (!outcome.result.ok) throw new Error(`the handler failed: ${outcome.result.payload}`);
  return JSON.parse(outcome.result.payload);
}

describe('hello', () => {
  test('answers on LLRT with the request id Lambda gave', async () => {
    const { fn, lambda } = await start('hello');
    expect(fn.code.kind).toBe('asset');
    const bootstrap = path.join((fn.code as { path: string }).path, 'bootstrap');
    expect(fs.readFileSync(bootstrap).subarray(0, 4).toString('latin1')).toBe('\x7fELF'); // LLRT itself, not a stand-in
    const first = await lambda.invoke({ name: 'Ferris' });
    expect(first.cold).toBe(true);
    expect(JSON.parse(first.result.payload)).toEqual({ message: 'Hello, Ferris!', requestId: first.result.requestId });
    await expect(call(lambda, {})).resolves.toMatchObject({ message: 'Hello, world!' });
    expect(lambda.initDurationMs).toBeGreaterThan(0);
  });
});

describe('http (Function URL events)', () => {
  const event = (method: string, rawPath: string, body?: string, isBase64Encoded = false) => ({
    version: '2.0',
    rawPath,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { http: { method, path: rawPath } },
    body,
    isBase64Encoded,
  });
  let env: LocalEnvironment;
  beforeAll(async () => {
    env = (await start('http')).lambda;
  });
  const get = async (e: unknown) => {
    const r = await call(env, e) as { statusCode: number; headers: Record<string, string>; body: string };
    return { status: r.statusCode, type: r.headers['content-type'], body: JSON.parse(r.body) };
  };

  test('GET / describes the service', async () => {
    const r = await get(event('GET', '/'));
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.body.service).toBe('llrt-http');
    expect(Number.isNaN(Date.parse(r.body.time))).toBe(false);
  });

  test('GET /hello/{who} greets', async () => {
    await expect(get(event('GET', '/hello/LLRT%20fan'))).resolves.toMatchObject({ status: 200, body: { message: 'Hello, LLRT fan!' } });
  });

  test('POST /echo returns the JSON body, plain or base64-encoded; bad JSON is a 400', async () => {
    await expect(get(event('POST', '/echo', '{"a":1}'))).resolves.toMatchObject({ status: 200, body: { received: { a: 1 } } });
    const encoded = Buffer.from('{"ü":[1,2]}').toString('base64');
    await expect(get(event('POST', '/echo', encoded, true))).resolves.toMatchObject({ status: 200, body: { received: { ü: [1, 2] } } });
    await expect(get(event('POST', '/echo', '{oops'))).resolves.toMatchObject({ status: 400, body: { error: 'body is not valid JSON' } });
  });

  test('unknown routes are 404, wrong methods 405', async () => {
    await expect(get(event('GET', '/nope'))).resolves.toMatchObject({ status: 404, body: { error: 'no route for GET /nope' } });
    await expect(get(event('DELETE', '/'))).resolves.toMatchObject({ status: 405 });
  });
});

describe('dynamodb (against a DynamoDB endpoint on 127.0.0.1)', () => {
  interface SeenRequest { target: string; authorization: string; body: any }
  let server: http.Server;
  let endpoint: string;
  const seen: SeenRequest[] = [];
  const counters = new Map<string, number>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', c => { raw += c; });
      req.on('end', () => {
        const body = JSON.parse(raw || '{}');
        seen.push({ target: String(req.headers['x-amz-target']), authorization: String(req.headers.authorization), body });
        if (req.headers['x-amz-target'] !== 'DynamoDB_20120810.UpdateItem') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'unexpected operation' }));
          return;
        }
        const key = `${body.TableName}/${body.Key.pk.S}`;
        const visits = (counters.get(key) ?? 0) + Number(body.ExpressionAttributeValues[':one'].N);
        counters.set(key, visits);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ Attributes: { visits: { N: String(visits) } } }));
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

  const credentials = () => ({
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDLLRTTEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'token',
  });

  test('counts visits with the bundled SDK client, signed with SigV4', async () => {
    const { lambda } = await start('dynamodb', credentials(), { TABLE_NAME: 'visits' });
    seen.length = 0;
    await expect(call(lambda, { id: 'home' })).resolves.toEqual({ id: 'home', visits: 1 });
    await expect(call(lambda, { id: 'home' })).resolves.toEqual({ id: 'home', visits: 2 });
    expect(seen).toHaveLength(2);
    expect(seen[0].target).toBe('DynamoDB_20120810.UpdateItem');
    expect(seen[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLLRTTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/);
    expect(seen[0].body).toMatchObject({
      TableName: 'visits', Key: { pk: { S: 'home' } }, UpdateExpression: 'ADD visits :one', ReturnValues: 'UPDATED_NEW',
    });
  });

  test('without TABLE_NAME the invocation fails with a clear message', async () => {
    const { lambda } = await start('dynamodb', credentials());
    const outcome = await lambda.invoke({});
    expect(outcome.result.ok).toBe(false);
    expect(outcome.result.payload).toContain('TABLE_NAME is not set');
  });
});

describe('the bundle itself', () => {
  // About the bundle, not the runtime: what the standard binary's bundle leaves to LLRT.
  test('STANDARD leaves the DynamoDB client to the runtime; NO_SDK bundles it', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-llrt-bundle-'));
    outdirs.push(out);
    const standard = bundle({ entry: path.join(LLRT_HANDLERS, 'dynamodb.ts'), exportName: 'handler', binaryType: LlrtBinaryType.STANDARD, options: {} }, out, 'v0.8.1-beta', []);
    expect(standard.externalImports).toEqual(['@aws-sdk/client-dynamodb']);
    expect(/from\s*"@aws-sdk\/client-dynamodb"/.test(fs.readFileSync(standard.outputFile, 'utf-8'))).toBe(true);
    const noSdk = bundle({ entry: path.join(LLRT_HANDLERS, 'dynamodb.ts'), exportName: 'handler', binaryType: LlrtBinaryType.NO_SDK, options: {} }, out, 'v0.8.1-beta', []);
    expect(noSdk.externalImports).toEqual([]);
  });
});

