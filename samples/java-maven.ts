/**
 * A small Maven module built at synth into Lambda's Java zip layout: the compiled classes at the root and the runtime
 * dependencies as `lib/*.jar` (what Lambda's Java client puts on the handler's class path). The build is cached by a
 * hash of the module's pom.xml and src/ in `<cache>/java-maven/` ($RUSTACEAN_LAMBDA_CACHE, else
 * ~/.cache/rustacean-lambda), so a later synth of the same sources runs no Maven at all. Maven builds a copy of the
 * module in a temporary folder: nothing is written next to the sources.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

const COMPLETE = '.complete';

/** Where {@link buildMavenModule} keeps its builds. */
export function mavenCacheDir(): string {
  const root = process.env.RUSTACEAN_LAMBDA_CACHE ?? path.join(os.homedir(), '.cache', 'rustacean-lambda');
  return path.join(path.resolve(root), 'java-maven');
}

/** What {@link buildMavenModule} did. */
export interface MavenBuild {
  /** The folder in Lambda's layout (classes at the root, `lib/*.jar`). */
  readonly dir: string;
  /** False when the folder came from the cache. */
  readonly built: boolean;
}

/** Builds (or takes from the cache) the Maven module at `moduleDir` in Lambda's zip layout. */
export function buildMavenModule(moduleDir: string): MavenBuild {
  const pom = path.join(moduleDir, 'pom.xml');
  if (!fs.existsSync(pom)) throw new Error(`${moduleDir} is not a Maven module: it has no pom.xml`);
  const sources = ['pom.xml', ...listFiles(path.join(moduleDir, 'src')).map(f => path.relative(moduleDir, f))].sort();
  const hash = crypto.createHash('sha256');
  for (const rel of sources) hash.update(`${rel.split(path.sep).join('/')}\0`).update(fs.readFileSync(path.join(moduleDir, rel))).update('\0');
  const dir = path.join(mavenCacheDir(), `${path.basename(moduleDir)}-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(path.join(dir, COMPLETE))) return { dir, built: false };

  // Built next to its final place and renamed there when complete, so no reader sees half a build.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(`${dir}.tmp-`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rustacean-lambda-maven-'));
  try {
    fs.copyFileSync(pom, path.join(work, 'pom.xml'));
    fs.cpSync(path.join(moduleDir, 'src'), path.join(work, 'src'), { recursive: true });
    const offline = ['1', 'true', 'yes'].includes((process.env.RUSTACEAN_LAMBDA_OFFLINE ?? '').toLowerCase());
    const result = spawnSync('mvn', ['-B', '-q', ...(offline ? ['-o'] : []), '-f', path.join(work, 'pom.xml'),
      'compile', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${path.join(staging, 'lib')}`],
    { encoding: 'utf-8', timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    if (result.error) {
      throw new Error(`cannot run Maven to build the Java module ${moduleDir} (${result.error.message}); install Maven and a ` +
        'JDK 17 or newer (on Debian: `apt-get install maven openjdk-17-jdk-headless`)');
    }
    if (result.status !== 0) {
      throw new Error(`mvn compile of ${moduleDir} failed (exit code ${result.status}):\n${`${result.stdout}${result.stderr}`.trim().slice(-4000)}`);
    }
    fs.cpSync(path.join(work, 'target', 'classes'), staging, { recursive: true });
    fs.writeFileSync(path.join(staging, COMPLETE), `${new Date().toISOString()}\n`);
    try {
      fs.renameSync(staging, dir);
    } catch (err) {
      // Another synth finished the same build first: keep theirs.
      if (!fs.existsSync(path.join(dir, COMPLETE))) throw err;
    }
    return { dir, built: true };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** {@link buildMavenModule} as Lambda code (the cache marker left out of the asset). */
export function javaMavenCode(moduleDir: string): lambda.AssetCode {
  return lambda.Code.fromAsset(buildMavenModule(moduleDir).dir, { exclude: [COMPLETE] });
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}
