/**
 * The Python binding as a CDK user gets it: the wheel jsii-pacmak builds into dist/python, installed with
 * aws-cdk-lib and constructs from PyPI into a project-local virtualenv (git-ignored, under .rustacean-lambda/).
 *
 * - The wheel is rebuilt (`npx projen compile` then `npx projen package:python`, about a minute) when it is missing
 *   or older than a source file of lib/; `npm test` packages every language before jest, so there it is current.
 * - The virtualenv is made once per pinned aws-cdk-lib and constructs (the versions of package.json's
 *   devDependencies, i.e. the cdkVersion the library is built against) and kept; a half-made one is rebuilt. Each
 *   run reinstalls only the wheel (its version stays 0.0.0 between builds, so pip would keep a stale one).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const PYTHON_DIST = path.join(REPO_ROOT, 'dist', 'python');
/** Where the virtualenv lives: git-ignored, kept between runs. */
export const PYTHON_APP_HOME = path.join(REPO_ROOT, '.rustacean-lambda', 'python-binding');

/** Newest modification time (ms) of the TypeScript sources of lib/. */
function newestSource(dir = path.join(REPO_ROOT, 'lib')): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}

function findWheel(): string | undefined {
  if (!fs.existsSync(PYTHON_DIST)) return undefined;
  const wheels = fs.readdirSync(PYTHON_DIST).filter(f => /^rustacean_lambda_cdk-.+\.whl$/.test(f));
  return wheels.length === 1 ? path.join(PYTHON_DIST, wheels[0]) : undefined;
}

/** The wheel of the current sources, built first when it is missing or stale. Returns its path. */
export function ensureWheel(log: (line: string) => void = () => {}): string {
  const wheel = findWheel();
  if (wheel && fs.statSync(wheel).mtimeMs >= newestSource()) return wheel;
  log(wheel ? `${path.relative(REPO_ROOT, wheel)} is older than lib/: rebuilding it` : 'no wheel in dist/python: building it');
  const started = Date.now();
  fs.rmSync(PYTHON_DIST, { recursive: true, force: true });
  for (const task of ['compile', 'package:python']) {
    execFileSync('npx', ['projen', task], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const built = findWheel();
  if (!built) throw new Error(`npx projen package:python left no single rustacean_lambda_cdk wheel in ${PYTHON_DIST}`);
  log(`built ${path.relative(REPO_ROOT, built)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return built;
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
