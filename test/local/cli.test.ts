import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { runCli as cli, synthRustHello, synthScripted, tempDir } from './apps';
import { probeEndpoint } from '../../lib/local/cli';
import { parseReport } from '../../lib/local/measure';

// The first run builds the Rust hello with cargo-lambda and installs awslambdaric: minutes; later runs: seconds.
jest.setTimeout(15 * 60_000);

let rustOut: string;
let scriptedOut: string;

beforeAll(() => {
  rustOut = synthRustHello();
  scriptedOut = synthScripted();
});

afterAll(() => {
  for (const dir of [rustOut, scriptedOut]) fs.rmSync(dir, { recursive: true, force: true });
});

const reports = (stderr: string) => stderr.split('\n').filter(l => l.startsWith('REPORT ')).map(parseReport);

const canRunArm64 = process.arch === 'arm64' || spawnSync('qemu-aarch64', ['--version']).status === 0;

describe('list', () => {
  test('shows each function with runtime, architecture, memory and what keeps it from running locally', async () => {
    const rust = await cli(['list', '--assembly', rustOut]);
    expect(rust.code).toBe(0);
    expect(rust.stdout).toMatch(/^function\s+runtime\s+arch\s+memory\s+timeout\s+handler\s+layers\s+notes$/m);
    expect(rust.stdout).toMatch(/^LocalRust\/Hello\s+provided\.al2023\s+x86_64\s+128 MB\s+3 s\s+bootstrap\s+0$/m);

    const scripted = await cli(['list', '--assembly', scriptedOut]);
    expect(scripted.stdout).toMatch(/LocalScripted\/PyLayered\s+python3\.12\s+x86_64\s+256 MB\s+3 s\s+hello\.describe\s+2\s+1 layer\(s\) not fetchable; deploy-time env: BUCKET/);

    const json = JSON.parse((await cli(['list', '--assembly', scriptedOut, '--json'])).stdout) as Array<{ constructPath: string; runnable: boolean }>;
    expect(json.map(f => [f.constructPath, f.runnable]).sort()).toEqual([
      ['LocalScripted/NodeHello', true], ['LocalScripted/NodeInline', true], ['LocalScripted/PyHello', true], ['LocalScripted/PyLayered', true],
    ]);
  });
});

