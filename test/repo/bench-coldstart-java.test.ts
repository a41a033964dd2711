/**
 * The Java rows of the cold-start table (bench/coldstart/java.ts): java21 functions on x86_64 with 128 MB like the
 * other rows, lambda-perf's Java figure as their reference (no memory figure: shown as unknown), labels that name the
 * local JDK; synthesized for real (javac for hello, the cached Maven build for DynamoDB).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LAMBDA_PERF_X86_64, ROW_IDS, STACK, synthesizeComparisonApp } from '../../bench/coldstart/app';
import { JAVA_BENCH_TABLE, JAVA_DYNAMODB_HANDLER, javaRows } from '../../bench/coldstart/java';
import { findJdk, readAssembly, renderMarkdown } from '../../lib/local';
import { BenchResults } from '../../lib/local/bench';

jest.setTimeout(10 * 60_000);

test('the Java rows are in the table, after LLRT\'s and before the web apps, with lambda-perf\'s java21 Init as their reference', () => {
  expect(ROW_IDS.slice(-4)).toEqual(['java-hello', 'java-dynamodb', 'flask-web-adapter', 'flask-wsgi']);
  expect(LAMBDA_PERF_X86_64.java21).toEqual({ initMs: 242 });
  expect(LAMBDA_PERF_X86_64.java25).toEqual({ initMs: 185 });
  const [hello, dynamodb] = javaRows();
  expect(hello).toMatchObject({ id: 'java-hello', reference: 'java21', event: { name: 'Ferris' } });
  expect(dynamodb).toMatchObject({ id: 'java-dynamodb', event: { id: 'bench-1' }, localAws: true });
  expect(hello.label).toBe(`Java 21 hello, on ${findJdk('java21', 21).description}`);
});

test('they synthesize into java21 x86_64 128 MB functions in Lambda\'s Java layout', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-bench-java-'));
  const temporary: string[] = [];
  try {
    const app = synthesizeComparisonApp(outdir, ['java-hello', 'java-dynamodb'], temporary, () => undefined);
    expect([...app.failed]).toEqual([]);
    const functions = readAssembly(outdir).functions;
    const byId = (id: string) => functions.find(f => f.constructPath === `${STACK}/${id}`)!;
    for (const id of ['java-hello', 'java-dynamodb']) {
      expect(byId(id)).toMatchObject({ runtime: 'java21', architecture: 'x86_64', memorySizeMb: 128 });
    }
    const hello = byId('java-hello');
    expect(hello.handler).toBe('hello.Hello::handleRequest');
    const helloCode = hello.code as { kind: 'asset'; path: string };
    expect(fs.existsSync(path.join(helloCode.path, 'hello', 'Hello.class'))).toBe(true);
    const dynamodb = byId('java-dynamodb');
    expect(dynamodb.handler).toBe(JAVA_DYNAMODB_HANDLER);
    expect(dynamodb.environment).toEqual({ TABLE_NAME: JAVA_BENCH_TABLE });
    const code = (dynamodb.code as { kind: 'asset'; path: string }).path;
    expect(fs.existsSync(path.join(code, 'bench', 'DynamoDbHandler.class'))).toBe(true);
    expect(fs.readdirSync(path.join(code, 'lib'))).toContain('dynamodb-2.59.1.jar');
    expect(fs.existsSync(path.join(code, '.complete'))).toBe(false);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a reference without a memory figure shows the memory as unknown', () => {
  const results = {
    generatedAt: '2026-12-04T00:00:00.000Z',
    settings: { cold: 1, warm: 1 },
    machine: { cpus: 2, cpuModel: 'x', arch: 'x64', node: '20', loadAverage: [0, 0, 0] },
    rows: [{ id: 'java-hello', label: 'Java 21 hello', reference: { initMs: 242 }, skipped: 'not run' }],
    referenceSource: 'lambda-perf',
    formulas: {},
  } as unknown as BenchResults;
  expect(renderMarkdown(results)).toContain('| Java 21 hello | skipped: not run | | | | | | | 242 ms |');
});
