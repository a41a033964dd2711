import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Errors, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OptimizationPreset, RustExtension, RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { parseCargoLambdaVersion } from '../../lib/core/cargo/toolchain';
import { copyFixture, stubBuild } from '../support/rust';

// Props-to-template tests: cargo-lambda is replaced by a stub that writes fake bootstraps.
const ALL_BINS = ['alpha', 'beta', 'gamma', 'single'];

let workspace: string;
beforeEach(() => {
  CargoLambdaBuild.reset();
  workspace = copyFixture('tiny-workspace');
});
afterEach(() => {
  CargoLambdaBuild.reset();
  fs.rmSync(workspace, { recursive: true, force: true });
});

function newStack() {
  const app = new App();
  return { app, stack: new Stack(app, 'Test') };
}

/** The files of the staged asset of a function (what would be zipped and uploaded). */
function assetFiles(app: App, fn: lambda.Function): string[] {
  const code = Template.fromStack(Stack.of(fn)).findResources('AWS::Lambda::Function');
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
  const key: string = code[logicalId].Properties.Code.S3Key['Fn::Sub'] ?? code[logicalId].Properties.Code.S3Key;
  const hash = key.replace('.zip', '');
  const dir = path.join(app.outdir, `asset.${hash}`);
  const files: string[] = [];
  const walk = (d: string) => fs.readdirSync(d, { withFileTypes: true }).forEach(e =>
    e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.relative(dir, path.join(d, e.name))));
  walk(dir);
  return files.sort();
}

