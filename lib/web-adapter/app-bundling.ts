/**
 * A web app's folder as a function asset: checked at synth, copied (links inside it kept as links), its
 * dependencies installed (pip for Python, npm for Node.js), its start script written or made executable, and its
 * Python compiled to bytecode; Python apps with dependencies may be bundled with Docker instead.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, FileSystem, IgnoreMode, IgnoreStrategy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BYTECODE_COST, compileallArgs, compileBytecode } from './bytecode';
import { isOsOnlyRuntime } from './runtime';
import { PythonBundling } from './types';
import { Architecture, ARCHITECTURES } from '../core/arch';
import { elfMachine, machineName } from '../core/elf';
import { writeExecutable } from '../core/files';
import { sha256Fields } from '../core/hash';
import { localAsset } from '../core/local-asset';
import { outputTail, run } from '../core/process';
import { findPython, LocalPython, pipArgs, pipInstall, PythonInterpreters } from '../core/python';

/** Files that never belong in a web app's asset. */
const ALWAYS_EXCLUDED = ['.git', '.venv', 'venv', '__pycache__', '*.pyc', 'cdk.out', '.DS_Store', '.idea', '.vscode'];

/** Everything that decides how a web app directory becomes a function asset. */
export interface AppBundlingOptions {
  /** Absolute path of the app directory. */
  readonly appPath: string;
  readonly runtime: lambda.Runtime;
  readonly architecture: Architecture;
  /** The script Lambda starts: the handler (`run.sh`) on managed runtimes, `bootstrap` on OS-only ones. */
  readonly startScript: string;
  /** When set, the start script is written with this command instead of taken from the app. */
  readonly startCommand?: string;
  readonly exclude: string[];
  readonly installDependencies: boolean;
  readonly pythonBundling: PythonBundling;
  /** Compile the asset's Python to bytecode (`pythonBytecode`). */
  readonly pythonBytecode: boolean;
  /** The local interpreter that compiles it (local bundling); see {@link planBytecode}. */
  readonly bytecodeCompiler?: LocalPython;
  /** The stack is not bundled in this synth (`cdk synth -e`, `cdk deploy OtherStack`): build nothing, start no Docker. */
  readonly skip?: boolean;
}

/** What the app directory holds, read at synth to check the props before any bundling. */
export interface AppLayout {
  readonly hasRequirements: boolean;
  readonly hasPackageJson: boolean;
  readonly hasPackageLock: boolean;
}

/**
 * Checks what the app directory holds (the folder, the start script the function will run, its architecture or `#!`
 * line); throws with the fix when something is off. The props themselves are checked in settings.ts.
 */
export function inspectApp(options: AppBundlingOptions): AppLayout {
  const { appPath, startScript } = options;
  if (!fs.existsSync(appPath) || !fs.statSync(appPath).isDirectory()) {
    throw new Error(`appPath '${appPath}' is not a directory; point it at the folder that holds your web app`);
  }
  const where = path.relative(process.cwd(), appPath) || appPath;
  if (options.startCommand === undefined) {
    const file = path.join(appPath, startScript);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      const osOnly = isOsOnlyRuntime(options.runtime);
      throw new Error(`${where} has no ${startScript}; ` + (osOnly
        ? `on ${options.runtime.name} Lambda runs ${startScript} itself: put your web server binary (or a script that ` +
          'starts it) there, or set startCommand (e.g. \'exec ./server\')'
        : `the adapter starts the app by running ${startScript}: add a script that starts your web server on $PORT ` +
          '(e.g. \'#!/bin/bash\\nexec python3 -m gunicorn -b 127.0.0.1:$PORT app:app\'), or set startCommand'));
    }
    const machine = elfMachine(file);
    if (machine !== undefined) {
      if (machine !== ARCHITECTURES[options.architecture].elfMachine) {
        throw new Error(`${where}/${startScript} is a ${machineName(machine)} executable but the function's architecture ` +
          `is ${options.architecture}; rebuild it for ${options.architecture} or change \`architecture\``);
      }
    } else if (!stripBom(fs.readFileSync(file, 'utf-8')).startsWith('#!')) {
      throw new Error(`${where}/${startScript} has no '#!' line, so Lambda cannot execute it; start it with '#!/bin/bash' ` +
        "(or '#!/bin/sh')");
    }
  }
  return {
    hasRequirements: fs.existsSync(path.join(appPath, 'requirements.txt')),
    hasPackageJson: fs.existsSync(path.join(appPath, 'package.json')),
    hasPackageLock: fs.existsSync(path.join(appPath, 'package-lock.json')),
  };
}

