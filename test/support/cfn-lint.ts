import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pinnedTool } from './pinned-tools';

/**
 * Checks we skip, each for a reason:
 * - W3005: aws-cdk-lib adds `DependsOn` on a function's role although `Role` already references it with GetAtt.
 *   Redundant, harmless, and not ours to change.
 */
const IGNORED_CHECKS = ['W3005'];

/** Runs the pinned cfn-lint (scripts/tool-versions.env) on every CloudFormation template of a cloud assembly folder; returns its findings. */
export function cfnLintAssembly(outdir: string): { templates: string[]; status: number | null; output: string } {
  const templates = fs.readdirSync(outdir).filter(f => f.endsWith('.template.json')).map(f => path.join(outdir, f));
  if (templates.length === 0) throw new Error(`no templates in ${outdir}`);
  const result = spawnSync(pinnedTool('cfn-lint'), ['--format', 'parseable', '--ignore-checks', ...IGNORED_CHECKS, '--', ...templates], { encoding: 'utf-8' });
  if (result.error) throw new Error(`cannot run cfn-lint (scripts/setup.sh installs it): ${result.error.message}`);
  return { templates, status: result.status, output: `${result.stdout}${result.stderr}` };
}
