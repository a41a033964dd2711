/**
 * The shape rule of CONTRIBUTING.md ("What may import what") is enforced by eslint's import/no-restricted-paths,
 * configured in .projenrc.ts: a family imports lib/core and other families only through their index.ts, lib/core
 * imports no family, and bench/ uses the package's public API (lib/index.ts, lib/local/index.ts) and test/support,
 * not lib internals. Each case lints a line of code as if it stood in a real file of lib/ or bench/.
 */
import { ESLint, loadESLint } from 'eslint';
import { REPO_ROOT } from '../support/pinned-tools';

let eslint: Pick<ESLint, 'lintText'>;

beforeAll(async () => {
  const LegacyESLint = await loadESLint({ useFlatConfig: false });
  eslint = new LegacyESLint({ cwd: REPO_ROOT });
}, 60_000);

/** The import/no-restricted-paths messages for `code` placed in `file`. */
async function shapeErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${REPO_ROOT}/${file}` });
  expect(result.messages.filter(m => m.fatal)).toEqual([]);
  return result.messages.filter(m => m.ruleId === 'import/no-restricted-paths').map(m => m.message);
}

test.each([
  ['lib/rust/function.ts', '../llrt/store', 'BinaryStore', 'lib/rust may use lib/core and other families only through their index.ts'],
  ['lib/web-adapter/layer.ts', '../rust/types', 'OptimizationPreset', 'lib/web-adapter may use lib/core and other families only through their index.ts'],
  ['lib/core/hash.ts', '../rust', 'RustFunction', 'lib/core imports no construct family'],
  ['bench/coldstart.ts', '../lib/local/bench', 'benchAssembly', 'bench/ uses the package\'s public API'],
  ['bench/rust.ts', '../lib/core/cargo/build', 'CargoLambdaBuild', 'bench/ uses the package\'s public API'],
  ['bench/coldstart/app.ts', '../../lib/rust/types', 'OptimizationPreset', 'bench/ uses the package\'s public API'],
])('%s may not import %s', async (file, from, name, message) => {
  const errors = await shapeErrors(file, `import { ${name} } from '${from}';\nexport const used = ${name};\n`);
  expect(errors).toEqual([expect.stringContaining(message)]);
}, 60_000);

test.each([
  ['lib/benchmark/construct.ts', '../rust', 'RustFunction'],
  ['lib/llrt/store.ts', '../core/zip', 'readZipEntries'],
  ['lib/llrt/function.ts', './bundling', 'functionCode'],
  ['bench/rust.ts', '../lib', 'RustFunction'],
  ['bench/coldstart/app.ts', '../../lib', 'OptimizationPreset'],
  ['bench/coldstart.ts', '../lib/local', 'benchAssembly'],
  ['bench/llrt.ts', '../test/support/llrt', 'startReleaseServer'],
])('%s may import %s', async (file, from, name) => {
  expect(await shapeErrors(file, `import { ${name} } from '${from}';\nexport const used = ${name};\n`)).toEqual([]);
}, 60_000);
