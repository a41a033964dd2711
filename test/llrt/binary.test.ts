import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LlrtBinary, LlrtBinaryType, LlrtFunction, LlrtFunctionProps, LlrtReleaseOptions, LlrtVersion } from '../../lib';
import { sha256 as sha256Hex } from '../../lib/core/hash';
import { BinaryStore } from '../../lib/llrt/store';
import {
  closedPort, fakeBootstrap, fakeReleaseZip, listFiles, LLRT_HANDLERS, llrtSandbox, LlrtSandbox, makeZip, ReleaseServer,
  startReleaseServer, writeReleases,
} from '../support/llrt';
import { functionAssetDir } from '../support/rust';

// The binary pipeline against a release server this test starts on 127.0.0.1: no GitHub, no real LLRT binary.

const HELLO = path.join(LLRT_HANDLERS, 'hello.ts');
const TAG = 'v0.8.1-beta';
const ASSET = 'llrt-lambda-arm64.zip';

let sandbox: LlrtSandbox;
let releases: string;
let server: ReleaseServer;

beforeAll(async () => {
  scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-llrt-releases-'));
  releases = path.join(scratchDir, 'releases');
  writeReleases(releases, TAG);
  writeReleases(releases, 'v0.9.0-beta');
  fs.writeFileSync(path.join(releases, 'LATEST'), 'v0.9.0-beta\n');
  // A release whose zip has no bootstrap.
  fs.mkdirSync(path.join(releases, 'v0.0.1-empty'), { recursive: true });
  fs.writeFileSync(path.join(releases, 'v0.0.1-empty', ASSET), makeZip([{ name: 'README.md', data: Buffer.from('no binary') }]));
  server = await startReleaseServer(releases);
});
let scratchDir: string;
afterAll(async () => {
  await server.stop();
  fs.rmSync(scratchDir, { recursive: true, force: true });
});

beforeEach(() => {
  sandbox = llrtSandbox();
});
afterEach(() => sandbox.restore());

/** Synthesizes one function with a release binary the way a new `cdk synth` process would. */
function synth(release: LlrtReleaseOptions = {}, tweak?: () => void, props: Partial<LlrtFunctionProps> = {}) {
  sandbox.freshProcess();
  tweak?.();
  const app = new App({ outdir: fs.mkdtempSync(path.join(sandbox.dir, 'out-')) });
  const stack = new Stack(app, 'Test');
  const fn = new LlrtFunction(stack, 'Fn', {
    entry: HELLO,
    llrtBinary: LlrtBinary.fromRelease({ baseUrl: server.baseUrl, lockFile: sandbox.lockFile, ...release }),
    ...props,
  });
  app.synth();
  return { app, stack, fn, bootstrap: fs.readFileSync(path.join(functionAssetDir(app.outdir, fn), 'bootstrap')) };
}

