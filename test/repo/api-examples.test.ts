/**
 * Every class of the public API (what lib/index.ts exports) shows how it is used: its doc comment has an
 * `@example`, which API.md and Construct Hub show, and which jsii-rosetta compiles and translates in CI
 * (`npx projen rosetta:extract`, strict).
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/pinned-tools';

const LIB = path.join(REPO_ROOT, 'lib');

/** The files lib/index.ts exports, following `export * from './x'` through the family index files. */
function exportedFiles(index = path.join(LIB, 'index.ts')): string[] {
  const text = fs.readFileSync(index, 'utf-8');
  return [...text.matchAll(/export \* from '(\.[^']+)';/g)].flatMap(m => {
    const target = path.resolve(path.dirname(index), m[1]);
    if (fs.existsSync(path.join(target, 'index.ts'))) return exportedFiles(path.join(target, 'index.ts'));
    return [`${target}.ts`];
  });
}

/** Exported classes of a file with the doc comment right above each ('' when there is none). */
function classes(file: string): { name: string; doc: string }[] {
  const text = fs.readFileSync(file, 'utf-8');
  return [...text.matchAll(/^export (?:abstract )?class (\w+)/gm)].map(m => {
    const before = text.slice(0, m.index).trimEnd();
    const doc = before.endsWith('*/') ? before.slice(before.lastIndexOf('/**')) : '';
    return { name: m[1], doc };
  });
}

const publicClasses = exportedFiles().flatMap(file => classes(file).map(c => ({ ...c, file: path.relative(REPO_ROOT, file) })));

test('the public API has the construct classes', () => {
  expect(publicClasses.map(c => c.name)).toEqual(expect.arrayContaining([
    'RustFunction', 'RustExtension', 'LlrtFunction', 'LlrtBinary', 'WebAdapterFunction', 'WebAdapter', 'WebAdapterLayer',
    'ColdStartBenchmark',
  ]));
});

test.each(publicClasses.map(c => [c.name, c]))('%s has an @example', (_name, c) => {
  expect({ class: c.name, file: c.file, hasExample: /\n\s*\* @example\n/.test(c.doc) })
    .toEqual({ class: c.name, file: c.file, hasExample: true });
});
