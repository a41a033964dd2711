import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { elfArchitecture } from '../../lib/core/elf';
import { commandFor, LocalFunction, startFunction } from '../../lib/local/process';
import { InitError, InvokeTimeoutError, RuntimeApiOptions, RuntimeApiServer } from '../../lib/local/runtime-api';

const FIXTURES = path.join(__dirname, 'fixtures');
const ECHO_RUNTIME = path.join(FIXTURES, 'echo-runtime.js');
const FAKE_EXTENSION = path.join(FIXTURES, 'fake-extension.js');
const NODE = process.execPath;

// -----------------------------------------------------------------------------
// Test plumbing: everything a test starts is torn down after it, pass or fail.

interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

const servers: RuntimeApiServer[] = [];
const spawned: Spawned[] = [];
const functions: LocalFunction[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  await Promise.all(functions.splice(0).map(f => f.stop()));
  for (const s of spawned.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.exited;
  }
  await Promise.all(servers.splice(0).map(s => s.close()));
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function startServer(options: RuntimeApiOptions = {}): Promise<RuntimeApiServer> {
  const server = new RuntimeApiServer({ functionName: 'echo', ...options });
  servers.push(server);
  await server.start();
  return server;
}

/** Runs a fixture script as a real child process pointed at the server. */
function spawnFixture(script: string, args: string[], server: RuntimeApiServer): Spawned {
  const child = spawn(NODE, [script, ...args], {
    env: { PATH: process.env.PATH ?? '', AWS_LAMBDA_RUNTIME_API: server.address },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<number | null>(resolve => child.once('close', code => resolve(code)));
  const s: Spawned = { child, exited, stdout: () => out, stderr: () => err };
  spawned.push(s);
  return s;
}

async function track(fn: Promise<LocalFunction>): Promise<LocalFunction> {
  const f = await fn;
  functions.push(f);
  return f;
}

/** Polls until `predicate` holds, failing after `ms`. */
async function eventually(predicate: () => boolean, ms = 3_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP call to the server from inside the test, for protocol details. */
function call(
  server: RuntimeApiServer,
  method: string,
  urlPath: string,
  options: { headers?: http.OutgoingHttpHeaders; body?: string | Buffer; chunks?: string[]; trailers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const [host, port] = server.address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path: urlPath, headers: options.headers, agent: false }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      if (options.trailers) req.addTrailers(options.trailers);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** Resolves when something accepts a TCP connection at host:port, rejects on refusal. */
function connect(address: string): Promise<void> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A minimal static aarch64 Linux executable: writes "hello from aarch64\n" to stderr
 * and exits with code 7. Hand-assembled, so the test needs no cross toolchain.
 */
function writeAarch64Binary(file: string): void {
  const message = Buffer.from('hello from aarch64\n'); // 19 bytes, see `movz x2` below
  const code = [
    0xd2800040, // movz x0, #2          (stderr)
    0x100000e1, // adr  x1, message     (+28 bytes)
    0xd2800262, // movz x2, #19         (message length)
    0xd2800808, // movz x8, #64         (write)
    0xd4000001, // svc  #0
    0xd28000e0, // movz x0, #7
    0xd2800ba8, // movz x8, #93         (exit)
    0xd4000001, // svc  #0
  ];
  const base = 0x400000;
  const headerSize = 64 + 56;
  const total = headerSize + code.length * 4 + message.length;
  const elf = Buffer.alloc(total);
  elf.writeUInt32BE(0x7f454c46, 0); // \x7fELF
  elf[4] = 2; // 64-bit
  elf[5] = 1; // little-endian
  elf[6] = 1; // ELF version
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(183, 18); // EM_AARCH64
  elf.writeUInt32LE(1, 20);
  elf.writeBigUInt64LE(BigInt(base + headerSize), 24); // entry point
  elf.writeBigUInt64LE(64n, 32); // program headers right after this header
  elf.writeUInt16LE(64, 52); // header size
  elf.writeUInt16LE(56, 54); // program header size
  elf.writeUInt16LE(1, 56); // one program header
  // PT_LOAD, R+X, mapping the whole file at `base`.
  elf.writeUInt32LE(1, 64);
  elf.writeUInt32LE(5, 68);
  elf.writeBigUInt64LE(0n, 72);
  elf.writeBigUInt64LE(BigInt(base), 80);
  elf.writeBigUInt64LE(BigInt(base), 88);
  elf.writeBigUInt64LE(BigInt(total), 96);
  elf.writeBigUInt64LE(BigInt(total), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  code.forEach((word, i) => elf.writeUInt32LE(word, headerSize + i * 4));
  message.copy(elf, headerSize + code.length * 4);
  fs.writeFileSync(file, elf, { mode: 0o755 });
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-api-test-'));
  tempDirs.push(dir);
  return dir;
}

// -----------------------------------------------------------------------------

describe('RuntimeApiServer', () => {
  test('hands an event to the runtime with Lambda context headers and returns its response', async () => {
    const server = await startServer();
    spawnFixture(ECHO_RUNTIME, [], server);
    await server.waitForInit(5_000);

    const before = Date.now();
    const result = await server.invoke({ hello: 'world' }, {
      timeoutMs: 10_000,
      clientContext: '{"custom":{"tenant":"a"}}',
      cognitoIdentity: '{"cognitoIdentityId":"id-1"}',
    });

    expect(result.ok).toBe(true);
    expect(result.streamed).toBe(false);
    const body = JSON.parse(result.payload);
    expect(body.echo).toEqual({ hello: 'world' });
    expect(body.context.requestId).toBe(result.requestId);
    expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.context.deadlineMs).toBeGreaterThan(Date.now());
    expect(body.context.deadlineMs).toBeGreaterThanOrEqual(before + 10_000);
    expect(body.context.deadlineMs).toBeLessThanOrEqual(Date.now() + 10_000);
    expect(body.context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:echo');
    expect(body.context.traceId).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(body.context.clientContext).toBe('{"custom":{"tenant":"a"}}');
    expect(body.context.cognitoIdentity).toBe('{"cognitoIdentityId":"id-1"}');
  });

  test('reports a runtime /error as a failed invocation and keeps serving later events', async () => {
    const server = await startServer();
    spawnFixture(ECHO_RUNTIME, [], server);
    await server.waitForInit(5_000);

    const failed = await server.invoke({ fail: true });
    expect(failed.ok).toBe(false);
    expect(failed.error).toEqual({ errorMessage: 'failed on purpose', errorType: 'EchoError', stackTrace: ['at echo-runtime.js'] });

    const next = await server.invoke({ n: 2 });
    expect(next.ok).toBe(true);
    expect(JSON.parse(next.payload).echo).toEqual({ n: 2 });
  });

  test('serves concurrent invocations one at a time, each with its own request id', async () => {
    const server = await startServer();
    spawnFixture(ECHO_RUNTIME, [], server);
    const pending = [1, 2, 3].map(n => server.invoke({ n }, { requestId: `req-${n}` }));
    await server.waitForInit(5_000);
    const results = await Promise.all(pending);
    expect(results.map(r => r.requestId)).toEqual(['req-1', 'req-2', 'req-3']);
    expect(results.map(r => JSON.parse(r.payload).echo.n)).toEqual([1, 2, 3]);
    expect(results.map(r => JSON.parse(r.payload).context.requestId)).toEqual(['req-1', 'req-2', 'req-3']);
  });

  test('completes init only after an expected extension calls /event/next, whatever the start order', async () => {
    const server = await startServer({ expectedExtensions: 1 });
    server.markProcessStart();
    // The runtime starts first and polls /next long before the extension is ready.
    spawnFixture(ECHO_RUNTIME, [], server);
    const extension = spawnFixture(FAKE_EXTENSION, ['--name', 'slow-ext', '--delay', '300'], server);

    const { initDurationMs } = await server.waitForInit(5_000);
    expect(initDurationMs).toBeGreaterThanOrEqual(300);
    expect(extension.stdout()).toMatch(/^registered [0-9a-f-]{36} pid \d+/);
    expect(server.extensions).toEqual([{ name: 'slow-ext', id: expect.stringMatching(/^[0-9a-f-]{36}$/), events: [] }]);
    const result = await server.invoke({ after: 'init' });
    expect(result.ok).toBe(true);
  });

  test('waits for an extension that registered on its own, even when none was expected', async () => {
    const server = await startServer();
    const registered = new Promise(resolve => server.once('extensionRegistered', resolve));
    spawnFixture(FAKE_EXTENSION, ['--delay', '300'], server);
    await registered;
    const start = Date.now();
    spawnFixture(ECHO_RUNTIME, [], server);
    await server.waitForInit(5_000);
    // The extension registered, then slept 300 ms before its first /event/next.
    expect(Date.now() - start).toBeGreaterThanOrEqual(200);
    expect(server.extensions.map(e => e.name)).toEqual(['fake-extension']);
  });

  test('rejects waitForInit and queued invocations when the runtime posts /runtime/init/error', async () => {
    const server = await startServer();
    const queued = server.invoke({ never: 'delivered' });
    const runtime = spawnFixture(ECHO_RUNTIME, ['--init-error'], server);

    const error = await server.waitForInit(5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InitError);
    expect((error as InitError).errorType).toBe('Runtime.EchoInitFailed');
    expect((error as InitError).message).toContain('init failed on purpose');
    await expect(queued).rejects.toBeInstanceOf(InitError);
    expect(await runtime.exited).toBe(1);
  });

  test('rejects an invocation that outlives its timeout and refuses the late answer', async () => {
    const server = await startServer();
    const runtime = spawnFixture(ECHO_RUNTIME, [], server);
    await server.waitForInit(5_000);

    const start = Date.now();
    const error = await server.invoke({ sleepMs: 400 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvokeTimeoutError);
    expect((error as InvokeTimeoutError).dispatched).toBe(true);
    expect(Date.now() - start).toBeLessThan(380);

    await eventually(() => runtime.stderr().includes('refused: 400'), 3_000, 'the late answer to be refused');
    expect(runtime.stderr()).toContain('InvalidRequestID');
  });

  test('rejects an invocation that no runtime picks up within its timeout', async () => {
    const server = await startServer();
    const error = await server.invoke({}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvokeTimeoutError);
    expect((error as InvokeTimeoutError).dispatched).toBe(false);
  });

  test('rejects waitForInit after its timeout, saying what is missing', async () => {
    const server = await startServer();
    await expect(server.waitForInit(100)).rejects.toThrow(/within 100 ms \(runtime polled \/next: no/);
  });

  test('answers an unknown or already answered request id with 400 InvalidRequestID', async () => {
    const server = await startServer();
    const invocation = server.invoke({ x: 1 });
    const next = await call(server, 'GET', '/2018-06-01/runtime/invocation/next');
    const id = String(next.headers['lambda-runtime-aws-request-id']);
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ x: 1 });

    const unknown = await call(server, 'POST', '/2018-06-01/runtime/invocation/no-such-id/response', { body: '{}' });
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).errorType).toBe('InvalidRequestID');

    const first = await call(server, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, { body: '"done"' });
    expect(first.status).toBe(202);
    expect(JSON.parse(first.body)).toEqual({ status: 'OK' });
    const second = await call(server, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, { body: '"again"' });
    expect(second.status).toBe(400);
    expect((await invocation).payload).toBe('"done"');
  });

  test('reads a streamed, chunked response to completion, including an error trailer', async () => {
    const server = await startServer();
    const streaming = { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/plain' };

    const okInvoke = server.invoke({});
    const okNext = await call(server, 'GET', '/2018-06-01/runtime/invocation/next');
    const okId = String(okNext.headers['lambda-runtime-aws-request-id']);
    const posted = await call(server, 'POST', `/2018-06-01/runtime/invocation/${okId}/response`, { headers: streaming, chunks: ['one,', 'two,', 'three'] });
    expect(posted.status).toBe(202);
    const ok = await okInvoke;
    expect(ok).toMatchObject({ ok: true, streamed: true, payload: 'one,two,three', contentType: 'text/plain' });

    const badInvoke = server.invoke({});
    const badNext = await call(server, 'GET', '/2018-06-01/runtime/invocation/next');
    const badId = String(badNext.headers['lambda-runtime-aws-request-id']);
    const errorBody = Buffer.from(JSON.stringify({ errorMessage: 'stream broke', errorType: 'StreamError' })).toString('base64');
    await call(server, 'POST', `/2018-06-01/runtime/invocation/${badId}/response`, {
      headers: { ...streaming, Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body' },
      chunks: ['partial'],
      trailers: { 'Lambda-Runtime-Function-Error-Type': 'StreamError', 'Lambda-Runtime-Function-Error-Body': errorBody },
    });
    const bad = await badInvoke;
    expect(bad).toMatchObject({ ok: false, streamed: true, payload: 'partial', error: { errorMessage: 'stream broke', errorType: 'StreamError' } });
  });

  test('refuses a buffered response above the size limit with 413 and fails the invocation', async () => {
    const server = await startServer({ maxResponseBytes: 1024 });
    const invocation = server.invoke({});
    const next = await call(server, 'GET', '/2018-06-01/runtime/invocation/next');
    const id = String(next.headers['lambda-runtime-aws-request-id']);
    const posted = await call(server, 'POST', `/2018-06-01/runtime/invocation/${id}/response`, { body: 'x'.repeat(2048) });
    expect(posted.status).toBe(413);
    const result = await invocation;
    expect(result.ok).toBe(false);
    expect(result.error?.errorType).toBe('Function.ResponseSizeTooLarge');
  });

  test('sends INVOKE and SHUTDOWN events to an extension that subscribed to them', async () => {
    const server = await startServer({ expectedExtensions: 1 });
    const extension = spawnFixture(FAKE_EXTENSION, ['--events', 'INVOKE,SHUTDOWN'], server);
    spawnFixture(ECHO_RUNTIME, [], server);
    await server.waitForInit(5_000);

    const result = await server.invoke({ y: 1 });
    await eventually(() => extension.stdout().includes(`event INVOKE ${result.requestId}`), 3_000, 'the INVOKE event');

    // The fixture exits after SHUTDOWN instead of acknowledging, so the server waits out the grace period.
    await server.shutdown({ graceMs: 300 });
    expect(await extension.exited).toBe(0);
    expect(extension.stdout()).toContain('event SHUTDOWN spindown');
    await expect(connect(server.address)).rejects.toThrow(/ECONNREFUSED/);
  });

  test('answers bad extension calls with 403 and closes registration after init', async () => {
    const server = await startServer();
    const missing = await call(server, 'GET', '/2020-01-01/extension/event/next');
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.body).errorType).toBe('Extension.MissingExtensionIdentifier');
    const unknown = await call(server, 'GET', '/2020-01-01/extension/event/next', {
      headers: { 'Lambda-Extension-Identifier': '00000000-0000-4000-8000-000000000000' },
    });
    expect(JSON.parse(unknown.body).errorType).toBe('Extension.UnknownExtensionIdentifier');
    const badEvent = await call(server, 'POST', '/2020-01-01/extension/register', {
      headers: { 'Lambda-Extension-Name': 'x' }, body: '{"events":["LOGS"]}',
    });
    expect(JSON.parse(badEvent.body).errorType).toBe('Extension.InvalidEventType');

    const registered = await call(server, 'POST', '/2020-01-01/extension/register', {
      headers: { 'Lambda-Extension-Name': 'early' }, body: '{"events":[]}',
    });
    expect(registered.status).toBe(200);
    expect(registered.headers['lambda-extension-identifier']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(registered.body)).toEqual({ functionName: 'echo', functionVersion: '$LATEST', handler: 'bootstrap' });

    spawnFixture(ECHO_RUNTIME, [], server);
    // The registered extension has not polled yet, so init must not complete.
    await expect(server.waitForInit(300)).rejects.toThrow(/not ready: \[early\]/);
    const id = String(registered.headers['lambda-extension-identifier']);
    const poll = call(server, 'GET', '/2020-01-01/extension/event/next', { headers: { 'Lambda-Extension-Identifier': id } });
    poll.catch(() => undefined); // parked until the server closes
    await server.waitForInit(2_000);

    const late = await call(server, 'POST', '/2020-01-01/extension/register', {
      headers: { 'Lambda-Extension-Name': 'late' }, body: '{"events":[]}',
    });
    expect(late.status).toBe(403);
    expect(JSON.parse(late.body).errorType).toBe('Extension.RegistrationClosed');
  });

  test('only listens on loopback', () => {
    expect(() => new RuntimeApiServer({ host: '0.0.0.0' })).toThrow(/loopback/);
  });
});

describe('startFunction', () => {
  test('lets an observer time init: processStart, then the extension\'s registration, then init; output as it arrives', async () => {
    const events: string[] = [];
    const output: string[] = [];
    const fn = await track(startFunction({
      bootstrap: NODE,
      bootstrapArgs: [ECHO_RUNTIME],
      extensions: [{ command: NODE, args: [FAKE_EXTENSION, '--name', 'timed', '--events', 'INVOKE'] }],
      cwd: FIXTURES,
      onServer: server => {
        expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/); // listening, before any process starts
        for (const name of ['processStart', 'extensionRegistered', 'init']) server.on(name, () => events.push(name));
      },
      onOutput: (label, stream, chunk) => output.push(`${label} ${stream}: ${chunk.trim()}`),
    }));
    expect(events).toEqual(['processStart', 'extensionRegistered', 'init']);
    await fn.invoke({});
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(output.some(line => line.startsWith('extension ') && line.includes('INVOKE'))).toBe(true);
  });

  test('runs a bootstrap and an extension with a Lambda-like environment and stops them all', async () => {
    const fn = await track(startFunction({
      bootstrap: NODE,
      bootstrapArgs: [ECHO_RUNTIME],
      extensions: [{ command: NODE, args: [FAKE_EXTENSION, '--name', 'fake', '--delay', '200', '--events', 'INVOKE,SHUTDOWN'] }],
      cwd: FIXTURES,
      functionName: 'my-fn',
      memoryMb: 512,
      env: { CUSTOM_SETTING: 'on', AWS_REGION: 'eu-west-1' },
    }));
    expect(fn.initDurationMs).toBeGreaterThanOrEqual(200);
    expect(fn.server.extensions.map(e => e.name)).toEqual(['fake']);

    const names = ['AWS_LAMBDA_RUNTIME_API', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
      'AWS_REGION', 'AWS_DEFAULT_REGION', 'LAMBDA_TASK_ROOT', 'TZ', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'CUSTOM_SETTING', 'HOME', 'PWD'];
    const result = await fn.invoke({ env: names });
    const body = JSON.parse(result.payload);
    expect(body.env).toEqual({
      AWS_LAMBDA_RUNTIME_API: fn.server.address,
      AWS_LAMBDA_FUNCTION_NAME: 'my-fn',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      LAMBDA_TASK_ROOT: FIXTURES,
      TZ: ':UTC',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      CUSTOM_SETTING: 'on',
    });
    expect(fn.server.address).toMatch(/^127\.0\.0\.1:\d+$/);

    const runtimePid: number = body.pid;
    const extensionPid = Number(/pid (\d+)/.exec(fn.stdout())?.[1]);
    expect(isAlive(runtimePid)).toBe(true);
    expect(isAlive(extensionPid)).toBe(true);

    const address = fn.server.address;
    const stopStart = Date.now();
    await fn.stop();
    // The extension exits on SHUTDOWN; stop() notices that instead of waiting out the 2 s grace period.
    expect(Date.now() - stopStart).toBeLessThan(1_500);
    expect(fn.stdout()).toContain(`event INVOKE ${result.requestId}`);
    expect(fn.stdout()).toContain('event SHUTDOWN spindown');
    await fn.stop(); // idempotent
    expect(isAlive(runtimePid)).toBe(false);
    expect(isAlive(extensionPid)).toBe(false);
    await expect(connect(address)).rejects.toThrow(/ECONNREFUSED/);
    await expect(fn.invoke({})).rejects.toThrow();
  });

  test('names a bootstrap that is not an executable file, before starting anything', async () => {
    const error = await startFunction({ bootstrap: path.join(FIXTURES, 'no-such-bootstrap'), cwd: FIXTURES }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/^bootstrap could not be started: .*no-such-bootstrap is not an executable file/);
  });

  test('times init from the moment the processes are let go, not from the host\'s own work of starting them', async () => {
    // Forking a large Node.js process takes milliseconds to tens of them; simulate a very slow one by
    // blocking the host for 1 s right after the spawn. The runtime is parked meanwhile, so none of it counts.
    const fn = await track(startFunction({
      bootstrap: NODE,
      bootstrapArgs: [ECHO_RUNTIME],
      cwd: FIXTURES,
      onSpawn: () => {
        const until = Date.now() + 1_000;
        while (Date.now() < until) { /* busy host */ }
      },
    }));
    expect(fn.initDurationMs).toBeGreaterThan(0);
    expect(fn.initDurationMs).toBeLessThan(1_000);
  });

  test('rejects with the stderr of a bootstrap that exits before init', async () => {
    const error = await startFunction({
      bootstrap: NODE,
      bootstrapArgs: ['-e', 'console.error("boom: missing config"); process.exit(3)'],
      cwd: FIXTURES,
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/bootstrap exited with code 3 before init completed[\s\S]*boom: missing config/);
  });

  test('stops a running extension when the runtime fails init, and reports both outputs', async () => {
    const error = await startFunction({
      bootstrap: NODE,
      // The delay gives the extension time to start and register before init fails.
      bootstrapArgs: [ECHO_RUNTIME, '--init-delay', '400', '--init-error'],
      extensions: [{ command: NODE, args: [FAKE_EXTENSION] }],
      cwd: FIXTURES,
    }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/runtime failed to initialise: Runtime.EchoInitFailed: init failed on purpose/);
    expect((error as Error).message).toContain('echo-runtime: reported init error');
    const extensionPid = Number(/registered \S+ pid (\d+)/.exec((error as Error).message)?.[1]);
    expect(extensionPid).toBeGreaterThan(0);
    expect(isAlive(extensionPid)).toBe(false);
  });

  test('fails the running and later invocations at once when the runtime dies', async () => {
    const fn = await track(startFunction({ bootstrap: NODE, bootstrapArgs: [ECHO_RUNTIME], cwd: FIXTURES }));
    const start = Date.now();
    await expect(fn.invoke({ crash: true }, { timeoutMs: 20_000 })).rejects.toThrow(/bootstrap exited with code 9/);
    expect(Date.now() - start).toBeLessThan(5_000);
    await expect(fn.invoke({})).rejects.toThrow(/crashing on purpose/);
  });

  test('picks qemu-aarch64 for an aarch64 ELF and refuses an architecture mismatch', () => {
    const dir = tempDir();
    const armBinary = path.join(dir, 'bootstrap');
    writeAarch64Binary(armBinary);
    expect(elfArchitecture(armBinary)).toBe('arm64');
    expect(elfArchitecture(ECHO_RUNTIME)).toBeUndefined();

    const host = process.arch === 'x64' ? 'x86_64' : 'arm64';
    const other = host === 'x86_64' ? 'arm64' : 'x86_64';
    expect(elfArchitecture(NODE)).toBe(host);
    expect(() => commandFor({ command: NODE }, other)).toThrow(`is an ${host} executable, but arch '${other}' was requested`);
    expect(commandFor({ command: ECHO_RUNTIME, args: ['a'] }, undefined)).toEqual({ command: ECHO_RUNTIME, args: ['a'] });
    if (host === 'x86_64') {
      expect(commandFor({ command: armBinary, args: ['a'] }, 'arm64')).toEqual({
        command: 'qemu-aarch64',
        args: ['-L', '/usr/aarch64-linux-gnu', armBinary, 'a'],
      });
    } else {
      expect(commandFor({ command: armBinary }, 'arm64')).toEqual({ command: armBinary, args: [] });
    }
  });

  const canRunArm64 = process.arch === 'arm64'
    || (process.arch === 'x64' && spawnSync('qemu-aarch64', ['--version']).status === 0);
  (canRunArm64 ? test : test.skip)('runs an arm64 bootstrap (through qemu-user on x86_64)', async () => {
    const dir = tempDir();
    const bootstrap = path.join(dir, 'bootstrap');
    writeAarch64Binary(bootstrap);
    // The hand-made binary prints and exits, so start-up fails, with its output in the error.
    const error = await startFunction({ bootstrap, arch: 'arm64' }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/bootstrap exited with code 7 before init completed[\s\S]*hello from aarch64/);
  });
});
