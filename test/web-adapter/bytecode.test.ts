import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { PythonBundling, WebAdapterFunction } from '../../lib';
import { findPython, PythonInterpreters } from '../../lib/core/python';
import { compileallArgs } from '../../lib/web-adapter/bytecode';
import { assetDir, FLASK_APP, tempDir, useCleanBuildState } from '../support/web-adapter';

// Bytecode in Python assets, for real: pip installs the Flask sample's requirements from PyPI (wheels for the
// Lambda platform), and a real interpreter compiles them; the checks run that interpreter on the asset.
jest.setTimeout(10 * 60_000);

const owned = useCleanBuildState();
afterEach(() => PythonInterpreters.reset());

/** The Lambda runtime of the local python3's version (aws-cdk-lib's constant when it has one). */
function hostRuntime(): { runtime: lambda.Runtime; version: string; executable: string } {
  const version = findPython().version;
  const name = `python${version}`;
  const executable = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf-8' }).trim();
  return { runtime: lambda.Runtime.ALL.find(r => r.name === name) ?? new lambda.Runtime(name, lambda.RuntimeFamily.PYTHON), version, executable };
}

function synthFlask(runtime: lambda.Runtime, props: { installDependencies?: boolean; pythonBytecode?: boolean; count?: number } = {}) {
  const app = new App({ outdir: tempDir('bytecode', owned) });
  const stack = new Stack(app, 'Bytecode');
  const functions = Array.from({ length: props.count ?? 1 }, (_, i) => new WebAdapterFunction(stack, `Flask${i}`, {
    appPath: FLASK_APP,
    runtime,
    architecture: lambda.Architecture.X86_64,
    bundling: { pythonBundling: PythonBundling.LOCAL, installDependencies: props.installDependencies, pythonBytecode: props.pythonBytecode },
  }));
  app.synth();
  return { stack, dirs: functions.map(fn => assetDir(app, fn.node.defaultChild as lambda.CfnFunction)) };
}

function pycFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pycFiles(file));
    else if (entry.name.endsWith('.pyc')) out.push(file);
  }
  return out;
}

function touchSources(dir: string, time: Date): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) touchSources(file, time);
    else if (entry.name.endsWith('.py')) fs.utimesSync(file, time, time);
  }
}

const noBytecodeWarning = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('ships no bytecode'));

