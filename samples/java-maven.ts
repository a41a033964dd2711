/**
 * A small Maven module built at synth into Lambda's Java zip layout: the compiled classes at the root and the runtime
 * dependencies as `lib/*.jar` (what Lambda's Java client puts on the handler's class path). The build is cached by a
 * hash of the module's pom.xml and src/ in `<cache root>/java-maven/` (RUSTACEAN_LAMBDA_CACHE), so a later synth of
 * the same sources runs no Maven at all. Maven builds a copy of the module in a temporary folder: nothing is
 * written next to the sources.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { cacheRoot, offline, stageDirectory, withFileLock } from '../lib/core/cache';
import { onPath, runChecked } from '../lib/core/process';

/** Where {@link buildMavenModule} keeps its builds. */
export function mavenCacheDir(): string {
  return path.join(cacheRoot(), 'java-maven');
}

/** What {@link buildMavenModule} did. */
export interface MavenBuild {
  /** The folder in Lambda's layout (classes at the root, `lib/*.jar`). */
  readonly dir: string;
  /** False when the folder came from the cache. */
  readonly built: boolean;
}

/** Builds (or takes from the cache) the Maven module at `moduleDir` in Lambda's zip layout. */
export function buildMavenModule(moduleDir: string, log: (line: string) => void = () => undefined): MavenBuild {
  const pom = path.join(moduleDir, 'pom.xml');
  if (!fs.existsSync(pom)) throw new Error(`${moduleDir} is not a Maven module: it has no pom.xml`);
  const sources = ['pom.xml', ...listFiles(path.join(moduleDir, 'src')).map(f => path.relative(moduleDir, f))].sort();
  const hash = crypto.createHash('sha256');
  for (const rel of sources) hash.update(`${rel.split(path.sep).join('/')}\0`).update(fs.readFileSync(path.join(moduleDir, rel))).update('\0');
  const dir = path.join(mavenCacheDir(), `${path.basename(moduleDir)}-${hash.digest('hex').slice(0, 16)}`);
  const complete = (d: string) => fs.existsSync(path.join(d, '.complete'));
  if (complete(dir)) return { dir, built: false };
  return withFileLock(dir, () => {
    if (complete(dir)) return { dir, built: false };
    if (!onPath('mvn')) {
      throw new Error(`building the Java module ${moduleDir} needs Maven (\`mvn\`) and a JDK 17 or newer on PATH; on Debian: ` +
        '`apt-get install maven openjdk-17-jdk-headless`');
    }
    log(`building ${moduleDir} with Maven (once per change of its sources)`);
    stageDirectory(dir, staging => {
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rustacean-lambda-maven-'));
      try {
        fs.copyFileSync(pom, path.join(work, 'pom.xml'));
        fs.cpSync(path.join(moduleDir, 'src'), path.join(work, 'src'), { recursive: true });
        runChecked('mvn', ['-B', '-q', ...(offline() ? ['-o'] : []), '-f', path.join(work, 'pom.xml'),
          'compile', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${path.join(staging, 'lib')}`],
        `mvn compile of ${moduleDir}`, { timeoutMs: 15 * 60_000 });
        fs.cpSync(path.join(work, 'target', 'classes'), staging, { recursive: true });
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
      fs.writeFileSync(path.join(staging, '.complete'), `${new Date().toISOString()}\n`);
    }, { complete });
    return { dir, built: true };
  }, { waitMs: Infinity, staleMs: 30 * 60_000, pollMs: 500 });
}

/** {@link buildMavenModule} as Lambda code (the cache marker left out of the asset). */
export function javaMavenCode(moduleDir: string, log?: (line: string) => void): lambda.AssetCode {
  return lambda.Code.fromAsset(buildMavenModule(moduleDir, log).dir, { exclude: ['.complete'] });
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}