/** The start script written for `startCommand`: POSIX sh, `exec` so the server itself gets SIGTERM. */
export function startScriptFor(command: string): string {
  const trimmed = command.trim();
  const simple = !/[;&|<>()`$\n\\]/.test(trimmed) && !/^exec\s/.test(trimmed);
  return [
    '#!/bin/sh',
    '# Written by rustacean-lambda-cdk from `startCommand`: starts the web app behind the Lambda Web Adapter.',
    'cd "${LAMBDA_TASK_ROOT:-${0%/*}}"',
    simple ? `exec ${trimmed}` : trimmed,
    '',
  ].join('\n');
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Turns a start script into one Lambda can execute: no BOM, LF line endings, mode 0755 (ELF files: mode only). */
export function normalizeStartScript(file: string): void {
  if (elfMachine(file) === undefined) {
    const text = stripBom(fs.readFileSync(file, 'utf-8')).replace(/\r\n?/g, '\n');
    fs.writeFileSync(file, text);
  }
  fs.chmodSync(file, 0o755);
}

/** The excludes that apply to an app: ours, node_modules when we install it, and the user's. */
export function appExcludes(options: AppBundlingOptions, layout: AppLayout): string[] {
  const excludes = [...ALWAYS_EXCLUDED];
  if (options.installDependencies && layout.hasPackageJson && isNode(options.runtime)) excludes.push('node_modules');
  return [...excludes, ...options.exclude];
}

function isNode(runtime: lambda.Runtime): boolean {
  return runtime.family === lambda.RuntimeFamily.NODEJS;
}

function isPython(runtime: lambda.Runtime): boolean {
  return runtime.family === lambda.RuntimeFamily.PYTHON;
}

/** Whether the app is bundled with Docker (Python dependencies with a Docker engine). */
function bundlesWithDocker(options: AppBundlingOptions, layout: AppLayout): boolean {
  const python = isPython(options.runtime) && options.installDependencies && layout.hasRequirements;
  return python && !options.skip && resolvePythonBundling(options.pythonBundling) === PythonBundling.DOCKER;
}

/** How the asset of a Python app gets its bytecode: the interpreter that compiles it, or why it gets none. */
export interface BytecodePlan {
  /** The local interpreter of the runtime's version (local bundling). */
  readonly compiler?: LocalPython;
  /** Compiled in the Docker build image, whose Python is the runtime's. */
  readonly docker?: boolean;
  /** Set when the asset ships without bytecode although it was asked for: what it costs and the fix. */
  readonly missing?: string;
}

/**
 * Decides who compiles a Python app's bytecode: the Docker build image when Docker bundles it, else a local
 * interpreter of the runtime's exact version (`python3.X` on PATH, pyenv, uv). Nothing for other runtimes, with
 * `bundling.pythonBytecode` false, or when the stack is not bundled in this synth.
 */
export function planBytecode(options: Omit<AppBundlingOptions, 'bytecodeCompiler'>, layout: AppLayout): BytecodePlan {
  if (!isPython(options.runtime) || !options.pythonBytecode || options.skip) return {};
  if (bundlesWithDocker(options, layout)) return { docker: true };
  const version = pythonVersion(options.runtime);
  const compiler = PythonInterpreters.find(version);
  if (compiler) return { compiler };
  return {
    missing: `no Python ${version} on this machine (looked for python${version} on PATH, pyenv and uv), so the asset of ` +
      `${options.runtime.name} functions ships no bytecode and every cold start compiles the app and its dependencies ` +
      `from source, which Lambda bills as INIT (${BYTECODE_COST}). Install Python ${version} (e.g. \`pyenv install ${version}\` ` +
      `or \`uv python install ${version}\`), or bundle with Docker (bundling: { pythonBundling: PythonBundling.DOCKER }); ` +
      'bundling: { pythonBytecode: false } turns bytecode off and this warning with it',
  };
}

/** The function code for a web app: bundled locally, or for Python with Docker through the Python alpha module. */
export function appCode(options: AppBundlingOptions, layout: AppLayout): lambda.AssetCode {
  const excludes = appExcludes(options, layout);
  const assetHash = sha256Fields('web-adapter-app', '1',
    FileSystem.fingerprint(options.appPath, { exclude: excludes, ignoreMode: IgnoreMode.GLOB }),
    JSON.stringify({
      runtime: options.runtime.name,
      architecture: options.architecture,
      startScript: options.startScript,
      startCommand: options.startCommand ?? null,
      installDependencies: options.installDependencies,
      pythonBundling: options.pythonBundling,
      // Who compiles the bytecode decides what the asset holds: none, or .pyc files of one Python version.
      pythonBytecode: !isPython(options.runtime) || !options.pythonBytecode ? 'off'
        : bundlesWithDocker(options, layout) ? 'docker' : (options.bytecodeCompiler?.version ?? 'none'),
    }));

  if (bundlesWithDocker(options, layout)) {
    return pythonDockerCode(options, excludes, assetHash);
  }
  return localAsset(options.appPath, { assetHash, exclude: excludes }, outputDir => stageApp(options, layout, outputDir));
}

/**
 * Throws when a symbolic link in the app folder (among the files that would be copied) points outside it: staging
 * it would put files from elsewhere on the machine into the asset.
 */
export function refuseLinksOutside(appPath: string, include: (src: string) => boolean): void {
  const root = fs.realpathSync(appPath);
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (!include(file)) continue;
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = fs.realpathSync(file);
        } catch {
          throw new Error(`${file} is a symbolic link to ${fs.readlinkSync(file)}, which does not exist; expected links ` +
            'in the app folder to point inside it: remove the link or exclude it');
        }
        if (target !== root && !target.startsWith(`${root}${path.sep}`)) {
          throw new Error(`${file} is a symbolic link to ${target}, outside the app folder ${root}; expected links in the ` +
            'app folder to point inside it, so that nothing from elsewhere lands in the asset: copy the file into the ' +
            'app folder, or exclude the link');
        }
      } else if (entry.isDirectory()) {
        visit(file);
      }
    }
  };
  visit(appPath);
}

