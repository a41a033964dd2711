/**
 * The real workload of the cold-start table (#17): each runtime's DynamoDB handler (Rust aws-sdk-dynamodb, Node.js
 * SDK v3, Python boto3, LLRT with the SDK bundled) as the comparison app builds it, run through the local host
 * against a real moto_server, and the item read back from moto itself. Then `rustacean-lambda bench` and `invoke`
 * with `--endpoint`, and an endpoint nothing answers at.
 *
 * The assets are synthesized into a temporary folder: no node_modules or site-packages above them, so the Node.js
 * function imports the SDK the host provides where Lambda has it (NODE_PATH, also for ES modules) and the Python one
 * the host's boto3.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCli as cli, tempDir } from './apps';
import { BENCH_TABLE, STACK, synthesizeComparisonApp } from '../../bench/coldstart/app';
import { freePort } from '../../lib/core/process';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { BenchResults } from '../../lib/local/bench';
import { LocalLambda } from '../../lib/local/host';
import { FIRST_BUILD_TIMEOUT_MS } from '../support/llrt-source';
import { LocalAws, startLocalAws } from '../support/moto';

// First run: aws-sdk-dynamodb with cargo-lambda, LLRT from crates.io, the SDKs for the host: many minutes.
jest.setTimeout(FIRST_BUILD_TIMEOUT_MS);

const ROWS = ['rust-dynamodb', 'nodejs-dynamodb', 'python-dynamodb', 'llrt-dynamodb'];
const temporary: string[] = [];
const lambdas: LocalLambda[] = [];
let outdir: string;
let functions: Map<string, AssemblyFunction>;
let aws: LocalAws;

beforeAll(async () => {
  outdir = tempDir('workload');
  const app = synthesizeComparisonApp(outdir, ROWS, temporary, () => undefined);
  expect(Object.fromEntries(app.failed)).toEqual({});
  functions = new Map(readAssembly(outdir).functions.map(f => [f.constructPath.replace(`${STACK}/`, ''), f]));
  aws = await startLocalAws();
  await aws.createTable(BENCH_TABLE);
});

afterAll(async () => {
  await Promise.all(lambdas.map(l => l.close()));
  await aws?.stop();
  for (const dir of [outdir, ...temporary]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function prepare(row: string, env: Record<string, string>): LocalLambda {
  const fn = functions.get(row);
  if (!fn) throw new Error(`${row} is not in the synthesized app: ${[...functions.keys()].join(', ')}`);
  const local = LocalLambda.prepare(fn, { env });
  lambdas.push(local);
  return local;
}

const readItem = async (id: string) =>
  (await aws.dynamodb('GetItem', { TableName: BENCH_TABLE, Key: { pk: { S: id } }, ConsistentRead: true })).Item;

describe.each(ROWS)('%s', row => {
  test('puts the item and gets it back through its SDK against moto; the item is in moto afterwards', async () => {
    const env = await prepare(row, aws.functionEnvironment()).start();
    try {
      const id = `test-${row}-${Date.now()}`;
      const before = Date.now();
      const cold = await env.invoke({ id, payload: `written by ${row}` });
      expect(cold.result.ok).toBe(true);
      expect(JSON.parse(cold.result.payload)).toEqual({ id, found: true, payload: `written by ${row}` });
      const item = await readItem(id);
      expect(item).toEqual({ pk: { S: id }, payload: { S: `written by ${row}` }, ts: { N: expect.stringMatching(/^\d+$/) } });
      // ts: the function's clock in epoch milliseconds.
      expect(Number(item.ts.N)).toBeGreaterThanOrEqual(before - 2_000);
      expect(Number(item.ts.N)).toBeLessThanOrEqual(Date.now() + 2_000);
      // A warm invoke of the same client, with the event's defaults.
      const warm = await env.invoke({});
      expect(JSON.parse(warm.result.payload)).toEqual({ id: 'default', found: true, payload: 'hello' });
      expect((await readItem('default')).payload).toEqual({ S: 'hello' });
    } finally {
      await env.stop();
    }
  });

  test('without TABLE_NAME, a function error that names it', async () => {
    const env = await prepare(row, { ...aws.functionEnvironment(), TABLE_NAME: '' }).start();
    try {
      const outcome = await env.invoke({ id: 'never-written' });
      expect(outcome.result.ok).toBe(false);
      expect(outcome.result.payload).toContain('TABLE_NAME is not set: set it to the name of a DynamoDB table whose partition key is pk');
      expect(await readItem('never-written')).toBeUndefined();
    } finally {
      await env.stop();
    }
  });
});

describe('rustacean-lambda with --endpoint', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = tempDir('workload-cli');
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test('bench points the functions\' SDK calls at the endpoint: measured rows, and the items in moto', async () => {
    const event = path.join(scratch, 'event.json');
    const id = `cli-bench-${Date.now()}`;
    fs.writeFileSync(event, JSON.stringify({ id, payload: 'via --endpoint' }));
    const out = path.join(scratch, 'bench');
    const ran = await cli(['bench', 'nodejs-dynamodb', 'python-dynamodb', '--assembly', outdir, '--endpoint', aws.endpoint,
      '--cold', '2', '--warm', '2', '--event', event, '--out', out]);
    expect(ran.stderr).not.toMatch(/rustacean-lambda:/);
    expect(ran.code).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'coldstart.json'), 'utf8')) as BenchResults;
    expect(results.rows.map(r => [r.id, r.error, r.coldTotal?.samples.length])).toEqual([
      [`${STACK}/nodejs-dynamodb`, undefined, 2],
      [`${STACK}/python-dynamodb`, undefined, 2],
    ]);
    expect(ran.stdout).toMatch(new RegExp(`^\\| ${STACK}/nodejs-dynamodb( \\| [\\d.]+ ms){8} \\|$`, 'm'));
    expect(await readItem(id)).toMatchObject({ payload: { S: 'via --endpoint' } });
  });

  test('invoke --endpoint, and --env wins over what --endpoint sets', async () => {
    const id = `cli-invoke-${Date.now()}`;
    const event = path.join(scratch, 'invoke.json');
    fs.writeFileSync(event, JSON.stringify({ id }));
    const ran = await cli(['invoke', 'rust-dynamodb', '--assembly', outdir, '--endpoint', aws.endpoint, '--event', event]);
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual({ id, found: true, payload: 'hello' });
    // The endpoint's variable overridden: the function now talks to a port nothing listens on, and fails.
    const closed = await freePort();
    const overridden = await cli(['invoke', 'rust-dynamodb', '--assembly', outdir, '--endpoint', aws.endpoint,
      '--env', `AWS_ENDPOINT_URL=http://127.0.0.1:${closed}`, '--event', event]);
    expect(overridden.code).toBe(1);
    expect(overridden.stdout).toMatch(/PutItem on rustacean-lambda-bench failed/);
  });

  test('an endpoint nothing answers at is one clear error before any invoke, not a timeout per call', async () => {
    const closed = await freePort();
    const out = path.join(scratch, 'unreachable');
    const started = Date.now();
    const ran = await cli(['bench', 'nodejs-dynamodb', '--assembly', outdir, '--endpoint', `http://127.0.0.1:${closed}`,
      '--cold', '5', '--warm', '5', '--out', out]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(`rustacean-lambda: --endpoint http://127.0.0.1:${closed} is not reachable (ECONNREFUSED); start the local ` +
      'endpoint first (for example `moto_server -H 127.0.0.1 -p 5000` and --endpoint http://127.0.0.1:5000), or fix the URL\n');
    expect(fs.existsSync(out)).toBe(false);
    const bad = await cli(['bench', '--assembly', outdir, '--endpoint', 'localhost:5000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--endpoint expects an http(s) URL, got 'localhost:5000'; for example --endpoint http://127.0.0.1:5000");
  });
});