describe('RustFunction template', () => {
  test('defaults to provided.al2023, bootstrap handler, arm64, 128 MB and JSON logs', () => {
    stubBuild(ALL_BINS);
    const { stack } = newStack();
    new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['arm64'],
      MemorySize: 128,
      LoggingConfig: { LogFormat: 'JSON' },
    });
  });

  test('user props win over defaults: x86_64, memory, text logs, environment', () => {
    const calls = stubBuild(ALL_BINS);
    const { stack } = newStack();
    new RustFunction(stack, 'Fn', {
      manifestPath: path.join(workspace, 'Cargo.toml'),
      binaryName: 'beta',
      architecture: lambda.Architecture.X86_64,
      memorySize: 256,
      loggingFormat: lambda.LoggingFormat.TEXT,
      environment: { RUST_LOG: 'info' },
    });

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
      MemorySize: 256,
      LoggingConfig: { LogFormat: 'Text' },
      Environment: { Variables: { RUST_LOG: 'info' } },
    });
    expect(calls[0].args).toContain('--x86-64');
    expect(calls[0].args).not.toContain('--arm64');
  });

  test('exposes the resolved binary and package', () => {
    stubBuild(ALL_BINS);
    const { stack } = newStack();
    const fn = new RustFunction(stack, 'Fn', { manifestPath: path.join(workspace, 'single') });
    expect(fn.binaryName).toBe('single');
    expect(fn.packageName).toBe('single');
  });

  test('builds one cargo invocation for three functions of one workspace, each asset holding only its bootstrap', () => {
    const calls = stubBuild(ALL_BINS);
    const { app, stack } = newStack();
    const fns = ['alpha', 'beta', 'gamma'].map(bin => new RustFunction(stack, bin, { manifestPath: workspace, binaryName: bin }));

    expect(calls).toHaveLength(1);
    expect(CargoLambdaBuild.invocations).toBe(1);
    for (const fn of fns) {
      expect(assetFiles(app, fn)).toEqual(['bootstrap']);
      const content = fs.readFileSync(path.join(app.outdir, `asset.${hashOf(fn)}`, 'bootstrap'));
      expect(content.toString('latin1')).toContain(`fake ${fn.binaryName}`);
      expect(() => fs.accessSync(path.join(app.outdir, `asset.${hashOf(fn)}`, 'bootstrap'), fs.constants.X_OK)).not.toThrow();
    }
  });

  test('builds once per architecture and per option set', () => {
    const calls = stubBuild(ALL_BINS);
    const { stack } = newStack();
    new RustFunction(stack, 'A1', { manifestPath: workspace, binaryName: 'alpha' });
    new RustFunction(stack, 'A2', { manifestPath: workspace, binaryName: 'beta' });
    new RustFunction(stack, 'X1', { manifestPath: workspace, binaryName: 'alpha', architecture: lambda.Architecture.X86_64 });
    new RustFunction(stack, 'S1', { manifestPath: workspace, binaryName: 'gamma', bundling: { optimization: OptimizationPreset.SPEED } });
    expect(calls.map(c => c.args.includes('--arm64') ? 'arm64' : 'x86_64')).toEqual(['arm64', 'x86_64', 'arm64']);
  });

  test('a second synth with unchanged sources reuses the build cache and gives the same template', () => {
    const calls = stubBuild(ALL_BINS);
    const synth = () => {
      const { stack } = newStack();
      new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });
      return Template.fromStack(stack).toJSON();
    };
    const first = synth();
    CargoLambdaBuild.reset(); // a new process: only the on-disk cache remains
    const calls2 = stubBuild(ALL_BINS);
    const second = synth();
    expect(second).toEqual(first);
    expect(calls).toHaveLength(1);
    expect(calls2).toHaveLength(0);
  });

  test('changing a source file changes the asset hash', () => {
    stubBuild(ALL_BINS);
    const hash = () => {
      const { stack } = newStack();
      const fn = new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });
      return hashOf(fn);
    };
    const before = hash();
    fs.appendFileSync(path.join(workspace, 'multi', 'src', 'bin', 'alpha.rs'), '\n// changed\n');
    CargoLambdaBuild.reset();
    stubBuild(ALL_BINS);
    expect(hash()).not.toEqual(before);
  });

  test('keeps the two newest builds of an option set in the cache and removes older ones', () => {
    for (let i = 0; i < 4; i++) {
      fs.appendFileSync(path.join(workspace, 'multi', 'src', 'bin', 'alpha.rs'), `\n// revision ${i}\n`);
      CargoLambdaBuild.reset();
      stubBuild(ALL_BINS);
      const { stack } = newStack();
      new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });
    }
    const entries = fs.readdirSync(path.join(workspace, 'target', 'rustacean-lambda'));
    expect(entries).toHaveLength(2);
    expect(entries.every(e => e.startsWith('arm64-'))).toBe(true);
  });

  test('a nested Cargo workspace (excluded from this one) does not change the asset hash', () => {
    stubBuild(ALL_BINS);
    const hash = () => {
      const { stack } = newStack();
      return hashOf(new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' }));
    };
    const before = hash();
    fs.mkdirSync(path.join(workspace, 'tools', 'src'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'tools', 'Cargo.toml'), '[workspace]\nmembers = []\n');
    fs.writeFileSync(path.join(workspace, 'tools', 'src', 'lib.rs'), '// not part of the outer workspace\n');
    CargoLambdaBuild.reset();
    stubBuild(ALL_BINS);
    expect(hash()).toEqual(before);
  });

  test('skips the build for stacks excluded from bundling (cdk synth -e / deploy of another stack)', () => {
    const calls = stubBuild(ALL_BINS);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test');
    new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
    expect(calls).toHaveLength(0);
  });

  test('a stack excluded from bundling runs no cargo or rustc at all, but still checks the props', () => {
    const savedPath = process.env.PATH;
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-no-tools-'));
    try {
      process.env.PATH = empty; // cargo metadata, rustc -V or cargo-lambda would fail to start
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Other');
      const fn = new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });
      const ext = new RustExtension(stack, 'Ext', { manifestPath: workspace, binaryName: 'beta' });
      Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
      expect(fn.binaryName).toBe('alpha');
      expect(ext.binaryName).toBe('beta');
      expect(() => new RustFunction(stack, 'Missing', { manifestPath: path.join(workspace, 'nope') })).toThrow(/Cargo\.toml/);
      expect(() => new RustFunction(stack, 'BadProfile', { manifestPath: workspace, bundling: { profile: 'no good' } }))
        .toThrow("bundling.profile 'no good' is not a valid Cargo profile name");
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('cargo lambda build command', () => {
  function argsFor(props: Partial<ConstructorParameters<typeof RustFunction>[2]>) {
    const calls = stubBuild(ALL_BINS);
    const { stack } = newStack();
    new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'single', ...props });
    return calls[0];
  }

  test('release profile with the balanced preset by default, through CARGO_PROFILE_RELEASE_* env', () => {
    const call = argsFor({});
    expect(call.args.slice(0, 4)).toEqual(['lambda', 'build', '--release', '--arm64']);
    expect(call.args).toContain('--skip-target-check');
    expect(call.args).toContain('--disable-optimizations'); // cargo-lambda's --config defaults would beat our env
    expect(call.args).not.toContain('--package');
    expect(call.env).toMatchObject({
      CARGO_PROFILE_RELEASE_OPT_LEVEL: 's',
      CARGO_PROFILE_RELEASE_LTO: 'fat',
      CARGO_PROFILE_RELEASE_CODEGEN_UNITS: '1',
      CARGO_PROFILE_RELEASE_PANIC: 'abort',
      CARGO_PROFILE_RELEASE_STRIP: 'symbols',
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS: '-C target-cpu=neoverse-n1',
    });
    expect(call.cwd).toBe(fs.realpathSync(workspace));
  });

  test('presets map to opt-levels; NONE sets nothing', () => {
    expect(argsFor({ bundling: { optimization: OptimizationPreset.SIZE } }).env.CARGO_PROFILE_RELEASE_OPT_LEVEL).toBe('z');
    CargoLambdaBuild.reset();
    expect(argsFor({ bundling: { optimization: OptimizationPreset.SPEED } }).env.CARGO_PROFILE_RELEASE_OPT_LEVEL).toBe('3');
    CargoLambdaBuild.reset();
    const none = argsFor({ bundling: { optimization: OptimizationPreset.NONE } });
    expect(Object.keys(none.env).filter(k => k.startsWith('CARGO_PROFILE_RELEASE_') && !(k in process.env))).toEqual([]);
    expect(none.args).not.toContain('--disable-optimizations'); // cargo-lambda's own defaults apply
  });

  test('a custom profile gets --profile and its own CARGO_PROFILE_<NAME>_* variables; dev builds unoptimised', () => {
    const custom = argsFor({ bundling: { profile: 'lambda-small' } });
    expect(custom.args).toEqual(expect.arrayContaining(['--profile', 'lambda-small']));
    expect(custom.args).not.toContain('--release');
    expect(custom.env.CARGO_PROFILE_LAMBDA_SMALL_OPT_LEVEL).toBe('s');
    CargoLambdaBuild.reset();
    const dev = argsFor({ bundling: { profile: 'dev' } });
    expect(dev.args).not.toContain('--release');
    expect(dev.args).not.toContain('--profile');
    expect(Object.keys(dev.env).filter(k => k.startsWith('CARGO_PROFILE_DEV_') && !(k in process.env))).toEqual([]);
  });

  test('features and no-default-features build only the binary\'s package', () => {
    const call = argsFor({ bundling: { features: ['loud', 'extra'], noDefaultFeatures: true } });
    expect(call.args).toEqual(expect.arrayContaining(['--package', 'single', '--features', 'extra,loud', '--no-default-features']));
  });

  test('user rustflags (env or .cargo/config.toml) are never replaced by the preset\'s target CPU', () => {
    const viaEnv = argsFor({ bundling: { environment: { RUSTFLAGS: '-C target-feature=+lse' } } });
    expect(viaEnv.env.RUSTFLAGS).toBe('-C target-feature=+lse');
    expect(viaEnv.env.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS).toBeUndefined();
    CargoLambdaBuild.reset();
    fs.mkdirSync(path.join(workspace, '.cargo'));
    fs.writeFileSync(path.join(workspace, '.cargo', 'config.toml'), '[build]\nrustflags = ["-C", "force-frame-pointers=yes"]\n');
    expect(argsFor({}).env.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS).toBeUndefined();
  });

  test('build environment overrides the preset; extra flags are appended; toolchain sets RUSTUP_TOOLCHAIN', () => {
    const call = argsFor({
      bundling: {
        environment: { CARGO_PROFILE_RELEASE_OPT_LEVEL: '2', MY_FLAG: '1' },
        cargoLambdaFlags: ['--locked'],
        toolchain: 'stable',
      },
      architecture: lambda.Architecture.X86_64,
    });
    expect(call.env.CARGO_PROFILE_RELEASE_OPT_LEVEL).toBe('2');
    expect(call.env.MY_FLAG).toBe('1');
    expect(call.env.RUSTUP_TOOLCHAIN).toBe('stable');
    expect(call.args[call.args.length - 1]).toBe('--locked');
  });
});