function synthError(release: LlrtReleaseOptions = {}, tweak?: () => void): string {
  try {
    synth(release, tweak);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth succeeded');
}

const releaseZip = (tag: string, asset = ASSET) => fs.readFileSync(path.join(releases, tag, asset));
const cacheEntry = (tag = TAG, key = 'arm64-standard') => path.join(sandbox.cacheDir, 'llrt', tag, key);
const readLockFile = () => JSON.parse(fs.readFileSync(sandbox.lockFile, 'utf-8'));

describe('first download', () => {
  test('downloads the release zip, caches the bootstrap and records the checksums in the lock file', () => {
    const { bootstrap } = synth();

    expect(BinaryStore.fetches).toBe(1);
    expect(bootstrap.equals(fakeBootstrap('arm64', `${TAG} ${ASSET}`))).toBe(true);
    expect(fs.readdirSync(cacheEntry()).sort()).toEqual(['artifact.json', 'bootstrap']);
    expect(fs.readdirSync(path.dirname(cacheEntry()))).toEqual(['arm64-standard']); // no temporary files left
    expect(readLockFile()).toEqual({
      [`${TAG}/${ASSET}`]: {
        sha256: sha256Hex(releaseZip(TAG)),
        bootstrapSha256: sha256Hex(bootstrap),
        url: `${server.baseUrl}/${TAG}/${ASSET}`,
      },
    });
  });

  test('names the asset after architecture and binary type', () => {
    synth({}, undefined, { architecture: lambda.Architecture.X86_64, llrtBinaryType: LlrtBinaryType.NO_SDK });
    synth({}, undefined, { llrtBinaryType: LlrtBinaryType.FULL_SDK });
    expect(Object.keys(readLockFile())).toEqual([`${TAG}/llrt-lambda-arm64-full-sdk.zip`, `${TAG}/llrt-lambda-x64-no-sdk.zip`]);
    expect(fs.existsSync(path.join(cacheEntry(TAG, 'x64-no-sdk'), 'bootstrap'))).toBe(true);
    expect(fs.existsSync(path.join(cacheEntry(TAG, 'arm64-full-sdk'), 'bootstrap'))).toBe(true);
  });

  test('follows redirects (GitHub sends downloads to its CDN) and locks the canonical URL', () => {
    synth({ baseUrl: `${server.origin}/redirect` });
    expect(readLockFile()[`${TAG}/${ASSET}`].url).toBe(`${server.origin}/redirect/${TAG}/${ASSET}`);
  });

  test('the base URL can come from RUSTACEAN_LAMBDA_LLRT_BASE_URL', () => {
    process.env.RUSTACEAN_LAMBDA_LLRT_BASE_URL = `${server.baseUrl}/`;
    synth({ baseUrl: undefined });
    expect(readLockFile()[`${TAG}/${ASSET}`].url).toBe(`${server.baseUrl}/${TAG}/${ASSET}`);
  });

  test('two functions of one synth share one download', () => {
    sandbox.freshProcess();
    const app = new App({ outdir: path.join(sandbox.dir, 'out') });
    const stack = new Stack(app, 'Test');
    for (const id of ['A', 'B', 'C']) {
      new LlrtFunction(stack, id, { entry: HELLO, llrtBinary: LlrtBinary.fromRelease({ baseUrl: server.baseUrl, lockFile: sandbox.lockFile }) });
    }
    app.synth();
    expect(BinaryStore.fetches).toBe(1);
  });
});

describe('cache', () => {
  test('a cache hit needs no network: the server is unreachable and the synth still succeeds', async () => {
    const first = synth();
    const port = await closedPort();
    const second = synth({ baseUrl: `http://127.0.0.1:${port}/releases/download` });
    expect(BinaryStore.fetches).toBe(0);
    expect(second.bootstrap.equals(first.bootstrap)).toBe(true);
    expect(Template.fromStack(second.stack).toJSON()).toEqual(Template.fromStack(first.stack).toJSON());
  });

  test('a cached bootstrap that was altered is removed and downloaded again', () => {
    synth();
    fs.appendFileSync(path.join(cacheEntry(), 'bootstrap'), 'tampered');
    const { stack, bootstrap } = synth();
    expect(BinaryStore.fetches).toBe(1);
    expect(bootstrap.equals(fakeBootstrap('arm64', `${TAG} ${ASSET}`))).toBe(true);
    Annotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp(`cached LLRT ${TAG} ${ASSET} in .* was corrupt; it was removed`));
  });

  test('a cache entry that disagrees with the lock file is replaced by a download that agrees', () => {
    const tag = 'v0.7.0-beta';
    writeReleases(releases, tag);
    synth({ version: LlrtVersion.of(tag) });
    // Upstream republished the asset and a teammate committed its checksum.
    const republished = fakeReleaseZip('arm64', 'republished');
    fs.writeFileSync(path.join(releases, tag, ASSET), republished);
    const lock = readLockFile();
    lock[`${tag}/${ASSET}`] = { ...lock[`${tag}/${ASSET}`], sha256: sha256Hex(republished), bootstrapSha256: sha256Hex(fakeBootstrap('arm64', 'republished')) };
    fs.writeFileSync(sandbox.lockFile, JSON.stringify(lock));

    const { bootstrap } = synth({ version: LlrtVersion.of(tag) });
    expect(BinaryStore.fetches).toBe(1);
    expect(bootstrap.toString('latin1')).toContain('fake llrt republished');
  });

  test('with RUSTACEAN_LAMBDA_OFFLINE set, a missing cache entry fails without trying the network', () => {
    process.env.RUSTACEAN_LAMBDA_OFFLINE = '1';
    const message = synthError();
    expect(BinaryStore.fetches).toBe(0);
    expect(message).toContain(`LLRT ${TAG} ${ASSET} is not in the cache (${cacheEntry()}) and RUSTACEAN_LAMBDA_OFFLINE forbids downloads; ` +
      `to synthesize offline, use LlrtBinary.fromFile() with a copy of ${ASSET} (or the bootstrap inside it), build LLRT from crates.io with LlrtBinary.fromSource(), copy the cache folder ${cacheEntry()}`);
  });
});

