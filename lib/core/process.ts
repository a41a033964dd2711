import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the command after this long. @default - no limit */
  readonly timeoutMs?: number;
  /** Run through the system shell (Windows' `npm.cmd` needs it). @default false */
  readonly shell?: boolean;
}

/** spawnSync with the settings every tool call here wants: text output, a large buffer, no shell unless asked. */
export function run(command: string, args: string[], options: RunOptions = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf-8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
    shell: options.shell,
  });
}

/** {@link run}, throwing `<what> failed (<reason>):` with the tail of the output when the command fails. */
export function runChecked(command: string, args: string[], what: string, options: RunOptions = {}): SpawnSyncReturns<string> {
  const result = run(command, args, options);
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    const tail = output.length > 4_000 ? `...${output.slice(-4_000)}` : output;
    throw new Error(`${what} failed (${result.error?.message ?? `exit code ${result.status}`})${tail ? `:\n${tail}` : ''}`);
  }
  return result;
}

/** The last `lines` lines of a command's output, indented, for an error message. */
export function outputTail(text: string | undefined, lines = 15): string {
  return `${text ?? ''}`.trim().split('\n').slice(-lines).map(l => `  ${l}`).join('\n');
}

/** Whether `file` is a file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Whether an executable of that name is on PATH (or `searchPath`). */
export function onPath(tool: string, searchPath = process.env.PATH ?? ''): boolean {
  return searchPath.split(path.delimiter).some(dir => dir !== '' && isExecutableFile(path.join(dir, tool)));
}

/** Resolves true if `promise` settles (either way) within `ms`, false otherwise; never rejects. */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** A free loopback port (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Blocks this thread for `ms` (synth is synchronous; used while waiting for a lock). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
