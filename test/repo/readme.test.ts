/**
 * The README's troubleshooting section stays true: every synth error it quotes is one the constructs raise, and
 * every warning id it lists is one they emit. A message that changes in lib/ fails this test until the README
 * says what users will actually read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/pinned-tools';

/** The construct sources (the local host and CLI, lib/local, raise no synth errors). */
function constructSources(dir = path.join(REPO_ROOT, 'lib')): string {
  return fs.readdirSync(dir, { withFileTypes: true }).map(entry => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'local' ? '' : constructSources(file);
    return entry.name.endsWith('.ts') ? fs.readFileSync(file, 'utf-8') : '';
  }).join('\n');
}

/**
 * Values the README writes out where the source interpolates them (a target, an architecture, a release, a file
 * name, a variable name): they are read like `...`.
 */
const RENDERED = ['aarch64-unknown-linux-gnu', 'an x86_64 executable', 'x86_64', 'arm64', '1.1.0', '30', "'handler'", 'run.sh',
  'RUSTACEAN_LAMBDA_OFFLINE'];

function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`README has no section '## ${heading}'`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The code spans of the first column of each table row. */
function firstColumnSpans(text: string): string[] {
  return text.split('\n')
    .filter(line => line.startsWith('| `'))
    .flatMap(line => [...line.split('|')[1].matchAll(/`([^`]+)`/g)].map(m => m[1]));
}

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf-8');
const troubleshooting = section(readme, 'Troubleshooting: synth errors and their fix');
const sources = constructSources();
const [errors, warnings] = troubleshooting.split('\nWarnings ');

describe('README troubleshooting', () => {
  const messages = firstColumnSpans(errors);

  test('lists the synth errors', () => {
    expect(messages.length).toBeGreaterThanOrEqual(25);
  });

  test.each(messages)('the constructs raise: %s', message => {
    let literal = message;
    for (const value of RENDERED) literal = literal.split(value).join('...');
    const fragments = literal.split('...').map(f => f.trim().replace(/^[/ ]+|[/ ]+$/g, '')).filter(f => f.length >= 4);
    expect(fragments.length).toBeGreaterThan(0);
    for (const fragment of fragments) {
      expect({ message, fragment, inLib: sources.includes(fragment) }).toEqual({ message, fragment, inLib: true });
    }
  });

  test('lists every warning id the constructs emit, and no other', () => {
    const listed = firstColumnSpans(warnings).sort();
    // Every warning goes through lib/core/errors.ts's warn(scope, '<kebab-case id>', ...), with the id written out.
    const emitted = [...new Set([...sources.matchAll(/\bwarn\([^,()]+(?:\([^()]*\))?, '([^']+)'/g)].map(m => `rustacean-lambda:${m[1]}`))].sort();
    expect(emitted.length).toBeGreaterThanOrEqual(5);
    expect(listed).toEqual(emitted);
  });

  test('warnings are added only through warn(), one kebab-case id each', () => {
    const direct = sources.split('\n').filter(line => /addWarning(V2)?\(/.test(line) && !line.includes('`${WARNING_PREFIX}${id}`'));
    expect(direct).toEqual([]);
    for (const id of firstColumnSpans(warnings)) expect(id).toMatch(/^rustacean-lambda:[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
