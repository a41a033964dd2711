/**
 * The core's crate fetch (LLRT and the Web Adapter build from it), against a crates.io-style registry on 127.0.0.1:
 * the sparse index, the `.crate` download, the checksum, the unpacked package, and bad input leaving nothing behind.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CACHE_ENV } from '../../lib/core/cache';
import { fetchCrateSource, SOURCE_MARKER, sparseIndexPath } from '../../lib/core/cargo/crate-source';
import { sha256File } from '../../lib/core/hash';
import { ReleaseServer, startReleaseServer } from '../support/llrt';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-core-crates-'));
const registry = path.join(root, 'registry');
let server: ReleaseServer;
let counter = 0;

/** Packs `<crate>-<version>/` as a .crate into the registry and returns its SHA-256. */
function publish(crate: string, version: string, files: Record<string, string>): string {
  const src = path.join(root, `src-${counter++}`, `${crate}-${version}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    fs.writeFileSync(path.join(src, name), text);
  }
  const crateFile = path.join(registry, 'crates', crate, `${crate}-${version}.crate`);
  fs.mkdirSync(path.dirname(crateFile), { recursive: true });
  execFileSync('tar', ['-czf', crateFile, '-C', path.dirname(src), path.basename(src)]);
  return sha256File(crateFile);
}

function writeIndex(crate: string, entries: Array<{ vers: string; cksum: string; yanked?: boolean }>): void {
  const file = path.join(registry, 'index', sparseIndexPath(crate));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, entries.map(e => JSON.stringify({ name: crate, deps: [], features: {}, yanked: false, ...e })).join('\n') + '\n');
}

const PACKAGE = {
  'Cargo.toml': '[package]\nname = "demo-tool"\nversion = "1.0.0"\nedition = "2021"\n',
  'Cargo.lock': '# lock\nversion = 3\n',
  'src/main.rs': 'fn main() {}\n',
  '.cargo/config.toml': '[target.x86_64-unknown-linux-musl]\nlinker = "upstream-ci-only"\n',
};

function fetchDemo(cache: string, version: string, extra: { requireLock?: boolean } = {}) {
  return fetchCrateSource({
    crate: 'demo-tool',
    version,
    crateDir: path.join(cache, 'demo-source', version, 'demo-tool'),
    requireLock: extra.requireLock ?? true,
    otherwise: 'use DemoBinary.fromFile()',
    example: 'DemoBinary.fromSource() (the default)',
    indexUrl: `${server.origin}/files/index`,
    downloadUrl: `${server.origin}/files/crates/`,
  });
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

beforeAll(async () => {
  const good = publish('demo-tool', '1.0.0', PACKAGE);
  publish('demo-tool', '1.0.1', PACKAGE);
  const noLock = publish('demo-tool', '1.1.0', { 'Cargo.toml': PACKAGE['Cargo.toml'], 'src/main.rs': PACKAGE['src/main.rs'] });
  writeIndex('demo-tool', [
    { vers: '0.9.0', cksum: good, yanked: true },
    { vers: '1.0.0', cksum: good },
    { vers: '1.0.1', cksum: '0'.repeat(64) }, // the download will not match
    { vers: '1.1.0', cksum: noLock },
  ]);
  server = await startReleaseServer(registry);
});

afterAll(async () => {
  await server.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

test('sparse index paths follow the registry layout for every name length', () => {
  expect(sparseIndexPath('a')).toBe('1/a');
  expect(sparseIndexPath('ab')).toBe('2/ab');
  expect(sparseIndexPath('abc')).toBe('3/a/abc');
  expect(sparseIndexPath('llrt')).toBe('ll/rt/llrt');
  expect(sparseIndexPath('Lambda_Web_Adapter')).toBe('la/mb/lambda_web_adapter');
});

test('fetches, checks and unpacks a version; upstream\'s .cargo is left out; later calls use the cache only', async () => {
  const cache = fs.mkdtempSync(path.join(root, 'cache-'));
  const dir = fetchDemo(cache, '1.0.0');
  expect(dir).toBe(path.join(cache, 'demo-source', '1.0.0', 'demo-tool'));
  expect(fs.readdirSync(dir).sort()).toEqual([SOURCE_MARKER, 'Cargo.lock', 'Cargo.toml', 'src'].sort());
  expect(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf-8')).toMatch(/\n\[workspace\]\n$/);
  expect(fs.readFileSync(path.join(dir, SOURCE_MARKER), 'utf-8')).toMatch(/^demo-tool 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/files\/crates\/demo-tool\/demo-tool-1\.0\.0\.crate, sha256 [0-9a-f]{64}\n$/);
  expect(fs.readdirSync(path.dirname(dir))).toEqual(['demo-tool']); // no fetch folder left behind

  // The registry is gone: the cached copy is enough.
  const saved = server;
  await saved.stop();
  try {
    expect(fetchDemo(cache, '1.0.0')).toBe(dir);
  } finally {
    server = await startReleaseServer(registry);
  }
});

describe('bad input fails and leaves nothing in the cache', () => {
  const emptyAfter = (f: (cache: string) => unknown) => {
    const cache = fs.mkdtempSync(path.join(root, 'cache-'));
    const message = errorOf(() => f(cache));
    expect(fs.readdirSync(cache)).toEqual([]);
    return message;
  };

  test('a version the index does not list, or lists as yanked', () => {
    expect(emptyAfter(cache => fetchDemo(cache, '2.0.0'))).toBe(
      'crates.io has no demo-tool 2.0.0; published versions include 1.0.0, 1.0.1, 1.1.0; choose one of them, e.g. DemoBinary.fromSource() (the default)');
    expect(emptyAfter(cache => fetchDemo(cache, '0.9.0'))).toMatch(/^crates\.io has no unyanked demo-tool 0\.9\.0; published versions include 1\.0\.0/);
  });

  test('a download that does not match the index\'s checksum', () => {
    expect(emptyAfter(cache => fetchDemo(cache, '1.0.1'))).toMatch(new RegExp(
      '^checksum mismatch for http://127\\.0\\.0\\.1:\\d+/files/crates/demo-tool/demo-tool-1\\.0\\.1\\.crate: the index records sha256 0{64}, ' +
      'the download has [0-9a-f]{64}; nothing was cached; synthesize again'));
  });

  test('a package without the lock file it must build with', () => {
    expect(emptyAfter(cache => fetchDemo(cache, '1.1.0'))).toBe('the demo-tool 1.1.0 package from crates.io has no Cargo.lock; demo-tool only ' +
      'builds with the dependency versions it was released with: choose a release that ships its lock file');
  });

  test('an index the registry does not serve names the URL, the mirror settings and the way around', () => {
    const message = emptyAfter(cache => fetchCrateSource({
      crate: 'other-tool',
      version: '1.0.0',
      crateDir: path.join(cache, 'other', '1.0.0', 'other-tool'),
      otherwise: 'use OtherBinary.fromFile()',
      example: '-',
      indexUrl: `${server.origin}/files/index`,
      downloadUrl: `${server.origin}/files/crates`,
    }));
    expect(message).toMatch(/^cannot read the crates\.io index entry of other-tool \(http:\/\/127\.0\.0\.1:\d+\/files\/index\/ot\/he\/other-tool\): HTTP 404; /);
    expect(message).toContain('set RUSTACEAN_LAMBDA_CRATES_INDEX_URL and RUSTACEAN_LAMBDA_CRATES_DOWNLOAD_URL to a mirror), or use OtherBinary.fromFile()');
  });

  test(`offline (${CACHE_ENV.offline}) with nothing cached`, () => {
    process.env[CACHE_ENV.offline] = '1';
    try {
      expect(emptyAfter(cache => fetchDemo(cache, '1.0.0'))).toMatch(
        new RegExp(`^the source of demo-tool 1\\.0\\.0 is not in the cache \\(.*\\) and ${CACHE_ENV.offline} forbids downloads`));
    } finally {
      delete process.env[CACHE_ENV.offline];
    }
  });
});
