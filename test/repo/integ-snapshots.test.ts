/**
 * The integ tests' snapshots are checked like jest snapshots: `npm test` compares, never rewrites. What this file
 * guards (integ-runner itself does the comparison, in the task integ:snapshot at the end of `npm test`):
 * - every test/integ.*.ts has its committed snapshot, with the templates of its stacks and its assertions;
 * - the snapshots hold no built assets (bootstraps, bundles): git keeps templates, not binaries;
 * - `npm test` runs the check, and the check has no flag that would update a snapshot or deploy.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/pinned-tools';

const TEST_DIR = path.join(REPO_ROOT, 'test');
const INTEG_FILES = fs.readdirSync(TEST_DIR).filter(f => /^integ\..*(?<!\.d)\.ts$/.test(f)).sort();

interface Task { readonly steps?: { exec?: string; spawn?: string }[] }
const TASKS: Record<string, Task> = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, '.projen', 'tasks.json'), 'utf-8')).tasks;

test('there are integ tests: one per construct family', () => {
  expect(INTEG_FILES).toEqual(['integ.coldstart-benchmark.ts', 'integ.llrt-function.ts', 'integ.rust-function.ts', 'integ.web-adapter.ts']);
});

describe.each(INTEG_FILES)('%s', file => {
  const snapshot = path.join(TEST_DIR, `${file}.snapshot`);

  test('has a committed snapshot: its test stacks and assertion stack, deployed from scratch, no assets', () => {
    const integ = JSON.parse(fs.readFileSync(path.join(snapshot, 'integ.json'), 'utf-8'));
    const cases = Object.values<any>(integ.testCases);
    expect(cases).toHaveLength(1);
    const [testCase] = cases;
    expect(testCase.stackUpdateWorkflow).toBe(false);
    for (const stack of [...testCase.stacks, testCase.assertionStackName]) {
      expect(fs.existsSync(path.join(snapshot, `${stack}.template.json`))).toBe(true);
    }
    // The assertion stack invokes a function of the test stack and states what it expects back.
    const assertions = JSON.parse(fs.readFileSync(path.join(snapshot, `${testCase.assertionStackName}.template.json`), 'utf-8'));
    const invokes = Object.values<any>(assertions.Resources).filter(r => r.Type === 'Custom::DeployAssert@SdkCallLambdainvoke');
    expect(invokes.length).toBeGreaterThan(0);
    for (const invoke of invokes) expect(invoke.Properties.expected).toMatch(/\$ObjectLike/);

    const tracked = spawnSync('git', ['ls-files', '--', path.relative(REPO_ROOT, snapshot)], { cwd: REPO_ROOT, encoding: 'utf-8' });
    expect(tracked.status).toBe(0);
    const files = tracked.stdout.trim().split('\n').map(f => path.basename(f));
    expect(files).toEqual(expect.arrayContaining(['integ.json', 'manifest.json']));
    expect(tracked.stdout).not.toMatch(/\/asset\./);
  });
});

test('npm test runs the snapshot check, which can only compare', () => {
  expect(TASKS.test.steps).toEqual(expect.arrayContaining([{ spawn: 'integ:snapshot' }]));
  const check = (TASKS['integ:snapshot'].steps ?? []).map(s => s.exec ?? '').join('\n');
  expect(check).toMatch(/^integ-runner /);
  for (const flag of ['--update-on-failed', '--dry-run', '--force', '--watch', '--inspect-failures']) expect(check).not.toContain(flag);
  // ... and the deliberate update is a separate task.
  expect((TASKS['integ:snapshot:update'].steps ?? []).map(s => s.exec ?? '').join('\n')).toContain('--update-on-failed --dry-run');
});
