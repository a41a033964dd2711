/**
 * A real shared build cache for tests and benchmarks: a redis-server of our own on 127.0.0.1 (a free port, no
 * persistence, stopped after), and sccache's statistics read from its own server (`sccache --show-stats
 * --stats-format json`) on a port of our own, so no other sccache server is touched.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { freePort } from '../../lib/core/process';

export interface LocalRedis {
  readonly port: number;
  readonly endpoint: string;
  /** Number of keys (what sccache stored). */
  dbsize(): number;
  /** Empties it (a cold cache). */
  flush(): void;
  stop(): void;
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf-8' }).stdout?.trim() ?? '';
}

/** Starts `redis-server` on a free loopback port and waits until it answers PING. */
export async function startRedis(): Promise<LocalRedis> {
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  let failed: Error | undefined;
  server.once('error', e => { failed = e; });
  const deadline = Date.now() + 10_000;
  while (cli(port, 'ping') !== 'PONG') {
    if (failed || Date.now() > deadline) {
      server.kill();
      throw new Error(`redis-server did not answer on 127.0.0.1:${port}${failed ? ` (${failed.message})` : ''}; ` +
        'install it with `npm run setup` (apt-get install redis-server)');
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    port,
    endpoint: `redis://127.0.0.1:${port}`,
    dbsize: () => Number(cli(port, 'dbsize')),
    flush: () => { cli(port, 'flushall'); },
    stop: () => { server.kill(); },
  };
}

export interface SccacheCounts {
  readonly hits: number;
  readonly misses: number;
  /** Compiles sccache could not cache, by reason (`crate-type` for binaries, ...). */
  readonly notCached: Record<string, number>;
  readonly location: string;
}

/** An sccache server of our own: the environment that points at it, its statistics, and stopping it. */
export async function isolatedSccache() {
  const env: NodeJS.ProcessEnv = { ...process.env, SCCACHE_SERVER_PORT: String(await freePort()) };
  return {
    env,
    port: env.SCCACHE_SERVER_PORT!,
    stats(): SccacheCounts {
      const result = spawnSync('sccache', ['--show-stats', '--stats-format', 'json'], { env, encoding: 'utf-8' });
      if (result.status !== 0) throw new Error(`sccache --show-stats failed: ${result.stderr}`);
      interface Counts { counts: Record<string, number> }
      const json = JSON.parse(result.stdout) as {
        stats: { cache_hits: Counts; cache_misses: Counts; not_cached: Record<string, number> };
        cache_location: string;
      };
      const sum = (counts: Record<string, number>) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
      return {
        hits: sum(json.stats.cache_hits.counts),
        misses: sum(json.stats.cache_misses.counts),
        notCached: json.stats.not_cached ?? {},
        location: json.cache_location,
      };
    },
    stop(): void {
      spawnSync('sccache', ['--stop-server'], { env, stdio: 'ignore' });
    },
  };
}
