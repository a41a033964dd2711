/**
 * The package holds only what users run: no benchmark, sample or test code, and nothing it ships reads this
 * repository's own folders (bench/, samples/, llrt-handlers/, rust-handlers/). The cold-start benchmark's driver
 * ships from its own folder, benchmark-driver/ (sources, not its build output).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/pinned-tools';

test('npm pack leaves out bench/, samples/, test/, scripts/ and the TypeScript sources', () => {
  const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(packed.status).toBe(0);
  const files = (JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map(f => f.path);
  expect(files).toContain('bin/rustacean-lambda');
  const repoOnly = files.filter(f => /^(bench|samples|test|scripts|lib|projenrc|\.rustacean-lambda)\//.test(f) || f.endsWith('cdk.out'));
  expect(repoOnly).toEqual([]);
  // ColdStartBenchmark builds its driver on the user's machine, from the shipped workspace.
  expect(files).toEqual(expect.arrayContaining([
    'benchmark-driver/Cargo.toml',
    'benchmark-driver/Cargo.lock',
    'benchmark-driver/coldstart-driver/src/main.rs',
    'benchmark-driver/coldstart-report/src/lib.rs',
  ]));
  expect(files.filter(f => f.includes('/target/'))).toEqual([]);
});

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

test('nothing under lib/ imports from outside it or joins a path to the repository\'s bench, samples or handlers', () => {
  const offences: string[] = [];
  for (const file of sources(path.join(REPO_ROOT, 'lib'))) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(REPO_ROOT, file);
    for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      if (!target.startsWith(path.join(REPO_ROOT, 'lib') + path.sep)) offences.push(`${rel} imports ${m[1]}`);
    }
    for (const m of text.matchAll(/path\.(?:join|resolve)\([^)]*'(bench|samples|llrt-handlers|rust-handlers|test)'/g)) {
      offences.push(`${rel} reads ${m[1]}/`);
    }
  }
  expect(offences).toEqual([]);
  expect(fs.existsSync(path.join(REPO_ROOT, 'lib', 'local', 'rie.ts'))).toBe(false);
});