/** Local bundling of a web app: copy, install dependencies, write or fix the start script. */
export function stageApp(options: AppBundlingOptions, layout: AppLayout, outputDir: string): void {
  const excludes = appExcludes(options, layout);
  const ignore = IgnoreStrategy.glob(options.appPath, excludes);
  const include = (src: string) => src === options.appPath || !ignore.ignores(src);
  refuseLinksOutside(options.appPath, include);
  // Links inside the app folder stay links (as they are in the app); none can pull in files from elsewhere.
  fs.cpSync(options.appPath, outputDir, { recursive: true, dereference: false, verbatimSymlinks: true, filter: include });

  if (options.installDependencies && isPython(options.runtime) && layout.hasRequirements) {
    installRequirements(path.join(options.appPath, 'requirements.txt'), outputDir, options.runtime, options.architecture);
  }
  if (options.installDependencies && isNode(options.runtime) && layout.hasPackageJson) {
    npmInstall(outputDir, layout.hasPackageLock);
  }

  const script = path.join(outputDir, options.startScript);
  if (options.startCommand !== undefined) writeExecutable(script, startScriptFor(options.startCommand));
  else normalizeStartScript(script);

  if (isPython(options.runtime) && options.pythonBytecode && options.bytecodeCompiler) {
    const python = options.bytecodeCompiler;
    const { pycFiles, failed } = compileBytecode(python, outputDir);
    process.stderr.write(`rustacean-lambda: compiled ${pycFiles} Python ${python.version} bytecode files (unchecked-hash) ` +
      `for ${options.runtime.name} with ${python.command} (${python.source})\n`);
    if (failed.length > 0) {
      process.stderr.write(`rustacean-lambda: ${failed.length} files did not compile for Python ${python.version} and stay ` +
        `source only: ${failed.slice(0, 5).map(f => path.relative(outputDir, f) || f).join(', ')}${failed.length > 5 ? ', ...' : ''}\n`);
    }
  }
}

/** The `--platform` tags pip may pick wheels for: manylinux2014 everywhere, newer glibc on AL2023 runtimes. */
export function pipPlatforms(runtime: lambda.Runtime, architecture: Architecture): string[] {
  const machine = ARCHITECTURES[architecture].machine;
  const platforms = [`manylinux2014_${machine}`];
  const [major, minor] = pythonVersion(runtime).split('.').map(Number);
  // Python 3.12 and later run on Amazon Linux 2023 (glibc 2.34); earlier ones on Amazon Linux 2 (glibc 2.26).
  if (major > 3 || (major === 3 && minor >= 12)) platforms.push(`manylinux_2_28_${machine}`, `manylinux_2_34_${machine}`);
  return platforms;
}

function pythonVersion(runtime: lambda.Runtime): string {
  const match = /^python(\d+\.\d+)/.exec(runtime.name);
  if (!match) throw new Error(`runtime ${runtime.name} is not a Python runtime`);
  return match[1];
}

/** The pip command that installs a requirements file for the Lambda platform, wheels only. */
export function pipCommand(python: string, requirements: string, target: string, runtime: lambda.Runtime,
  architecture: Architecture, compile: boolean): { command: string; args: string[] } {
  const args = pipArgs(['-r', requirements, '--target', target]);
  for (const platform of pipPlatforms(runtime, architecture)) args.push('--platform', platform);
  args.push('--only-binary=:all:', '--python-version', pythonVersion(runtime), '--implementation', 'cp');
  if (!compile) args.push('--no-compile');
  return { command: python, args };
}

