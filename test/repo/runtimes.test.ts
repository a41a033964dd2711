/**
 * What users copy must start them on a supported runtime: no Lambda runtime that the pinned cfn-lint's lifecycle
 * data (scripts/tool-versions.env) calls deprecated today appears in the library, the samples, the benchmarks, the
 * scripts, the docs or the tests, and no cfn-lint rule about deprecated runtimes is muted anywhere.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pinnedTool, REPO_ROOT, toolVersions } from '../support/pinned-tools';

interface Lifecycle { readonly 'deprecated': string; readonly 'create-block': string; readonly 'successor': string | null }

/** cfn-lint's own table of Lambda runtime dates, read from the pinned install. */
function lifecycleData(): Record<string, Lifecycle> {
  const python = path.join(path.dirname(fs.realpathSync(pinnedTool('cfn-lint'))), 'python');
  const result = spawnSync(python, ['-c', 'import cfnlint, os; print(os.path.dirname(cfnlint.__file__))'], { encoding: 'utf-8' });
  if (result.status !== 0) throw new Error(`cannot locate cfn-lint's data: ${result.stderr}`);
  const file = path.join(result.stdout.trim(), 'data', 'AdditionalSpecs', 'LmbdRuntimeLifecycle.json');
  return JSON.parse(fs.readFileSync(file, 'utf-8'));
}

const SCANNED = ['lib', 'samples', 'bench', 'test', 'llrt-handlers', 'rust-handlers', 'benchmark-driver', 'docs', 'scripts', 'README.md', 'CONTRIBUTING.md', 'API.md', '.projenrc.ts'];
const SKIPPED_DIRS = new Set(['node_modules', 'cdk.out', 'target', '.rustacean-lambda']);
const EXTENSIONS = /\.(ts|js|mjs|cjs|json|snap|md|py|rs|toml|txt|sh|env|go|java)$/;

function files(entry: string): string[] {
  const full = path.join(REPO_ROOT, entry);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [full];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap(d => {
    if (d.isDirectory()) return SKIPPED_DIRS.has(d.name) ? [] : files(path.join(entry, d.name));
    return EXTENSIONS.test(d.name) ? [path.join(full, d.name)] : [];
  });
}

/**
 * Runtime names a file uses: quoted identifiers (`'nodejs24.x'`; a bare `'provided'` is our name for the OS-only
 * family, so only `Runtime.PROVIDED` counts for that one) and aws-cdk-lib constants
 * (`Runtime.NODEJS_24_X`).
 */
export function runtimesIn(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/["'`](nodejs\d+\.x|python\d\.\d+|java\d+(?:\.al2)?|provided\.al2(?:023)?|dotnet\d+|ruby\d\.\d+)["'`]/g)) {
    found.add(m[1]);
  }
  // Unquoted too, in prose and comments: ids that cannot be anything but a runtime.
  for (const m of text.matchAll(/\b(nodejs\d+\.x|python\d\.\d+|java\d+\.al2|provided\.al2(?:023)?|dotnet\d+|ruby\d\.\d+)\b/g)) {
    found.add(m[1]);
  }
  for (const m of text.matchAll(/Runtime\.(NODEJS_(\d+)_X|PYTHON_3_(\d+)|JAVA_(\d+)|PROVIDED_AL2023|PROVIDED_AL2|PROVIDED)\b/g)) {
    if (m[2]) found.add(`nodejs${m[2]}.x`);
    else if (m[3]) found.add(`python3.${m[3]}`);
    else if (m[4]) found.add(`java${m[4]}`);
    else found.add(m[1].toLowerCase().replace('_', '.'));
  }
  return [...found];
}

test('the scanner finds quoted runtime names and aws-cdk-lib constants', () => {
  expect(runtimesIn('runtime: lambda.Runtime.NODEJS_22_X, x: \'python3.12\', "Runtime": "provided.al2", Runtime.PROVIDED_AL2023').sort())
    .toEqual(['nodejs22.x', 'provided.al2', 'provided.al2023', 'python3.12']);
  expect(runtimesIn('Node.js 20 and the provided value')).toEqual([]);
  expect(runtimesIn('a comment on nodejs24.x and provided.al2023, not provided.al2023x')).toEqual(['nodejs24.x', 'provided.al2023']);
});

test('no runtime that the pinned cfn-lint calls deprecated today is used in the library, samples, benchmarks, scripts, docs or tests', () => {
  const lifecycle = lifecycleData();
  // The data we judge with is the pinned cfn-lint's.
  const version = spawnSync(pinnedTool('cfn-lint'), ['--version'], { encoding: 'utf-8' }).stdout.trim();
  expect(version).toBe(`cfn-lint ${toolVersions().CFN_LINT_VERSION}`);
  const today = new Date().toISOString().slice(0, 10);
  const offenders: string[] = [];
  let scanned = 0;
  for (const file of SCANNED.flatMap(files)) {
    if (file === __filename) continue; // this file names deprecated runtimes on purpose
    scanned++;
    for (const runtime of runtimesIn(fs.readFileSync(file, 'utf-8'))) {
      const dates = lifecycle[runtime];
      if (dates && dates.deprecated <= today) {
        offenders.push(`${path.relative(REPO_ROOT, file)}: ${runtime} (deprecated ${dates.deprecated}; successor ${dates.successor ?? 'none'})`);
      }
    }
  }
  expect(scanned).toBeGreaterThan(50);
  expect(offenders).toEqual([]);
});

/** The ids of cfn-lint's rules about deprecated Lambda runtimes, read from the pinned install's rule sources. */
function deprecationRuleIds(): string[] {
  const python = path.join(path.dirname(fs.realpathSync(pinnedTool('cfn-lint'))), 'python');
  const result = spawnSync(python, ['-c', 'import cfnlint, os; print(os.path.dirname(cfnlint.__file__))'], { encoding: 'utf-8' });
  const dir = path.join(result.stdout.trim(), 'rules', 'resources', 'lmbd');
  return fs.readdirSync(dir).filter(f => /^DeprecatedRuntime.*\.py$/.test(f))
    .map(f => /^\s*id = "([EW]\d+)"/m.exec(fs.readFileSync(path.join(dir, f), 'utf-8'))?.[1])
    .filter((id): id is string => id !== undefined);
}

test('no cfn-lint rule about deprecated runtimes is muted anywhere', () => {
  const ids = deprecationRuleIds();
  expect(ids.length).toBeGreaterThanOrEqual(3);
  const rule = `(${ids.join('|')})`;
  const muted = new RegExp(`ignore[_-]checks[^\\n]*${rule}|${rule}[^\\n]*ignore`, 'i');
  const found: string[] = [];
  for (const file of SCANNED.flatMap(files)) {
    if (muted.test(fs.readFileSync(file, 'utf-8'))) found.push(path.relative(REPO_ROOT, file));
  }
  expect(found).toEqual([]);
});