describe('invoke', () => {
  test('runs the real Rust hello: response on stdout, START/END/REPORT with Init Duration on stderr', async () => {
    const dir = tempDir('event');
    const eventFile = path.join(dir, 'event.json');
    fs.writeFileSync(eventFile, '{"name": "Ferris"}\n');
    const ran = await cli(['invoke', 'Hello', '--assembly', rustOut, '--event', eventFile]);
    expect(ran.stderr).not.toMatch(/rustacean-lambda:/);
    expect(ran.code).toBe(0);
    const response = JSON.parse(ran.stdout);
    expect(response.message).toBe('Hello, Ferris!');
    const [report] = reports(ran.stderr);
    expect(report.requestId).toBe(response.requestId);
    expect(ran.stderr).toContain(`START RequestId: ${response.requestId} Version: $LATEST\nEND RequestId: ${response.requestId}\nREPORT RequestId: ${response.requestId}\t`);
    expect(report.initDurationMs).toBeGreaterThan(0);
    expect(report.initDurationMs).toBeLessThan(10_000);
    expect(report.memorySizeMb).toBe(128);
    expect(report.maxMemoryUsedMb).toBeGreaterThanOrEqual(1);
    expect(report.billedDurationMs).toBe(Math.ceil(report.durationMs + (report.initDurationMs ?? 0)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('keeps one environment for --count, and starts a fresh one per invocation with --cold', async () => {
    const warm = await cli(['invoke', 'LocalRust/Hello', '--assembly', rustOut, '--count', '3']);
    expect(warm.code).toBe(0);
    expect(reports(warm.stderr).map(r => r.initDurationMs !== undefined)).toEqual([true, false, false]);
    expect(warm.stdout.trim().split('\n')).toHaveLength(3);
    expect(warm.stderr).toMatch(/summary: 3 invocations \(1 cold\), Duration p50 [\d.]+ ms p90 [\d.]+ ms, Init Duration p50 [\d.]+ ms/);

    const cold = await cli(['invoke', 'Hello', '--assembly', rustOut, '--count', '2', '--cold', '--sample', 'sqs']);
    expect(cold.code).toBe(0);
    expect(reports(cold.stderr).map(r => r.initDurationMs !== undefined)).toEqual([true, true]);
    // The SQS sample has no "name": the handler greets the world.
    expect(cold.stdout.trim().split('\n').map(l => JSON.parse(l).message)).toEqual(['Hello, world!', 'Hello, world!']);
  });

  test('reads the event from standard input with --event -', async () => {
    const ran = await cli(['invoke', 'Hello', '--assembly', rustOut, '--event', '-'], '{"name":"stdin"}');
    expect(JSON.parse(ran.stdout).message).toBe('Hello, stdin!');
  });

  test('runs a Python function with its layer: the /opt/bootstrap wrapper, the extension and /opt/python', async () => {
    const names = ['WRAPPED_BY', 'GREETING', 'REGION_NAME', 'BUCKET', 'EXTRA', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE'];
    const ran = await cli(['invoke', 'PyLayered', '--assembly', scriptedOut, '--env', 'EXTRA=yes', '--event', '-'], JSON.stringify({ env: names }));
    expect(ran.code).toBe(0);
    const response = JSON.parse(ran.stdout);
    expect(response).toEqual({
      functionName: expect.stringMatching(/PyLayered/),
      memoryLimitInMB: '256',
      fromLayer: 'from the layer',
      env: { WRAPPED_BY: 'layer bootstrap', GREETING: 'hi', REGION_NAME: 'us-east-1', BUCKET: null, EXTRA: 'yes', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256' },
    });
    // The layer's extension registered and was waited for (its output is part of the function's logs).
    expect(ran.stderr).toMatch(/registered [0-9a-f-]{36} pid \d+/);
    expect(ran.stderr).toMatch(/note: layer arn:aws:lambda:us-east-1:123456789012:layer:elsewhere:3 cannot be fetched locally/);
    expect(reports(ran.stderr)[0].memorySizeMb).toBe(256);
  });

  (canRunArm64 ? test : test.skip)('runs an arm64 Rust hello (under qemu-user on x86_64, and says its times do not compare)', async () => {
    const armOut = synthRustHello(undefined, lambda.Architecture.ARM_64);
    try {
      const ran = await cli(['invoke', 'Hello', '--assembly', armOut, '--count', '2', '--sample', 'function-url']);
      expect(ran.code).toBe(0);
      expect(ran.stdout.trim().split('\n').map(l => JSON.parse(l).message)).toEqual(['Hello, world!', 'Hello, world!']);
      if (process.arch === 'x64') {
        expect(ran.stderr).toContain('note: arm64 bootstrap runs under qemu-user: a functional check only, its times are not comparable with Lambda\'s');
        expect(ran.stderr).toMatch(/summary: .*\(under qemu-user: not comparable with Lambda\)/);
        expect((await cli(['list', '--assembly', armOut])).stdout).toMatch(/LocalRust\/Hello\s+provided\.al2023\s+arm64\s+.*qemu-user/);
      }
    } finally {
      fs.rmSync(armOut, { recursive: true, force: true });
    }
  });

  test('refuses bad input with exit code 2 and a missing function with 1, naming the choices', async () => {
    const unknownSample = await cli(['invoke', 'Hello', '--assembly', rustOut, '--sample', 'kinesis']);
    expect(unknownSample.code).toBe(2);
    expect(unknownSample.stderr).toContain("unknown sample event 'kinesis'; expected one of apigw-v2, function-url, sqs");
    const notJson = await cli(['invoke', 'Hello', '--assembly', rustOut, '--event', '-'], '{nope');
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('the event from standard input is not JSON');
    const count = await cli(['invoke', 'Hello', '--assembly', rustOut, '--count', '0']);
    expect(count.stderr).toContain("--count must be a positive whole number, got '0'");
    const missing = await cli(['invoke', 'Nope', '--assembly', rustOut]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no function 'Nope' in .*; functions: LocalRust\/Hello/);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['--help'])).stdout).toContain('usage: rustacean-lambda <command>');
  });
});

describe('arguments (util.parseArgs, one option set per command)', () => {
  test('an unknown option names itself, the options the command has and where to look', async () => {
    const ran = await cli(['invoke', 'Hello', '--assembly', rustOut, '--evnt', 'e.json']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("rustacean-lambda: invoke: unknown option '--evnt'; expected one of --assembly, --event, --sample, --count, " +
      '--cold, --env, --endpoint, --help (see rustacean-lambda invoke --help)');
    // The command's own usage follows, not the general one.
    expect(ran.stderr).toContain('usage: rustacean-lambda invoke <function> [options]');
    // An option of another command is unknown here.
    expect((await cli(['list', '--warm', '3'])).stderr).toContain("list: unknown option '--warm'");
  });

  test('a missing value, a value given to a switch, a stray argument and a bad number say how to write them', async () => {
    const missing = await cli(['bench', '--assembly', rustOut, '--cold']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("bench: --cold needs a value (--cold <n>); to pass one that starts with '-', write --cold=<value>");
    const swallowed = await cli(['invoke', 'Hello', '--assembly', rustOut, '--event', '--cold']);
    expect(swallowed.stderr).toContain('invoke: --event needs a value (--event <file>)');
    const switchValue = await cli(['list', '--json=yes']);
    expect(switchValue.code).toBe(2);
    expect(switchValue.stderr).toContain('list: --json takes no value; write it alone, as --json');
    const stray = await cli(['invoke', 'Hello', 'World', '--assembly', rustOut]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("invoke: unexpected argument 'World'; expected only <function> (see rustacean-lambda invoke --help)");
    for (const [option, value] of [['--cold', '0'], ['--warm', 'many'], ['--cold', '1.5'], ['--warm', '']]) {
      const bad = await cli(['bench', '--assembly', rustOut, option, value]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`${option} must be a positive whole number, got '${value}'; for example ${option} ${option === '--cold' ? 20 : 100}`);
    }
    const both = await cli(['bench', '--assembly', rustOut, '--event', 'e.json', '--sample', 'sqs']);
    expect(both.stderr).toContain('use either --event or --sample, not both');
    const env = await cli(['invoke', 'Hello', '--assembly', rustOut, '--env', 'NOEQUALS']);
    expect(env.stderr).toContain("--env expects NAME=VALUE, got 'NOEQUALS'; for example --env LOG_LEVEL=debug");
  });

  test('--help and -h print the command\'s options and exit 0; no command prints the commands and exits 2', async () => {
    for (const help of ['--help', '-h']) {
      const ran = await cli(['bench', help]);
      expect(ran.code).toBe(0);
      expect(ran.stdout).toContain('usage: rustacean-lambda bench [<function>...] [options]');
      expect(ran.stdout).toMatch(/^ {2}--cold <n> +cold starts per function \(default: 20\)$/m);
      expect(ran.stdout).toMatch(/^ {2}--warm <n> +warm invokes per function \(default: 100\)$/m);
      expect(ran.stdout).toMatch(/^ {2}--assembly <dir> +the cloud assembly/m);
    }
    expect((await cli(['invoke', '--help'])).stdout).toMatch(/^ {2}--env <NAME=VALUE> +set an environment variable/m);
    const bench = (await cli(['bench', '--help'])).stdout;
    expect(bench).toMatch(/^ {2}--env <NAME=VALUE> +set an environment variable for the functions \(repeatable\)$/m);
    expect(bench).toMatch(/^ {2}--endpoint <url> +send the functions' AWS SDK calls to this endpoint \(AWS_ENDPOINT_URL\)/m);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/^ {2}bench \[<function>\.\.\.\] +cold starts and warm invokes of the functions/m);
    expect(none.stdout).not.toContain('Runtime Interface Emulator');
  });
});

test('runs as a program: `lib/local/cli.ts list` exits 0, an unknown verb exits 2', () => {
  const tsNode = [require.resolve('ts-node/dist/bin.js'), '--transpile-only', '--project', path.join(__dirname, '..', 'tsconfig.json'),
    path.join(__dirname, '..', '..', 'lib', 'local', 'cli.ts')];
  const ok = spawnSync(process.execPath, [...tsNode, 'list', '--assembly', rustOut], { encoding: 'utf8' });
  expect(ok.stderr).toBe('');
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain('LocalRust/Hello');
  const bad = spawnSync(process.execPath, [...tsNode, 'nope'], { encoding: 'utf8' });
  expect(bad.status).toBe(2);
});

describe('--endpoint probe', () => {
  test('an endpoint that accepts connections but never answers is an error after the probe timeout, not a hang', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer(socket => { sockets.push(socket); });
    const port = await new Promise<number>(resolve =>
      silent.listen(0, '127.0.0.1', () => resolve((silent.address() as net.AddressInfo).port)));
    const started = Date.now();
    try {
      await expect(probeEndpoint(`http://127.0.0.1:${port}`, 500)).rejects.toThrow(
        `--endpoint http://127.0.0.1:${port} is not reachable (no answer within 500 ms); start the local endpoint first ` +
        '(for example `moto_server -H 127.0.0.1 -p 5000` and --endpoint http://127.0.0.1:5000), or fix the URL');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      sockets.forEach(socket => socket.destroy());
      silent.close();
    }
  });
});
