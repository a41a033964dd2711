import { Duration } from 'aws-cdk-lib';
import { BuildCacheConfig, SccacheStorageConfig } from '../core/cargo/build-cache';

/** Options of a local sccache folder. */
export interface SccacheLocalOptions {
  /**
   * The folder sccache keeps its cache in (`SCCACHE_DIR`). Keep it between CI runs (actions/cache) to share it.
   *
   * @default - sccache's default: `~/.cache/sccache` on Linux, `~/Library/Caches/Mozilla.sccache` on macOS
   */
  readonly directory?: string;

  /**
   * Largest size of the folder (`SCCACHE_CACHE_SIZE`), e.g. `'10G'`.
   *
   * @default - sccache's default, 10 GiB
   */
  readonly maxSize?: string;
}

/** Options of a Redis cache shared by a team. */
export interface SccacheRedisOptions {
  /**
   * The Redis URL (`SCCACHE_REDIS_ENDPOINT`): `redis://host:port`, `rediss://` for TLS, credentials as
   * `redis://user:password@host:port`.
   */
  readonly endpoint: string;

  /**
   * How long an entry lives (`SCCACHE_REDIS_EXPIRATION`).
   *
   * @default - forever (configure Redis as an LRU cache with `maxmemory-policy allkeys-lru`)
   */
  readonly expiration?: Duration;

  /**
   * A prefix for every key (`SCCACHE_REDIS_KEY_PREFIX`), to share one Redis between projects.
   *
   * @default - none
   */
  readonly keyPrefix?: string;
}

/** Options of an S3 (or S3-compatible) cache. */
export interface SccacheS3Options {
  /** The bucket (`SCCACHE_BUCKET`). */
  readonly bucket: string;

  /**
   * The bucket's region (`SCCACHE_REGION`). Required unless `endpoint` is given.
   *
   * @default - `auto` with an `endpoint`; without one, an error at synth
   */
  readonly region?: string;

  /**
   * An S3-compatible endpoint such as MinIO or R2 (`SCCACHE_ENDPOINT`): `host:port` or an `http(s)://` URL.
   *
   * @default - AWS S3 in `region`
   */
  readonly endpoint?: string;

  /**
   * A prefix for every object (`SCCACHE_S3_KEY_PREFIX`).
   *
   * @default - none
   */
  readonly keyPrefix?: string;

  /**
   * Use HTTPS to the endpoint (`SCCACHE_S3_USE_SSL`).
   *
   * @default - false for an `http://` endpoint, true otherwise
   */
  readonly useSsl?: boolean;

  /**
   * Read a public bucket without credentials (`SCCACHE_S3_NO_CREDENTIALS`): a read-only cache.
   *
   * @default false
   */
  readonly noCredentials?: boolean;
}

/** Options of the GitHub Actions cache. */
export interface SccacheGitHubActionsOptions {
  /**
   * A namespace for the cache (`SCCACHE_GHA_VERSION`); change it to start from an empty cache.
   *
   * @default - sccache's default
   */
  readonly version?: string;
}

/**
 * Where sccache keeps what it compiled: a local folder, or a store a team or CI shares.
 *
 * @example
 * new RustFunction(this, 'Api', {
 *   manifestPath: 'rust-handlers',
 *   binaryName: 'http-api',
 *   bundling: {
 *     buildCache: BuildCache.sccache({
 *       storage: SccacheStorage.s3({ bucket: 'team-build-cache', region: 'eu-west-1' }),
 *     }),
 *   },
 * });
 */
export class SccacheStorage {
  /** A folder on this machine (sccache's default storage). */
  public static local(options: SccacheLocalOptions = {}): SccacheStorage {
    return new SccacheStorage({ kind: 'local', directory: options.directory, maxSize: options.maxSize });
  }

  /** A Redis server shared by a team or CI. */
  public static redis(options: SccacheRedisOptions): SccacheStorage {
    return new SccacheStorage({
      kind: 'redis',
      endpoint: options.endpoint,
      expirationSeconds: options.expiration?.toSeconds(),
      keyPrefix: options.keyPrefix,
    });
  }

  /** An S3 bucket, or an S3-compatible store (MinIO, R2, ...) through `endpoint`; credentials come from the usual AWS variables. */
  public static s3(options: SccacheS3Options): SccacheStorage {
    return new SccacheStorage({ kind: 's3', ...options });
  }

  /**
   * The GitHub Actions cache (`SCCACHE_GHA_ENABLED`). Inside a workflow the step must export ACTIONS_RESULTS_URL and
   * ACTIONS_RUNTIME_TOKEN (the README shows how); elsewhere the build runs without the cache and says so.
   */
  public static githubActions(options: SccacheGitHubActionsOptions = {}): SccacheStorage {
    return new SccacheStorage({ kind: 'gha', version: options.version });
  }

  /** @internal */
  public readonly _config: SccacheStorageConfig;

  private constructor(config: SccacheStorageConfig) {
    this._config = config;
  }
}

/** Options of the sccache build cache. */
export interface SccacheOptions {
  /**
   * Where the cache lives.
   *
   * @default SccacheStorage.local()
   */
  readonly storage?: SccacheStorage;

  /**
   * Path of the sccache executable.
   *
   * @default - `sccache` on PATH
   */
  readonly sccachePath?: string;
}

/**
 * A compile cache for cargo builds: compiled crates are kept and reused by every later build that compiles the
 * same crate the same way, on this machine or, with a shared storage, on any machine of a team or CI. The output
 * is the same with or without it, so it is not part of the asset hash.
 *
 * An app-wide default for every function (and `LlrtBinary.fromSource()`, `WebAdapterLayer.fromSource()`, the
 * benchmark driver) needs no code: the CDK context key `rustacean-lambda:buildCache` or the environment variable
 * `RUSTACEAN_LAMBDA_BUILD_CACHE`, each `sccache` (a local folder), `local:<folder>`, `redis://host:port`,
 * `s3://bucket?region=<region>` or `gha`.
 *
 * @example
 * new RustFunction(this, 'Api', {
 *   manifestPath: 'rust-handlers',
 *   binaryName: 'http-api',
 *   bundling: {
 *     buildCache: BuildCache.sccache({
 *       storage: SccacheStorage.redis({ endpoint: 'redis://build-cache.internal:6379' }),
 *     }),
 *   },
 * });
 */
export class BuildCache {
  /** Compile through sccache (`RUSTC_WRAPPER`), with a local folder unless `storage` says otherwise. */
  public static sccache(options: SccacheOptions = {}): BuildCache {
    return new BuildCache({
      kind: 'sccache',
      storage: (options.storage ?? SccacheStorage.local())._config,
      sccachePath: options.sccachePath,
    });
  }

  /** No compile cache, even when the app-wide default sets one. */
  public static none(): BuildCache {
    return new BuildCache({ kind: 'none' });
  }

  /** @internal */
  public readonly _config: BuildCacheConfig;

  private constructor(config: BuildCacheConfig) {
    this._config = config;
  }
}
