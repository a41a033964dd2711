/**
 * Python for the repository's own Python functions (the benchmarks' comparison rows): the machine's Python, assets
 * with its bytecode, and pip installs kept between runs. Repo-only: the library's own Python handling is
 * WebAdapterFunction's bundling.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findPython, LocalPython, pipInstallInto } from '../../lib/core/python';
import { ensureInstalled, localHome } from '../../lib/local/clients';
import { compileBytecode } from '../../lib/web-adapter/bytecode';

/** The machine's Python (RUSTACEAN_LAMBDA_PYTHON, else python3 or python on PATH), as WebAdapterFunction finds it. */
export { findPython };

/** The local host's Python, as the bytecode compiler takes it. */
export function localPython(): LocalPython {
  const python = findPython();
  return { command: python.executable, prefixArgs: [], version: python.version, source: 'the local host\'s Python' };
}

/**
 * A copy of `dir` (plus `extra` files, by name in the copy) with bytecode compiled by the local Python, in a new
 * temporary folder that is added to `temporary` (the caller removes it).
 */
export function compiledPythonCopy(dir: string, prefix: string, temporary: string[], extra: Record<string, string> = {}): string {
  const asset = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(asset);
  fs.cpSync(dir, asset, { recursive: true, filter: src => !['__pycache__', '.complete'].includes(path.basename(src)) && !src.endsWith('.pyc') });
  for (const [name, from] of Object.entries(extra)) fs.copyFileSync(from, path.join(asset, name));
  const { failed } = compileBytecode(localPython(), asset);
  if (failed.length > 0) process.stderr.write(`${failed.length} files of ${dir} did not compile to bytecode\n`);
  return asset;
}

/**
 * `requirements` pip-installed for the local Python, once: kept under the local host's folder
 * (.rustacean-lambda/bench/<name>-python<version>-<requirements>) and reused while the requirements are the same.
 */
export function pipInstalledOnce(name: string, what: string, requirements: string[]): string {
  const python = findPython();
  const key = requirements.join(',').replace(/[^A-Za-z0-9.,=-]/g, '');
  return ensureInstalled(path.join(localHome(), 'bench', `${name}-python${python.version}-${key}`), what,
    line => process.stderr.write(`${line}\n`), staging => pipInstallInto(staging, requirements));
}
