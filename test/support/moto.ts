/**
 * A local AWS for tests and benchmarks: `moto_server` (moto[server], pinned in scripts/tool-versions.env and installed
 * by scripts/setup.sh into .rustacean-lambda/tools/) on 127.0.0.1, started and stopped by the caller.
 *
 * The functions of the real-workload rows reach it through the SDKs' standard endpoint override,
 * `AWS_ENDPOINT_URL` (every AWS SDK and the CLI read it), with throw-away credentials and a region: see
 * {@link LocalAws.functionEnvironment}. Nothing here reaches AWS.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { freePort } from '../../lib/core/process';

const REPO = path.resolve(__dirname, '..', '..');
/** The pinned moto_server that scripts/setup.sh installs. */
export const MOTO_SERVER = path.join(REPO, '.rustacean-lambda', 'tools', 'bin', 'moto_server');
/** The region the local AWS is addressed in (moto accepts any). */
export const LOCAL_REGION = 'us-east-1';

export interface LocalAws {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** What a function (or the CDK CLI) needs to talk to this server instead of AWS. */
  functionEnvironment(): Record<string, string>;
  /** Sends one AWS JSON-1.0 request (DynamoDB's protocol) and returns the parsed answer; throws on an error answer. */
  dynamodb(operation: string, body: unknown): Promise<any>;
  /** Creates a DynamoDB table with a string partition key (on-demand); no-op when it exists. */
  createTable(name: string, partitionKey?: string): Promise<void>;
  /** Stops the server (idempotent). */
  stop(): Promise<void>;
}

export interface StartLocalAwsOptions {
  /** A fixed port; a port in use is an error naming it. @default a free port */
  readonly port?: number;
  /** How long to wait for the server to answer. @default 30 s */
  readonly timeoutMs?: number;
  /** Called with every chunk the server writes (stdout and stderr: its request log and its warnings). */
  readonly onOutput?: (text: string) => void;
  /** The moto_server executable. @default MOTO_SERVER, the one scripts/setup.sh installs */
  readonly motoServer?: string;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts moto_server on 127.0.0.1 and waits until it answers. Throws, with the fix, when moto is not installed, the
 * port is taken or the server does not come up in time (the process is stopped then: no hang, nothing left over).
 */
export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const motoServer = options.motoServer ?? MOTO_SERVER;
  if (!fs.existsSync(motoServer)) {
    const shown = path.relative(process.cwd(), motoServer).startsWith('..') ? motoServer : path.relative(process.cwd(), motoServer);
    throw new Error(`moto_server is not installed at ${shown}; ` +
      'run `npm run setup` (scripts/setup.sh installs the pinned moto[server] into .rustacean-lambda/tools)');
  }
  const port = options.port ?? await freePort();
  if (await portInUse(port)) {
    throw new Error(`cannot start moto_server on 127.0.0.1:${port}: the port is in use; stop what listens there, ` +
      'or pick another port');
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const server: ChildProcess = spawn(motoServer, ['-H', '127.0.0.1', '-p', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output.push(text);
    if (output.length > 200) output.shift();
    options.onOutput?.(text);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  let exited: string | undefined;
  server.once('exit', (code, signal) => { exited = `exited with ${signal ?? `code ${code}`}`; });
  server.once('error', e => { exited = e.message; });

  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) return;
    const gone = new Promise<void>(resolve => server.once('exit', () => resolve()));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok || response.status < 500) break;
    } catch {
      // not up yet
    }
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} ` +
        `(${exited ?? `after ${options.timeoutMs ?? 30_000} ms`}); its output:\n${output.join('').slice(-2000)}`);
    }
    await new Promise(r => setTimeout(r, 150));
  }

  const dynamodb = async (operation: string, body: unknown) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDB_20120810.${operation}`,
        // moto does not check signatures; the header only has to name a region and a key id.
        'authorization': `AWS4-HMAC-SHA256 Credential=testing/20260101/${LOCAL_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : {};
    if (!response.ok) throw new Error(`DynamoDB ${operation} on ${endpoint} failed (${response.status}): ${text}`);
    return parsed;
  };

  return {
    port,
    endpoint,
    functionEnvironment: () => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
    }),
    dynamodb,
    createTable: async (name: string, partitionKey = 'pk') => {
      try {
        await dynamodb('CreateTable', {
          TableName: name,
          AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        });
      } catch (err) {
        if (!/ResourceInUseException/.test((err as Error).message)) throw err;
      }
    },
    stop,
  };
}
