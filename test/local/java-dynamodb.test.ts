/**
 * The Java real-workload handler (samples/coldstart/java-dynamodb: AWS SDK for Java v2, built at synth with Maven)
 * on the local host against a real moto_server: the item is written, read back, and there in moto's own table.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CLI_CONTEXT, tempDir } from './apps';
import { JAVA_DYNAMODB, JAVA_DYNAMODB_HANDLER } from '../../bench/coldstart/java';
import { AssemblyFunction, readAssembly } from '../../lib/local/assembly';
import { LocalLambda } from '../../lib/local/host';
import { buildMavenModule, javaMavenCode } from '../../samples/java-maven';
import { LocalAws, startLocalAws } from '../support/moto';

// The first build downloads the SDK from Maven Central (a minute); later ones come from the cache.
jest.setTimeout(10 * 60_000);

const TABLE = 'java-dynamodb-test';
let aws: LocalAws;
let outdir: string;
let functions: ReadonlyArray<AssemblyFunction>;
const lambdas: LocalLambda[] = [];

beforeAll(async () => {
  aws = await startLocalAws();
  await aws.createTable(TABLE);
  outdir = tempDir('java-dynamodb-out');
  const app = new App({ outdir, context: CLI_CONTEXT });
  const stack = new Stack(app, 'LocalJavaDynamo');
  const code = javaMavenCode(JAVA_DYNAMODB);
  const common = { runtime: lambda.Runtime.JAVA_21, architecture: lambda.Architecture.X86_64, memorySize: 128, handler: JAVA_DYNAMODB_HANDLER, code };
  new lambda.Function(stack, 'PutGet', { ...common, environment: { TABLE_NAME: TABLE } });
  new lambda.Function(stack, 'NoTable', common);
  app.synth();
  functions = readAssembly(outdir).functions;
});

afterEach(async () => {
  await Promise.all(lambdas.splice(0).map(l => l.close()));
});

afterAll(async () => {
  await aws?.stop();
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
});

function prepare(name: string): LocalLambda {
  const fn = functions.find(f => f.constructPath === `LocalJavaDynamo/${name}`) as AssemblyFunction;
  const local = LocalLambda.prepare(fn, { env: aws.functionEnvironment() });
  lambdas.push(local);
  return local;
}

test('a build is cached by a hash of pom.xml and src/: the same sources run no Maven, a changed source builds again', () => {
  const module = tempDir('java-module');
  const cache = tempDir('java-cache');
  const saved = process.env.RUSTACEAN_LAMBDA_CACHE;
  process.env.RUSTACEAN_LAMBDA_CACHE = cache;
  try {
    fs.cpSync(JAVA_DYNAMODB, module, { recursive: true });
    const first = buildMavenModule(module);
    expect(first.built).toBe(true);
    expect(path.dirname(first.dir)).toBe(path.join(cache, 'java-maven'));
    expect(buildMavenModule(module)).toEqual({ dir: first.dir, built: false });
    const source = path.join(module, 'src', 'main', 'java', 'bench', 'DynamoDbHandler.java');
    fs.appendFileSync(source, '// changed\n');
    const changed = buildMavenModule(module);
    expect(changed.built).toBe(true);
    expect(changed.dir).not.toBe(first.dir);
    // Nothing was written next to the sources (Maven built a copy).
    expect(fs.readdirSync(module).sort()).toEqual(['pom.xml', 'src']);
  } finally {
    if (saved === undefined) delete process.env.RUSTACEAN_LAMBDA_CACHE;
    else process.env.RUSTACEAN_LAMBDA_CACHE = saved;
    for (const dir of [module, cache]) fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the module in Lambda\'s layout: classes at the root, lib/*.jar with the SDK and only the URLConnection HTTP client', () => {
  const again = buildMavenModule(JAVA_DYNAMODB);
  expect(again.built).toBe(false); // built by the synth in beforeAll
  expect(fs.existsSync(`${again.dir}/bench/DynamoDbHandler.class`)).toBe(true);
  const jars = fs.readdirSync(`${again.dir}/lib`);
  expect(jars).toEqual(expect.arrayContaining([expect.stringMatching(/^dynamodb-2\.59\.1\.jar$/),
    expect.stringMatching(/^url-connection-client-2\.59\.1\.jar$/)]));
  // The SDK's default HTTP clients are excluded (see the pom).
  expect(jars.filter(j => /^(apache5?-client|netty-nio-client|httpclient|httpcore|netty-)/.test(j))).toEqual([]);
});

test('puts and gets an item through the SDK against moto_server, cold and warm', async () => {
  const env = await prepare('PutGet').start();
  const cold = await env.invoke({ id: 'bench-1' });
  expect(cold.result.ok).toBe(true);
  expect(JSON.parse(cold.result.payload)).toEqual({ id: 'bench-1', found: true, payload: 'hello' });
  const warm = await env.invoke({ id: 'java-2', payload: 'from Java' });
  expect(JSON.parse(warm.result.payload)).toEqual({ id: 'java-2', found: true, payload: 'from Java' });
  const defaulted = await env.invoke({});
  expect(JSON.parse(defaulted.result.payload)).toEqual({ id: 'default', found: true, payload: 'hello' });

  // Read straight from moto: the items are in its table, with a timestamp.
  const item = (await aws.dynamodb('GetItem', { TableName: TABLE, Key: { pk: { S: 'java-2' } }, ConsistentRead: true })).Item;
  expect(item.payload).toEqual({ S: 'from Java' });
  expect(Number(item.ts.N)).toBeGreaterThan(Date.now() - 10 * 60_000);
  const scan = await aws.dynamodb('Scan', { TableName: TABLE });
  expect(scan.Items.map((i: { pk: { S: string } }) => i.pk.S).sort()).toEqual(['bench-1', 'default', 'java-2']);
});

test('without TABLE_NAME: an init error naming it', async () => {
  await expect(prepare('NoTable').start()).rejects.toThrow(/TABLE_NAME is not set: set it to the name of a DynamoDB table/);
});