describe('RustExtension', () => {
  test('builds with --extension and publishes extensions/<bin> in a layer for its architecture', () => {
    const calls = stubBuild(ALL_BINS);
    const { app, stack } = newStack();
    const ext = new RustExtension(stack, 'Ext', { manifestPath: workspace, binaryName: 'gamma', architecture: lambda.Architecture.X86_64 });

    expect(calls[0].args).toEqual(expect.arrayContaining(['--extension', '--x86-64']));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['x86_64'],
    });
    const layer = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion');
    const key: string = Object.values(layer)[0].Properties.Content.S3Key['Fn::Sub'] ?? Object.values(layer)[0].Properties.Content.S3Key;
    const dir = path.join(app.outdir, `asset.${key.replace('.zip', '')}`);
    expect(fs.readdirSync(path.join(dir, 'extensions'))).toEqual(['gamma']);
    expect(ext.binaryName).toBe('gamma');
  });

  test('a function and an extension of the same workspace are separate builds', () => {
    const calls = stubBuild(ALL_BINS);
    const { stack } = newStack();
    const ext = new RustExtension(stack, 'Ext', { manifestPath: workspace, binaryName: 'gamma' });
    new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha', layers: [ext] });
    expect(calls.map(c => c.args.includes('--extension'))).toEqual([true, false]);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: Match.stringLikeRegexp('^Ext') }],
    });
  });
});