describe('verification', () => {
  test('a download that does not match the lock file fails and leaves no cache entry', () => {
    const wrong = 'f'.repeat(64);
    fs.writeFileSync(sandbox.lockFile, JSON.stringify({ [`${TAG}/${ASSET}`]: { sha256: wrong, bootstrapSha256: wrong, url: 'x' } }));
    const message = synthError();
    expect(message).toContain(`checksum mismatch for LLRT ${TAG} ${ASSET} from ${server.baseUrl}/${TAG}/${ASSET}: ` +
      `expected sha256 ${wrong} (${sandbox.lockFile}), got ${sha256Hex(releaseZip(TAG))}; the download was discarded and ` +
      `nothing was cached; if the asset was republished on purpose, remove "${TAG}/${ASSET}" from ${sandbox.lockFile}`);
    expect(fs.existsSync(cacheEntry())).toBe(false);
    expect(fs.readdirSync(path.dirname(cacheEntry()))).toEqual([]);
    expect(readLockFile()[`${TAG}/${ASSET}`].sha256).toBe(wrong); // the lock is never rewritten to fit a download
  });

  test('sha256 is checked on download and recorded in the lock', () => {
    const right = sha256Hex(releaseZip(TAG));
    synth({ sha256: right });
    expect(readLockFile()[`${TAG}/${ASSET}`].sha256).toBe(right);

    sandbox.freshProcess();
    fs.rmSync(sandbox.lockFile);
    fs.rmSync(sandbox.cacheDir, { recursive: true });
    expect(synthError({ sha256: '0'.repeat(64) })).toContain(`expected sha256 ${'0'.repeat(64)} (sha256), got ${right}`);
    expect(fs.existsSync(cacheEntry())).toBe(false);
  });

  test('a cache hit is checked too: a lock entry for another artifact forces a download, which then fails', () => {
    synth();
    const wrong = 'e'.repeat(64);
    fs.writeFileSync(sandbox.lockFile, JSON.stringify({ [`${TAG}/${ASSET}`]: { sha256: wrong, bootstrapSha256: wrong, url: 'x' } }));
    expect(synthError()).toContain(`checksum mismatch for LLRT ${TAG} ${ASSET}`);
    expect(fs.existsSync(cacheEntry())).toBe(false);
  });

  test('sha256 and the lock file disagreeing is an error before any download', () => {
    synth();
    expect(synthError({ sha256: 'a'.repeat(64) }))
      .toContain(`sha256 ${'a'.repeat(64)} disagrees with ${sandbox.lockFile}, which records ${sha256Hex(releaseZip(TAG))} for ${TAG}/${ASSET}`);
  });

  test('plain http to another host is refused for a first download: the recorded checksum would be unauthenticated', () => {
    // Refused before any connection: nothing answers at this name, and nothing is asked.
    const message = synthError({ baseUrl: 'http://llrt-mirror.example.invalid/releases' });
    expect(message).toContain(`LLRT ${TAG} ${ASSET} would be downloaded from http://llrt-mirror.example.invalid/releases/${TAG}/${ASSET} ` +
      `over plain http with no checksum to check it against (neither sha256 nor ${sandbox.lockFile} pins it)`);
    expect(message).toContain('serve the mirror over https, pin the checksum with LlrtBinary.fromRelease({ sha256 }), or supply the file with LlrtBinary.fromFile()');
    expect(fs.existsSync(cacheEntry())).toBe(false);
    expect(fs.existsSync(sandbox.lockFile)).toBe(false);
    // http to this machine (the loopback mirror every other test uses) is fine, and so is http with a pinned checksum.
    expect(synth({ sha256: sha256Hex(releaseZip(TAG)) }).bootstrap.length).toBeGreaterThan(0);
  });

  test('the lock file is updated under a lock: processes recording at the same time keep every entry', async () => {
    const lockFile = path.join(sandbox.dir, 'concurrent.lock.json');
    // All three start writing at the same moment, and keep writing: without the lock, updates get lost.
    const start = Date.now() + 3_000;
    const script = (key: string) => `const { recordLock } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'llrt', 'store'))});` +
      `while (Date.now() < ${start});` +
      `for (let i = 0; i < 100; i++) recordLock(${JSON.stringify(lockFile)}, '${key}/' + i, { sha256: 'a', bootstrapSha256: 'b', url: 'u' });`;
    const runs = ['one', 'two', 'three'].map(key => new Promise<number | null>(resolve => {
      const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script(key)], { stdio: 'inherit' });
      child.on('exit', resolve);
    }));
    expect(await Promise.all(runs)).toEqual([0, 0, 0]);
    const keys = Object.keys(JSON.parse(fs.readFileSync(lockFile, 'utf-8')));
    expect(keys).toHaveLength(300);
    expect(fs.existsSync(`${lockFile}.lock`)).toBe(false);
  });

  test('a release zip without bootstrap fails and leaves no cache entry', () => {
    const message = synthError({ version: LlrtVersion.of('v0.0.1-empty') });
    expect(message).toContain(`the release asset ${server.baseUrl}/v0.0.1-empty/${ASSET} is not usable: it holds no 'bootstrap' at its root ` +
      '(entries: README.md); nothing was cached');
    expect(fs.existsSync(cacheEntry('v0.0.1-empty'))).toBe(false);
    expect(fs.existsSync(sandbox.lockFile)).toBe(false);
  });
});