function installRequirements(requirements: string, target: string, runtime: lambda.Runtime, architecture: Architecture): void {
  // pip's own bytecode is timestamp-based (invalid once the asset is zipped) and of the local Python's version:
  // the asset's bytecode is compiled afterwards, for the runtime (see planBytecode).
  const { args } = pipCommand('python', requirements, target, runtime, architecture, false);
  findPython({ needPip: true, fix: 'or start a Docker engine and use bundling: { pythonBundling: PythonBundling.DOCKER }' });
  process.stderr.write(`rustacean-lambda: pip install -r ${path.basename(requirements)} for ${runtime.name} ${architecture}\n`);
  pipInstall(args.slice(pipArgs([]).length), `pip could not install ${requirements} for ${runtime.name} on ${architecture} ` +
    `(${pipPlatforms(runtime, architecture).join(', ')}, wheels only)`, {
    cwd: path.dirname(requirements),
    advice: 'a dependency without a wheel for this platform needs Docker bundling (bundling: { pythonBundling: PythonBundling.DOCKER }) ' +
      'or a release that ships wheels',
  });
}

function npmInstall(dir: string, locked: boolean): void {
  const args = locked
    ? ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']
    : ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'];
  process.stderr.write(`rustacean-lambda: npm ${args.join(' ')}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = run(npm, args, { cwd: dir, shell: process.platform === 'win32' });
  if (result.error || result.status !== 0) {
    throw new Error(`npm ${args[0]} failed in the staged asset of ${dir}` +
      `${result.error ? ` (${result.error.message})` : ''}:\n${outputTail(result.stderr)}\n` +
      (locked ? 'check that package-lock.json matches package.json (run `npm install` and commit the lock file)'
        : 'check package.json'));
  }
}

/** Whether a Docker engine answers; asked once per process. */
export class DockerEngine {
  public static available(): boolean {
    if (DockerEngine.answer === undefined) {
      const docker = process.env.CDK_DOCKER ?? 'docker';
      const result = run(docker, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
      DockerEngine.answer = !result.error && result.status === 0 && result.stdout.trim() !== '';
    }
    return DockerEngine.answer;
  }

  /** Forget the answer, or fix it (tests). */
  public static reset(answer?: boolean): void {
    DockerEngine.answer = answer;
  }

  private static answer?: boolean;
}

function resolvePythonBundling(mode: PythonBundling): PythonBundling {
  if (mode === PythonBundling.AUTO) return DockerEngine.available() ? PythonBundling.DOCKER : PythonBundling.LOCAL;
  return mode;
}

/**
 * The build image's Python is the runtime's: compile the whole asset there. A file that does not compile stays
 * source only (as with local bundling), so compileall's exit status does not fail the bundling.
 */
export function dockerBytecodeCommand(outputDir: string): string {
  return `python ${compileallArgs(outputDir).map(shellQuote).join(' ')} || ` +
    'echo "rustacean-lambda: some files did not compile to bytecode and stay source only" >&2';
}

/** POSIX-shell quoting of one word. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * Python with Docker: `@aws-cdk/aws-lambda-python-alpha`'s bundling installs the dependencies in the Lambda build
 * image; an after-bundling hook writes or fixes the start script there (LF, 0755).
 */
function pythonDockerCode(options: AppBundlingOptions, excludes: string[], assetHash: string): lambda.AssetCode {
  let bundling: { Bundling: { bundle(props: Record<string, unknown>): lambda.AssetCode } };
  try {
    // Internal module of the alpha package (its Bundling class is what PythonFunction uses); loaded only here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    bundling = require('@aws-cdk/aws-lambda-python-alpha/lib/bundling');
  } catch (e) {
    throw new Error(`Docker bundling of Python apps needs @aws-cdk/aws-lambda-python-alpha (${(e as Error).message}); ` +
      'install the version that matches your aws-cdk-lib (npm install @aws-cdk/aws-lambda-python-alpha; in a Python ' +
      'CDK app pip install aws-cdk.aws-lambda-python-alpha and import aws_cdk.aws_lambda_python_alpha in the app), ' +
      'or use bundling: { pythonBundling: PythonBundling.LOCAL }');
  }
  const script = options.startScript;
  return bundling.Bundling.bundle({
    entry: options.appPath,
    runtime: options.runtime,
    architecture: ARCHITECTURES[options.architecture].lambda,
    assetHashType: AssetHashType.CUSTOM,
    assetHash,
    assetExcludes: excludes,
    commandHooks: {
      beforeBundling: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => {
        const target = `${outputDir}/${script}`;
        const write = options.startCommand !== undefined
          ? [`printf '%s' ${shellQuote(startScriptFor(options.startCommand))} > ${shellQuote(target)}`]
          : [];
        return [
          ...write,
          `sed -i -e '1s/^\\xEF\\xBB\\xBF//' -e 's/\\r$//' ${shellQuote(target)}`,
          `chmod 0755 ${shellQuote(target)}`,
          ...(options.pythonBytecode ? [dockerBytecodeCommand(outputDir)] : []),
        ];
      },
    },
  });
}