describe('errors at synth', () => {
  test('no Cargo.toml', () => {
    stubBuild(ALL_BINS);
    const { stack } = newStack();
    const missing = path.join(workspace, 'nowhere');
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: missing }))
      .toThrow(`no Cargo.toml at '${path.join(missing, 'Cargo.toml')}' (manifestPath '${missing}'); set manifestPath`);
  });

  test('a manifestPath that is not a Cargo.toml', () => {
    const { stack } = newStack();
    const file = path.join(workspace, 'multi', 'src', 'bin', 'alpha.rs');
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: file })).toThrow(/is neither a directory nor a Cargo.toml/);
  });

  test('a workspace with several binaries and no binaryName lists them', () => {
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace }))
      .toThrow(/has several binaries and no binaryName was given; binaries: alpha, beta, gamma, single; set binaryName/);
  });

  test('an unknown binaryName lists the binaries', () => {
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'api' }))
      .toThrow(/binaryName 'api' not found in .*Cargo.toml; binaries: alpha, beta, gamma, single$/);
  });

  test('a package name with several binaries asks for one of them', () => {
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'multi' }))
      .toThrow(/binaryName 'multi' is a package with several binaries .*; binaries: alpha, beta, gamma; set binaryName/);
  });

  test('an architecture flag in cargoLambdaFlags that contradicts architecture', () => {
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha', bundling: { cargoLambdaFlags: ['--x86-64'] } }))
      .toThrow("bundling.cargoLambdaFlags '--x86-64' conflicts with architecture arm64; remove the flag and set `architecture`");
  });

  test('bad props fail as aws-cdk-lib ValidationErrors that name the construct', () => {
    const { stack } = newStack();
    let caught: any;
    try {
      new RustFunction(stack, 'Flags', { manifestPath: workspace, binaryName: 'alpha', bundling: { cargoLambdaFlags: ['--release'] } });
    } catch (e) {
      caught = e;
    }
    expect(Errors.isValidationError(caught)).toBe(true);
    expect(caught.constructPath).toBe('Test/Flags');
    expect(() => new RustExtension(stack, 'Ext', { manifestPath: workspace, binaryName: 'nope' }))
      .toThrow(expect.objectContaining({ constructPath: 'Test/Ext' }));
  });

  test('flags the construct owns point to the typed option', () => {
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha', bundling: { cargoLambdaFlags: ['--features=x'] } }))
      .toThrow("bundling.cargoLambdaFlags '--features=x' is set by the construct; remove it and use the `bundling.features` option");
  });

  test('an unsupported architecture', () => {
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha', architecture: lambda.Architecture.custom('riscv64') }))
      .toThrow("architecture 'riscv64' is not supported; expected arm64 or x86_64");
  });

  test('a build whose output is for the wrong machine (target forced in .cargo/config.toml)', () => {
    stubBuild(ALL_BINS, 'x86_64');
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' }))
      .toThrow(/the build of 'alpha' is x86_64 but the architecture is arm64; a target set in \.cargo\/config\.toml/);
  });

  test('a build that does not produce the binary', () => {
    stubBuild(['alpha']);
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'beta' }))
      .toThrow(/cargo lambda build did not produce 'beta'/);
  });

  test('a failing build shows cargo\'s error and leaves no half-written cache entry', () => {
    CargoLambdaBuild.executor = () => ({
      status: 101,
      stderr: '   Compiling multi v0.1.0\nerror[E0425]: cannot find value `x` in this scope\n --> multi/src/bin/alpha.rs:3:5\n\nerror: could not compile `multi`\n',
    });
    const { stack } = newStack();
    let message = '';
    try {
      new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/cargo lambda build failed for .* for arm64 \(release, balanced preset.*\) \(exit code 101\)/);
    expect(message).toContain('error[E0425]: cannot find value `x` in this scope');
    expect(message).toContain('--> multi/src/bin/alpha.rs:3:5');
    expect(message).not.toContain('Compiling multi');
    const cacheRoot = path.join(workspace, 'target', 'rustacean-lambda');
    expect(fs.existsSync(cacheRoot) ? fs.readdirSync(cacheRoot) : []).toEqual([]);
  });

  test('cargo-lambda missing says how to install it', () => {
    const savedPath = process.env.PATH;
    const { stack } = newStack();
    try {
      // cargo itself must stay reachable for `cargo metadata`: keep only its folder
      const cargoDir = path.dirname(execFileSync('which', ['cargo'], { encoding: 'utf-8' }).trim());
      process.env.PATH = cargoDir;
      expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' }))
        .toThrow(/cargo-lambda was not found on PATH .*install it with `pip install cargo-lambda`/);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  test('a cargo-lambda older than the minimum is refused with the version found and the upgrade command', () => {
    const savedPath = process.env.PATH;
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-old-cargo-lambda-'));
    fs.writeFileSync(path.join(bin, 'cargo-lambda'), '#!/bin/sh\necho "cargo-lambda 0.21.1 (f00 2023-09-01Z)"\n', { mode: 0o755 });
    const { stack } = newStack();
    try {
      process.env.PATH = [bin, savedPath].join(path.delimiter);
      expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha' }))
        .toThrow(/cargo-lambda 0\.21\.1 is too old: this library needs cargo-lambda 1\.0\.0 or newer .*pip install -U cargo-lambda/);
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  test('the version of cargo-lambda is read from its --version line', () => {
    expect(parseCargoLambdaVersion('cargo-lambda 1.9.2 (67129fc 2026-08-21Z)')).toEqual([1, 9, 2]);
    expect(parseCargoLambdaVersion('cargo-lambda v0.21.1')).toEqual([0, 21, 1]);
    expect(parseCargoLambdaVersion('something else')).toBeUndefined();
  });

  test('a toolchain without the target says how to add it', () => {
    stubBuild(ALL_BINS);
    const { stack } = newStack();
    expect(() => new RustFunction(stack, 'Fn', { manifestPath: workspace, binaryName: 'alpha', bundling: { toolchain: 'no-such-toolchain' } }))
      .toThrow("toolchain 'no-such-toolchain' has no Rust standard library for aarch64-unknown-linux-gnu (architecture arm64); run `rustup target add aarch64-unknown-linux-gnu --toolchain no-such-toolchain`");
  });
});

function hashOf(fn: lambda.Function): string {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const code = Stack.of(fn).resolve(cfn.code) as { s3Key: string };
  return code.s3Key.replace('.zip', '');
}