describe('download failures', () => {
  test('HTTP 404 names the URL and says how to supply the binary offline', () => {
    const message = synthError({ version: LlrtVersion.of('v9.9.9') });
    expect(message).toContain(`cannot download LLRT v9.9.9 (${ASSET}) from ${server.baseUrl}/v9.9.9/${ASSET}: HTTP 404 Not Found ` +
      '(no such release or asset: check the version at https://github.com/awslabs/llrt/releases); to synthesize offline, ' +
      `use LlrtBinary.fromFile() with a copy of ${ASSET}`);
    expect(fs.existsSync(cacheEntry('v9.9.9'))).toBe(false);
  });

  test('an unreachable server is a network error with the offline instructions', async () => {
    const port = await closedPort();
    const base = `http://127.0.0.1:${port}/releases/download`;
    const message = synthError({ baseUrl: base });
    expect(message).toContain(`cannot download LLRT ${TAG} (${ASSET}) from ${base}/${TAG}/${ASSET}: network error: ` +
      `connect ECONNREFUSED 127.0.0.1:${port} (no network, a proxy, or a firewall?); to synthesize offline, use LlrtBinary.fromFile()`);
    expect(message).toContain('or serve the release assets from a mirror as <base>/<tag>/<asset> and set baseUrl (LlrtBinary.fromRelease) or RUSTACEAN_LAMBDA_LLRT_BASE_URL');
    expect(fs.existsSync(cacheEntry())).toBe(false);
  });

  test('a server that never answers times out', () => {
    const message = synthError({ baseUrl: `${server.origin}/hang` }, () => { BinaryStore.idleTimeoutMs = 300; });
    expect(message).toContain(`cannot download LLRT ${TAG} (${ASSET}) from ${server.origin}/hang/${TAG}/${ASSET}: timed out (no data for 0.3 s)`);
  });

  test('a connection closed mid-download fails and leaves nothing behind', () => {
    const message = synthError({ baseUrl: `${server.origin}/truncated` });
    expect(message).toMatch(/network error: connection closed after \d+ of \d+ bytes|network error: aborted/);
    expect(fs.existsSync(cacheEntry())).toBe(false);
    expect(fs.readdirSync(path.dirname(cacheEntry()))).toEqual([]);
  });
});

