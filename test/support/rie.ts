/**
 * Runs a launch plan under AWS's Runtime Interface Emulator (RIE) instead of our host, as a
 * reference for protocol fidelity: the same bootstrap and the same event must give the same
 * response under both. RIE's own timings are not used (its Init Duration is known to be wrong
 * and it does not measure memory).
 *
 * RIE is started as `aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:<port>
 * --runtime-api-address 127.0.0.1:<port> <command...>` and invoked with
 * `POST /2015-03-31/functions/function/invocations`; loopback only.
 */
import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { freePort, onPath, runChecked } from '../../lib/core/process';
import { ensureInstalled, localHome } from '../../lib/local/clients';
import type { LaunchPlan } from '../../lib/local/runtimes';

/** The Runtime Interface Emulator, as the Go module proxy serves it (it serves no tagged release of it). */
export const RIE_VERSION = process.env.RUSTACEAN_LAMBDA_RIE_VERSION ?? 'v0.0.0-20261030222936-bef5c4ba774d';
const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie';

/** Path of the `aws-lambda-rie` binary; builds it with `go install` into .rustacean-lambda/tools when missing (needs Go). */
export function ensureRie(log: (line: string) => void = () => undefined): string {
  const dir = path.join(localHome(), 'tools', `aws-lambda-rie-${RIE_VERSION}`);
  const installed = ensureInstalled(dir, `aws-lambda-rie ${RIE_VERSION} (Go module proxy)`, log, staging => {
    if (!onPath('go')) throw new Error('the Runtime Interface Emulator is built with `go install`, but `go` is not on PATH');
    runChecked('go', ['install', `${RIE_MODULE}@${RIE_VERSION}`], `go install ${RIE_MODULE}@${RIE_VERSION}`, { env: { ...process.env, GOBIN: staging } });
  });
  return path.join(installed, 'aws-lambda-rie');
}

/** A running RIE with one function behind it. */
export interface RieFunction {
  /** Posts an event; resolves to the response body RIE returns. */
  invoke(event: unknown): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
  /** What RIE and the function wrote. */
  output(): string;
}

/** Options for {@link startRie}. */
export interface RieOptions {
  readonly functionName?: string;
  readonly memorySizeMb?: number;
  readonly handler?: string;
  /** How long to wait for RIE to listen. @default 10000 */
  readonly startTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Starts RIE with the plan's command line and environment. */
export async function startRie(plan: LaunchPlan, options: RieOptions = {}): Promise<RieFunction> {
  const rie = ensureRie(options.log);
  const [invokePort, apiPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_FUNCTION_NAME: options.functionName ?? 'local-function',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySizeMb ?? 128),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    _HANDLER: options.handler ?? 'bootstrap',
    LAMBDA_TASK_ROOT: plan.taskRoot,
    LOG_LEVEL: 'error',
    ...plan.env,
  };
  const args = [
    '--runtime-interface-emulator-address', `127.0.0.1:${invokePort}`,
    '--runtime-api-address', `127.0.0.1:${apiPort}`,
    plan.bootstrap, ...plan.bootstrapArgs,
  ];
  const child: ChildProcess = spawn(rie, args, { cwd: plan.taskRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => { output += c; });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => { output += c; });
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    }
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (await canConnect(invokePort)) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill();
      throw new Error(`aws-lambda-rie did not start listening on 127.0.0.1:${invokePort}:\n${output}`);
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }

  return {
    invoke: event => post(invokePort, '/2015-03-31/functions/function/invocations', typeof event === 'string' ? event : JSON.stringify(event ?? {})),
    stop: kill,
    output: () => output,
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function post(port: number, urlPath: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: urlPath,
      agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, res => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
