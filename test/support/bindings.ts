/**
 * The Python and Go bindings as CDK users get them, built from this repository by jsii-pacmak into dist/<language>.
 *
 * - A package is rebuilt (`npx projen compile`, then `npx projen package:<language>`, about a minute) when it is
 *   missing or older than a source file of lib/, `.projenrc.ts` or `package.json` (which set the jsii targets and
 *   dependencies); in CI `.ci/run` packages every language before `npm test`, so
 *   there it is current.
 * - Python: the wheel is installed with aws-cdk-lib and constructs from PyPI into a project-local virtualenv
 *   (git-ignored, under .rustacean-lambda/), made once per pinned aws-cdk-lib and constructs (the versions of
 *   package.json's devDependencies, i.e. the cdkVersion the library is built against) and kept; a half-made one is
 *   rebuilt. Each run reinstalls only the wheel (its version stays 0.0.0 between builds, so pip would keep a stale one).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { withFileLock } from '../../lib/core/cache';

export const REPO_ROOT = path.join(__dirname, '..', '..');
/** Where the virtualenv lives: git-ignored, kept between runs. */
export const PYTHON_APP_HOME = path.join(REPO_ROOT, '.rustacean-lambda', 'python-binding');

/** Newest modification time (ms) of the TypeScript sources of lib/. */
function newestLibSource(dir = path.join(REPO_ROOT, 'lib')): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestLibSource(file));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

/** Newest modification time (ms) of what a package is built from: lib/, and the project files that configure jsii. */
export function newestSource(): number {
  return Math.max(newestLibSource(), ...['.projenrc.ts', 'package.json'].map(f => fs.statSync(path.join(REPO_ROOT, f)).mtimeMs));
}

export type Language = 'python' | 'go';

/** What a language's package is: the wheel, or the Go module's folder. */
function findPackage(language: Language): string | undefined {
  const dist = path.join(REPO_ROOT, 'dist', language);
  if (!fs.existsSync(dist)) return undefined;
  const found = language === 'python'
    ? fs.readdirSync(dist).filter(f => /^rustacean_lambda_cdk-.+\.whl$/.test(f))
    : fs.readdirSync(dist).filter(f => fs.existsSync(path.join(dist, f, 'go.mod')));
  return found.length === 1 ? path.join(dist, found[0]) : undefined;
}

/** The package of the current sources for a language, built first when it is missing or stale. Returns its path. */
export function ensurePackage(language: Language, log: (line: string) => void = () => {}): string {
  // One build at a time: jest runs the Python and the Go test in parallel, and both would run jsii on the same files.
  // A lock older than the longest build is left over from a killed run.
  const fifteenMinutes = 15 * 60_000;
  return withFileLock(path.join(REPO_ROOT, 'dist', '.package'), () => buildIfStale(language, log),
    { waitMs: fifteenMinutes, staleMs: fifteenMinutes, pollMs: 500 });
}

function buildIfStale(language: Language, log: (line: string) => void): string {
  const existing = findPackage(language);
  const built = existing && (language === 'go' ? path.join(existing, 'go.mod') : existing);
  if (built && fs.statSync(built).mtimeMs >= newestSource()) return existing!;
  log(existing ? `${path.relative(REPO_ROOT, existing)} is older than lib/, .projenrc.ts or package.json: rebuilding it` : `no package in dist/${language}: building it`);
  const started = Date.now();
  fs.rmSync(path.join(REPO_ROOT, 'dist', language), { recursive: true, force: true });
  for (const task of ['compile', `package:${language}`]) {
    execFileSync('npx', ['projen', task], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const result = findPackage(language);
  if (!result) throw new Error(`npx projen package:${language} left no single package in dist/${language}`);
  log(`built ${path.relative(REPO_ROOT, result)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return result;
}

/** aws-cdk-lib and constructs at the versions the library is built against (package.json devDependencies). */
export function cdkRequirements(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf-8'));
  const exact = (name: string): string => {
    const version: string | undefined = pkg.devDependencies?.[name];
    if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
      throw new Error(`package.json pins no exact devDependency ${name} (found '${version}'); the Python app needs the exact version`);
    }
    return `${name}==${version}`;
  };
  return [exact('aws-cdk-lib'), exact('constructs')];
}

/**
 * The virtualenv's python with aws-cdk-lib, constructs and the given wheel installed. Made on first use (pip,
 * from PyPI: about a minute), then kept: later calls only reinstall the wheel.
 */
export function ensurePythonApp(wheel: string, log: (line: string) => void = () => {}): string {
  const requirements = cdkRequirements();
  const venv = path.join(PYTHON_APP_HOME, 'venv');
  const python = path.join(venv, 'bin', 'python');
  const marker = path.join(PYTHON_APP_HOME, 'requirements.installed');
  const wanted = requirements.join('\n');
  const pip = (...args: string[]) => execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!(fs.existsSync(python) && fs.existsSync(marker) && fs.readFileSync(marker, 'utf-8') === wanted)) {
    const started = Date.now();
    // Not relocatable: made under its final name; the marker, written last, says it is complete.
    fs.rmSync(PYTHON_APP_HOME, { recursive: true, force: true });
    fs.mkdirSync(PYTHON_APP_HOME, { recursive: true });
    execFileSync('python3', ['-m', 'venv', venv], { stdio: ['ignore', 'pipe', 'pipe'] });
    // With the wheel, so that pip resolves its own requirements (jsii, publication, typeguard) too.
    pip(...requirements, wheel);
    fs.writeFileSync(marker, wanted);
    log(`virtualenv with ${requirements.join(', ')} made in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  pip('--no-deps', '--force-reinstall', wheel);
  return python;
}