describe('LlrtBinary.fromFile', () => {
  test('works with no server at all, never touches cache or lock', async () => {
    const zip = path.join(sandbox.dir, ASSET);
    fs.writeFileSync(zip, fakeReleaseZip('arm64', 'local'));
    const port = await closedPort();
    const { bootstrap } = synth({ baseUrl: `http://127.0.0.1:${port}` }, undefined, { llrtBinary: LlrtBinary.fromFile(zip) });
    expect(bootstrap.toString('latin1')).toContain('fake llrt local');
    expect(BinaryStore.fetches).toBe(0);
    expect(fs.existsSync(sandbox.cacheDir)).toBe(false);
    expect(fs.existsSync(sandbox.lockFile)).toBe(false);
  });
});

describe('LlrtVersion.LATEST', () => {
  test('is resolved through the release server, then cached and locked like a pinned version', () => {
    const { stack, bootstrap } = synth({ version: LlrtVersion.LATEST });
    expect(bootstrap.toString('latin1')).toContain(`fake llrt v0.9.0-beta ${ASSET}`);
    expect(Object.keys(readLockFile())).toEqual([`v0.9.0-beta/${ASSET}`]);
    Annotations.fromStack(stack).hasWarning('/Test/Fn',
      Match.stringLikeRegexp("LlrtVersion.LATEST resolved to v0.9.0-beta; pin it with LlrtVersion.of\\('v0.9.0-beta'\\)"));

    // The look-up is remembered for a day, and the release comes from the cache: no request at all.
    const again = synth({ version: LlrtVersion.LATEST });
    expect(again.bootstrap.equals(bootstrap)).toBe(true);
    expect(BinaryStore.fetches).toBe(0);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(sandbox.cacheDir, 'llrt', 'latest.json'), 'utf-8'))))
      .toEqual([`${server.baseUrl}/latest`]);
  });

  test('a mirror without a latest pointer fails with a hint to pin a version', async () => {
    const port = await closedPort();
    expect(synthError({ version: LlrtVersion.LATEST, baseUrl: `http://127.0.0.1:${port}` }))
      .toContain(`cannot look up the latest LLRT release from http://127.0.0.1:${port}/latest: network error`);
  });
});

describe('layer mode', () => {
  test('the shared layer gets the downloaded bootstrap; functions only index.mjs', () => {
    sandbox.freshProcess();
    const app = new App({ outdir: path.join(sandbox.dir, 'out') });
    const stack = new Stack(app, 'Test');
    const fns = ['A', 'B'].map(id => new LlrtFunction(stack, id, {
      entry: HELLO, llrtBinary: LlrtBinary.fromRelease({ baseUrl: server.baseUrl, lockFile: sandbox.lockFile }), useLlrtLayer: true,
    }));
    app.synth();
    expect(BinaryStore.fetches).toBe(1);
    for (const fn of fns) expect(listFiles(functionAssetDir(app.outdir, fn))).toEqual(['index.mjs']);
    const layer = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'));
    expect(layer).toHaveLength(1);
    const dir = path.join(app.outdir, `asset.${(layer[0].Properties.Content.S3Key as string).replace('.zip', '')}`);
    expect(fs.readFileSync(path.join(dir, 'bootstrap')).equals(fakeBootstrap('arm64', `${TAG} ${ASSET}`))).toBe(true);
  });
});