describe('bytecode for the runtime\'s Python', () => {
  test('a runtime of our Python\'s version: the asset holds unchecked-hash .pyc files that Python imports', () => {
    const { runtime, version, executable } = hostRuntime();
    const { stack, dirs: [dir] } = synthFlask(runtime);
    expect(noBytecodeWarning(stack)).toHaveLength(0);

    const tag = `cpython-${version.replace('.', '')}`;
    const pycs = pycFiles(dir);
    expect(pycs.filter(f => f.endsWith(`/flask/__pycache__/__init__.${tag}.pyc`))).toHaveLength(1);
    expect(pycs.some(f => f.endsWith(`/__pycache__/app.${tag}.pyc`))).toBe(true);
    expect(pycs.every(f => f.endsWith(`.${tag}.pyc`))).toBe(true);
    // PEP 552 flags word: bit 0 = hash-based, bit 1 = check_source. 0b01 = unchecked hash: file times never matter.
    for (const file of pycs) expect(fs.readFileSync(file).readUInt32LE(4)).toBe(0b01);

    // As Lambda unpacks the zip: other file times than at build, and nothing written back (read-only /var/task).
    touchSources(dir, new Date('1980-01-01T00:00:00Z'));
    const verbose = spawnSync(executable, ['-v', '-c', 'import app; print(app.app.name)'], {
      cwd: dir,
      env: { PATH: process.env.PATH, PYTHONPATH: dir, PYTHONDONTWRITEBYTECODE: '1', PYTHONNOUSERSITE: '1' },
      encoding: 'utf-8',
    });
    expect(verbose.status).toBe(0);
    expect(verbose.stdout.trim()).toBe('app');
    const fromAsset = verbose.stderr.split('\n').filter(l => l.startsWith('# code object from') && l.includes(dir));
    const fromSource = fromAsset.filter(l => !l.includes('.pyc'));
    expect(fromSource).toEqual([]);
    expect(fromAsset.length).toBeGreaterThan(50); // flask, werkzeug, jinja2, markupsafe, click, ... all from bytecode
    expect(fromAsset).toContainEqual(`# code object from '${path.join(dir, 'flask', '__pycache__', `__init__.${tag}.pyc`)}'`);
  });

  test('no interpreter of the runtime\'s version: one warning per version with the cost and the fix; no .pyc', () => {
    const empty = tempDir('nopython', owned);
    // Nothing on PATH, no pyenv, no uv: the search finds no interpreter for any version.
    PythonInterpreters.reset({ PATH: empty, HOME: empty, PYENV_ROOT: empty, UV_PYTHON_INSTALL_DIR: empty });
    const { stack, dirs } = synthFlask(lambda.Runtime.PYTHON_3_13, { installDependencies: false, count: 2 });
    const warnings = noBytecodeWarning(stack);
    expect(warnings).toHaveLength(1);
    const message = String(warnings[0].entry.data);
    expect(message).toMatch(/no Python 3\.13 on this machine/);
    expect(message).toMatch(/270-300 ms from source against 115 ms with bytecode/);
    expect(message).toMatch(/pyenv install 3\.13.*uv python install 3\.13.*PythonBundling\.DOCKER/);
    for (const dir of dirs) {
      expect(fs.existsSync(path.join(dir, 'app.py'))).toBe(true);
      expect(pycFiles(dir)).toEqual([]);
    }
  });

  test('bundling.pythonBytecode false ships no bytecode and does not warn', () => {
    const { runtime } = hostRuntime();
    const { stack, dirs: [dir] } = synthFlask(runtime, { installDependencies: false, pythonBytecode: false });
    expect(noBytecodeWarning(stack)).toHaveLength(0);
    expect(pycFiles(dir)).toEqual([]);
  });
});

describe('finding an interpreter of a version', () => {
  test('in a pyenv root and in uv\'s install folder, confirmed by running it; PATH entries of another version are skipped', () => {
    const { version, executable } = hostRuntime();
    const root = tempDir('pyenv', owned);
    const bin = path.join(root, 'versions', `${version}.99`, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(executable, path.join(bin, `python${version}`));
    // A python3 on PATH that is not that version (a script that says 2.7) is not taken.
    const pathDir = tempDir('path', owned);
    fs.writeFileSync(path.join(pathDir, 'python3'), '#!/bin/sh\necho 2.7\n', { mode: 0o755 });

    PythonInterpreters.reset({ PATH: pathDir, HOME: root, PYENV_ROOT: root, UV_PYTHON_INSTALL_DIR: root });
    expect(PythonInterpreters.find(version)).toEqual({ command: path.join(bin, `python${version}`), prefixArgs: [], version, source: 'pyenv' });

    const uv = tempDir('uv', owned);
    const uvBin = path.join(uv, `cpython-${version}.7-linux-x86_64-gnu`, 'bin');
    fs.mkdirSync(uvBin, { recursive: true });
    fs.symlinkSync(executable, path.join(uvBin, `python${version}`));
    PythonInterpreters.reset({ PATH: pathDir, HOME: uv, PYENV_ROOT: pathDir, UV_PYTHON_INSTALL_DIR: uv });
    expect(PythonInterpreters.find(version)?.source).toBe('uv');
    expect(PythonInterpreters.find('2.5')).toBeUndefined();
  });

  test('compileall runs with unchecked-hash invalidation and forces recompilation of pip\'s timestamp .pyc files', () => {
    expect(compileallArgs('/asset')).toEqual(['-m', 'compileall', '-q', '-f', '-j', '0', '--invalidation-mode', 'unchecked-hash', '-s', '/asset', '/asset']);
  });
});
