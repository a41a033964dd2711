import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { LlrtBinaryType } from '../../lib';
import { bundle } from '../../lib/llrt/bundling';
import { LLRT_HANDLERS, REPO } from '../support/llrt';

// The sample handlers of llrt-handlers/, bundled by the construct's bundling step, loaded as ES modules and called
// with sample events. No LLRT binary can be fetched here, so Node.js runs them as a compatibility check: the bundle
// format (ESM, externals) is what LLRT loads; LLRT-specific behaviour is not covered.

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-llrt-handlers-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Bundles a sample into its own folder (outside the repository, so nothing resolves from our node_modules). */
function bundleSample(name: string, binaryType: LlrtBinaryType): string {
  const out = fs.mkdtempSync(path.join(work, `${name}-${binaryType}-`));
  bundle({ entry: path.join(LLRT_HANDLERS, `${name}.ts`), exportName: 'handler', binaryType, options: {} }, out, 'v0.8.1-beta', []);
  return path.join(out, 'index.mjs');
}

/**
 * Imports the bundle in a fresh `node` as an ES module and calls `handler(event, context)`; resolves with its
 * JSON result (or the error message). Asynchronous, so a server in this process can answer the handler.
 */
function invoke(bundleFile: string, event: unknown, env: Record<string, string> = {}): Promise<unknown> {
  const script = [
    `const mod = await import(${JSON.stringify(pathToFileURL(bundleFile).href)});`,
    'try {',
    '  const result = await mod.handler(JSON.parse(process.env.TEST_EVENT), { awsRequestId: "req-1" });',
    '  process.stdout.write(JSON.stringify({ result }));',
    '} catch (e) {',
    '  process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }));',
    '}',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.dirname(bundleFile),
      env: { PATH: process.env.PATH ?? '', TEST_EVENT: JSON.stringify(event), ...env },
      timeout: 30_000,
    }, (error, stdout, stderr) => {
      if (error && !stdout) return reject(new Error(`node failed: ${error.message}\n${stderr}`));
      const parsed = JSON.parse(stdout);
      if (parsed.error) return reject(new Error(parsed.error));
      resolve(parsed.result);
    });
  });
}

const ALL_TYPES = [LlrtBinaryType.STANDARD, LlrtBinaryType.NO_SDK, LlrtBinaryType.FULL_SDK];

describe('hello', () => {
  test.each(ALL_TYPES)('answers as an ES module (%s)', async type => {
    const file = bundleSample('hello', type);
    await expect(invoke(file, { name: 'Ferris' })).resolves.toEqual({ message: 'Hello, Ferris!', requestId: 'req-1' });
    await expect(invoke(file, {})).resolves.toEqual({ message: 'Hello, world!', requestId: 'req-1' });
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
  let file: string;
  beforeAll(() => {
    file = bundleSample('http', LlrtBinaryType.STANDARD);
  });
  const call = async (e: unknown) => {
    const r = await invoke(file, e) as { statusCode: number; headers: Record<string, string>; body: string };
    return { status: r.statusCode, type: r.headers['content-type'], body: JSON.parse(r.body) };
  };

  test('GET / describes the service', async () => {
    const r = await call(event('GET', '/'));
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.body.service).toBe('llrt-http');
    expect(Number.isNaN(Date.parse(r.body.time))).toBe(false);
  });

  test('GET /hello/{who} greets', async () => {
    await expect(call(event('GET', '/hello/LLRT%20fan'))).resolves.toMatchObject({ status: 200, body: { message: 'Hello, LLRT fan!' } });
  });

  test('POST /echo returns the JSON body, plain or base64-encoded; bad JSON is a 400', async () => {
    await expect(call(event('POST', '/echo', '{"a":1}'))).resolves.toMatchObject({ status: 200, body: { received: { a: 1 } } });
    const encoded = Buffer.from('{"ü":[1,2]}').toString('base64');
    await expect(call(event('POST', '/echo', encoded, true))).resolves.toMatchObject({ status: 200, body: { received: { ü: [1, 2] } } });
    await expect(call(event('POST', '/echo', '{oops'))).resolves.toMatchObject({ status: 400, body: { error: 'body is not valid JSON' } });
  });

  test('unknown routes are 404, wrong methods 405', async () => {
    await expect(call(event('GET', '/nope'))).resolves.toMatchObject({ status: 404, body: { error: 'no route for GET /nope' } });
    await expect(call(event('DELETE', '/'))).resolves.toMatchObject({ status: 405 });
  });
});

describe('dynamodb (against a fake DynamoDB endpoint on 127.0.0.1)', () => {
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

  const env = () => ({
    TABLE_NAME: 'visits',
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDLLRTTEST',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'token',
  });

  test('NO_SDK: the bundle carries the SDK and runs with nothing else on disk', async () => {
    const file = bundleSample('dynamodb', LlrtBinaryType.NO_SDK);
    expect(/(?:from|import)\s*"@aws-sdk\//.test(fs.readFileSync(file, 'utf-8'))).toBe(false); // no SDK import left
    seen.length = 0;
    await expect(invoke(file, { id: 'home' }, env())).resolves.toEqual({ id: 'home', visits: 1 });
    await expect(invoke(file, { id: 'home' }, env())).resolves.toEqual({ id: 'home', visits: 2 });
    expect(seen[0].target).toBe('DynamoDB_20120810.UpdateItem');
    expect(seen[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLLRTTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/);
    expect(seen[0].body).toMatchObject({
      TableName: 'visits', Key: { pk: { S: 'home' } }, UpdateExpression: 'ADD visits :one', ReturnValues: 'UPDATED_NEW',
    });
  });

  test('STANDARD: the SDK is imported from the runtime (here: node_modules in place of LLRT\'s built-in copy)', async () => {
    const file = bundleSample('dynamodb', LlrtBinaryType.STANDARD);
    expect(/from\s*"@aws-sdk\/client-dynamodb"/.test(fs.readFileSync(file, 'utf-8'))).toBe(true);
    // Without a provider of the SDK the import fails: proof that it is not bundled.
    await expect(invoke(file, { id: 'x' }, env())).rejects.toThrow(/Cannot find package '@aws-sdk\/client-dynamodb'/);
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(path.dirname(file), 'node_modules'), 'junction');
    await expect(invoke(file, { id: 'standard' }, env())).resolves.toEqual({ id: 'standard', visits: 1 });
  });

  test('without TABLE_NAME it fails with a clear message', async () => {
    const file = bundleSample('dynamodb', LlrtBinaryType.NO_SDK);
    const { TABLE_NAME: _, ...rest } = env();
    await expect(invoke(file, {}, rest)).rejects.toThrow('TABLE_NAME is not set');
  });
});
