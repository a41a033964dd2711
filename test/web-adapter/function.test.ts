import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, DockerImage, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  PythonBundling, ReadinessCheckProtocol, StatusCodes, WebAdapterFunction, WebAdapterFunctionProps,
  WebAdapterLayer,
} from '../../lib';
import { appCode, DockerEngine, inspectApp, pipCommand, pipPlatforms, stageApp, startScriptFor } from '../../lib/web-adapter/app-bundling';
import { assetDir, fakeAdapterCache, fakeApp, FLASK_APP, functionEnvironment, modeOf, stubAdapterBuild, useCleanBuildState } from '../support/web-adapter';

// Props-to-template tests. Nothing is installed or compiled: stacks skip bundling unless a test stages an asset,
// and the adapter build is stubbed.

const owned = useCleanBuildState();

/** A stack in us-east-1 that does not bundle (no pip, no npm, no cargo). */
function templateStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
}

function pythonApp(stack: Stack, props: Partial<WebAdapterFunctionProps> = {}, id = 'Web'): WebAdapterFunction {
  return new WebAdapterFunction(stack, id, { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12, ...props });
}

const ARM64_LAYER_30 = 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:30';

describe('WebAdapterFunction on a managed runtime', () => {
  test('defaults: handler run.sh, the exec wrapper, port 8000 for adapter and app, arm64, 512 MB, 30 s, layer 1.1.0', () => {
    const stack = templateStack();
    const fn = pythonApp(stack);

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.12',
      Handler: 'run.sh',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 30,
      Layers: [ARM64_LAYER_30],
      Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', AWS_LWA_PORT: '8000', PORT: '8000' } },
    });
    expect(functionEnvironment(fn)).toEqual({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', AWS_LWA_PORT: '8000', PORT: '8000' });
    expect(fn.port).toBe(8000);
    expect(fn.invokeMode).toBe(lambda.InvokeMode.BUFFERED);
    expect(fn.adapter.version).toBe('1.1.0');
  });

  test('every adapter option becomes its AWS_LWA_* variable; user props and environment are kept', () => {
    const stack = templateStack();
    const fn = pythonApp(stack, {
      architecture: lambda.Architecture.X86_64,
      memorySize: 1024,
      environment: { STAGE: 'prod' },
      port: 8123,
      readinessCheckPath: '/healthz',
      readinessCheckPort: 8124,
      readinessCheckProtocol: ReadinessCheckProtocol.HTTP,
      readinessCheckHealthyStatus: StatusCodes.between(200, 299).plus(StatusCodes.of(301, 302)),
      asyncInit: true,
      invokeMode: lambda.InvokeMode.BUFFERED,
      passThroughPath: '/internal/events',
      removeBasePath: '/orders',
      enableCompression: true,
      errorStatusCodes: StatusCodes.parse('500-599, 429'),
      authorizationSource: 'X-Authorization',
    });

    expect(functionEnvironment(fn)).toEqual({
      STAGE: 'prod',
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap',
      PORT: '8123',
      AWS_LWA_PORT: '8123',
      AWS_LWA_READINESS_CHECK_PATH: '/healthz',
      AWS_LWA_READINESS_CHECK_PORT: '8124',
      AWS_LWA_READINESS_CHECK_PROTOCOL: 'http',
      AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: '200-299,301,302',
      AWS_LWA_ASYNC_INIT: 'true',
      AWS_LWA_INVOKE_MODE: 'buffered',
      AWS_LWA_PASS_THROUGH_PATH: '/internal/events',
      AWS_LWA_REMOVE_BASE_PATH: '/orders',
      AWS_LWA_ENABLE_COMPRESSION: 'true',
      AWS_LWA_ERROR_STATUS_CODES: '500-599,429',
      AWS_LWA_AUTHORIZATION_SOURCE: 'x-authorization',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['x86_64'],
      MemorySize: 1024,
      Layers: ['arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:30'],
    });
  });

  test('a custom start script becomes the handler', () => {
    const stack = templateStack();
    const app = fakeApp(owned);
    fs.renameSync(path.join(app, 'run.sh'), path.join(app, 'start'));
    pythonApp(stack, { appPath: app, startScript: 'start' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'start' });
  });

  test('two functions of a stack share one layer reference per architecture', () => {
    const stack = templateStack();
    pythonApp(stack, {}, 'A');
    pythonApp(stack, {}, 'B');
    pythonApp(stack, { architecture: lambda.Architecture.X86_64 }, 'C');
    const layers = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map(r => r.Properties.Layers[0]);
    expect(layers).toEqual([ARM64_LAYER_30, ARM64_LAYER_30, 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:30']);
    expect(stack.node.children.filter(c => c.node.id.startsWith('WebAdapterLayer')).map(c => c.node.id).sort())
      .toEqual(['WebAdapterLayerArm64V30', 'WebAdapterLayerX86V30']);
  });
});

describe('WebAdapterFunction on an OS-only runtime', () => {
  test('provided.al2023: the app\'s bootstrap is the handler and there is no exec wrapper', () => {
    const stack = templateStack();
    const fn = new WebAdapterFunction(stack, 'Axum', {
      appPath: fakeApp(owned, { bootstrapFor: 'arm64' }),
      runtime: lambda.Runtime.PROVIDED_AL2023,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Layers: [ARM64_LAYER_30],
    });
    expect(functionEnvironment(fn)).toEqual({ AWS_LWA_PORT: '8000', PORT: '8000' });
  });

  test('a bootstrap built for the other architecture fails at synth', () => {
    const stack = templateStack();
    expect(() => new WebAdapterFunction(stack, 'Axum', {
      appPath: fakeApp(owned, { bootstrapFor: 'x86_64' }),
      runtime: lambda.Runtime.PROVIDED_AL2023,
    })).toThrow(/bootstrap is a x86_64 executable but the function's architecture is arm64; rebuild it for arm64/);
  });

  test('a missing bootstrap fails at synth and names startCommand', () => {
    expect(() => new WebAdapterFunction(templateStack(), 'Axum', {
      appPath: fakeApp(owned),
      runtime: lambda.Runtime.PROVIDED_AL2023,
    })).toThrow(/has no bootstrap; on provided.al2023 Lambda runs bootstrap itself: .* or set startCommand/);
  });

  test('startScript other than bootstrap is refused', () => {
    expect(() => new WebAdapterFunction(templateStack(), 'Axum', {
      appPath: fakeApp(owned, { bootstrapFor: 'arm64' }),
      runtime: lambda.Runtime.PROVIDED_AL2023,
      startScript: 'run.sh',
    })).toThrow(/startScript 'run.sh' does not apply to WebAdapterFunction Axum: on provided.al2023 Lambda runs the function's bootstrap/);
  });
});

describe('start scripts in the staged asset', () => {
  function stage(props: Partial<WebAdapterFunctionProps>): { dir: string; fn: WebAdapterFunction } {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wa-out-')) });
    owned.push(app.outdir);
    const stack = new Stack(app, 'Stage', { env: { account: '123456789012', region: 'us-east-1' } });
    const fn = new WebAdapterFunction(stack, 'Web', { appPath: fakeApp(owned), runtime: lambda.Runtime.NODEJS_22_X, ...props });
    return { dir: assetDir(app, fn.node.defaultChild as lambda.CfnFunction), fn };
  }

  test('a run.sh written on Windows (CRLF, byte order mark, not executable) is staged with LF and mode 0755', () => {
    const { dir } = stage({ appPath: fakeApp(owned, { crlf: true, script: '#!/bin/bash\necho starting\nexec node index.js\n' }) });
    const script = path.join(dir, 'run.sh');
    expect(fs.readFileSync(script, 'utf-8')).toBe('#!/bin/bash\necho starting\nexec node index.js\n');
    expect(modeOf(script)).toBe('755');
    expect(fs.readdirSync(dir).sort()).toEqual(['app.py', 'run.sh']);
  });

  test('startCommand writes the start script: sh, run from the app folder, exec for a single command', () => {
    const { dir } = stage({ startCommand: 'node index.js' });
    const script = path.join(dir, 'run.sh');
    const text = fs.readFileSync(script, 'utf-8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain('cd "${LAMBDA_TASK_ROOT:-${0%/*}}"\nexec node index.js\n');
    expect(text).not.toContain('\r');
    expect(modeOf(script)).toBe('755');
  });

  test('startCommand with shell syntax is kept as written; on provided.al2023 it becomes the bootstrap', () => {
    expect(startScriptFor('cd api && exec ./server')).toContain('\ncd api && exec ./server\n');
    expect(startScriptFor('exec ./server --port $PORT')).toContain('\nexec ./server --port $PORT\n');
    const { dir } = stage({ runtime: lambda.Runtime.PROVIDED_AL2023, startCommand: './server' });
    expect(fs.readFileSync(path.join(dir, 'bootstrap'), 'utf-8')).toContain('exec ./server\n');
    expect(modeOf(path.join(dir, 'bootstrap'))).toBe('755');
  });

  test('excludes: virtualenvs and caches are never staged, user patterns are honoured', () => {
    const app = fakeApp(owned);
    fs.mkdirSync(path.join(app, '.venv', 'lib'), { recursive: true });
    fs.writeFileSync(path.join(app, '.venv', 'lib', 'x.py'), '');
    fs.mkdirSync(path.join(app, '__pycache__'));
    fs.writeFileSync(path.join(app, '__pycache__', 'app.cpython-312.pyc'), '');
    fs.writeFileSync(path.join(app, 'notes.md'), '');
    const { dir } = stage({ appPath: app, bundling: { exclude: ['*.md'] } });
    expect(fs.readdirSync(dir).sort()).toEqual(['app.py', 'run.sh']);
  });

  test('links inside the app folder are staged as links; a link pointing outside it is refused with the fix', () => {
    const app = fakeApp(owned);
    fs.mkdirSync(path.join(app, 'static'));
    fs.writeFileSync(path.join(app, 'static', 'style.css'), 'body {}\n');
    fs.symlinkSync(path.join('static', 'style.css'), path.join(app, 'style.css'));
    const { dir } = stage({ appPath: app });
    expect(fs.lstatSync(path.join(dir, 'style.css')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(dir, 'style.css'))).toBe(path.join('static', 'style.css'));
    expect(fs.readFileSync(path.join(dir, 'style.css'), 'utf-8')).toBe('body {}\n');

    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wa-secret-'));
    owned.push(outside);
    fs.writeFileSync(path.join(outside, 'id_rsa'), 'not for the asset\n');
    fs.symlinkSync(path.join(outside, 'id_rsa'), path.join(app, 'key'));
    expect(() => stage({ appPath: app })).toThrow(new RegExp(`${path.join(app, 'key')} is a symbolic link to ` +
      `${fs.realpathSync(path.join(outside, 'id_rsa'))}, outside the app folder .*: copy the file into the app folder, or exclude the link`));
    // An excluded link is never looked at.
    expect(() => stage({ appPath: app, bundling: { exclude: ['key'] } })).not.toThrow();
  });
});

describe('validation at synth', () => {
  const cases: Array<[string, Partial<WebAdapterFunctionProps>, RegExp]> = [
    ['port out of range', { port: 70000 }, /port 70000 is out of range; expected a whole number from 1024 to 65535/],
    ['port not whole', { port: 8000.5 }, /port 8000.5 is out of range/],
    ['privileged port', { port: 80 }, /port 80 is a privileged port, and Lambda runs the web app as a non-root user/],
    ['Runtime API port', { port: 9001 }, /port 9001 is the port of the Lambda Runtime API/],
    ['readiness port', { readinessCheckPort: 0 }, /readinessCheckPort 0 is out of range/],
    ['readiness path without /', { readinessCheckPath: 'health' }, /readinessCheckPath 'health' does not start with '\/'; write it as '\/health'/],
    ['readiness path with a query', { readinessCheckPath: '/health?full=1' }, /readinessCheckPath '\/health\?full=1' contains whitespace, '\?' or '#'/],
    ['pass-through path without /', { passThroughPath: 'events' }, /passThroughPath 'events' does not start with '\/'/],
    ['base path without /', { removeBasePath: 'orders' }, /removeBasePath 'orders' does not start with '\/'/],
    ['base path with trailing /', { removeBasePath: '/orders/' }, /removeBasePath '\/orders\/' ends with '\/'.*write it as '\/orders'/],
    ['streaming with compression', { invokeMode: lambda.InvokeMode.RESPONSE_STREAM, enableCompression: true },
      /enableCompression cannot be combined with invokeMode RESPONSE_STREAM/],
    ['healthy status with TCP', { readinessCheckProtocol: ReadinessCheckProtocol.TCP, readinessCheckHealthyStatus: StatusCodes.of(200) },
      /readinessCheckHealthyStatus '200' has no effect with readinessCheckProtocol TCP/],
    ['unknown invoke mode', { invokeMode: 'stream' as lambda.InvokeMode }, /invokeMode 'stream' is unknown; expected one of BUFFERED, RESPONSE_STREAM/],
    ['authorization source not a header', { authorizationSource: 'X Auth' }, /authorizationSource 'X Auth' is not an HTTP header name/],
    ['authorization source onto itself', { authorizationSource: 'authorization' }, /would move the header onto itself/],
    ['environment owned by the construct', { environment: { AWS_LWA_PORT: '9000' } },
      /environment AWS_LWA_PORT is set by the construct; remove it and use the `port` option/],
    ['exec wrapper set by hand', { environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/other' } },
      /environment AWS_LAMBDA_EXEC_WRAPPER is set by the construct; remove it \(set by the construct for managed runtimes\)/],
    ['empty start command', { startCommand: '  ' }, /startCommand is empty/],
    ['start script outside the app', { startScript: '../run.sh' }, /startScript '..\/run.sh' must be a relative path without spaces inside the function's code/],
    ['container image runtime', { runtime: lambda.Runtime.FROM_IMAGE }, /is a container image function, and layers cannot be added/],
    ['app folder missing', { appPath: '/nonexistent/app' }, /appPath '\/nonexistent\/app' is not a directory/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => pythonApp(templateStack(), props)).toThrow(message);
  });

  test('status code sets: upside-down ranges, codes out of range and bad syntax', () => {
    expect(() => StatusCodes.between(499, 200)).toThrow(/status code range 499-200 is upside down; write it as StatusCodes.between\(200, 499\)/);
    expect(() => StatusCodes.parse('499-200')).toThrow(/upside down/);
    expect(() => StatusCodes.of(700)).toThrow(/status code 700: 700 is not an HTTP status code; expected a whole number from 100 to 599/);
    expect(() => StatusCodes.parse('200-x')).toThrow(/'200-x' is neither a code nor a range/);
    expect(() => StatusCodes.parse('200,,404')).toThrow(/have an empty entry/);
    expect(() => StatusCodes.of()).toThrow(/needs at least one status code/);
    expect(StatusCodes.parse('200-399, 404').expression).toBe('200-399,404');
    expect(StatusCodes.between(204, 204).expression).toBe('204');
  });

  test('a missing start script names startCommand; one without #! is refused', () => {
    const noScript = fakeApp(owned);
    fs.rmSync(path.join(noScript, 'run.sh'));
    expect(() => pythonApp(templateStack(), { appPath: noScript })).toThrow(/has no run.sh; the adapter starts the app by running run.sh: .* or set startCommand/);
    expect(() => pythonApp(templateStack(), { appPath: fakeApp(owned, { script: 'python3 app.py\n' }) }))
      .toThrow(/run.sh has no '#!' line, so Lambda cannot execute it; start it with '#!\/bin\/bash'/);
  });

  test('port 3000 warns about Lambda Insights', () => {
    const stack = templateStack();
    pythonApp(stack, { port: 3000 });
    Annotations.fromStack(stack).hasWarning('/Test/Web', Match.stringLikeRegexp('port 3000 is also used by the CloudWatch Lambda Insights extension'));
  });
});

describe('Function URL and invoke mode', () => {
  test('streaming sets the Function URL invoke mode and AWS_LWA_INVOKE_MODE', () => {
    const stack = templateStack();
    const fn = pythonApp(stack, { invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
    fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    expect(functionEnvironment(fn).AWS_LWA_INVOKE_MODE).toBe('response_stream');
  });

  test('buffered leaves the Function URL at its default', () => {
    const stack = templateStack();
    pythonApp(stack).addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Url', { InvokeMode: Match.absent() });
  });

  test('asking addFunctionUrl for the other mode fails', () => {
    const fn = pythonApp(templateStack(), { invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
    expect(() => fn.addFunctionUrl({ invokeMode: lambda.InvokeMode.BUFFERED }))
      .toThrow(/addFunctionUrl invokeMode BUFFERED does not match the adapter's invokeMode RESPONSE_STREAM/);
    const buffered = pythonApp(templateStack());
    expect(() => buffered.addFunctionUrl({ invokeMode: lambda.InvokeMode.RESPONSE_STREAM })).toThrow(/does not match/);
  });

  test('a Function URL created elsewhere with the wrong mode fails at synth', () => {
    const stack = templateStack();
    const fn = pythonApp(stack, { invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
    new lambda.FunctionUrl(stack, 'Url', { function: fn });
    expect(() => Template.fromStack(stack)).toThrow(/Function URL Test\/Url\/Resource has invoke mode BUFFERED but the Lambda Web Adapter of Test\/Web uses RESPONSE_STREAM/);
  });
});

describe('Python dependencies', () => {
  test('local pip: Lambda platform wheels only, for the runtime\'s Python version and architecture', () => {
    const { command, args } = pipCommand('python3', 'requirements.txt', '/asset', lambda.Runtime.PYTHON_3_12, 'arm64', false);
    expect(command).toBe('python3');
    expect(args.join(' ')).toBe('-m pip install --disable-pip-version-check --no-input -r requirements.txt --target /asset ' +
      '--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64 --platform manylinux_2_34_aarch64 ' +
      '--only-binary=:all: --python-version 3.12 --implementation cp --no-compile');
    // Python 3.11 runs on Amazon Linux 2 (glibc 2.26): manylinux2014 wheels only.
    expect(pipPlatforms(lambda.Runtime.PYTHON_3_11, 'x86_64')).toEqual(['manylinux2014_x86_64']);
  });

  test('with a Docker engine, AUTO uses the Python alpha module\'s bundling, with a hook that fixes the start script', () => {
    DockerEngine.reset(true);
    // The alpha module builds its bundling image when the code is created: pretend it exists.
    const fromBuild = jest.spyOn(DockerImage, 'fromBuild').mockReturnValue(DockerImage.fromRegistry('public.ecr.aws/sam/build-python3.12'));
    const options = {
      appPath: FLASK_APP,
      runtime: lambda.Runtime.PYTHON_3_12,
      architecture: 'arm64' as const,
      startScript: 'run.sh',
      exclude: [],
      installDependencies: true,
      pythonBundling: PythonBundling.AUTO,
      pythonBytecode: true,
    };
    appCode(options, inspectApp(options));
    expect(fromBuild).toHaveBeenCalledWith(expect.stringContaining('aws-lambda-python-alpha'), expect.objectContaining({ platform: 'linux/arm64' }));
    fromBuild.mockRestore();
    const command = (lastAssetOptions().bundling?.command ?? []).join(' ');
    expect(command).toContain('python -m pip install -r requirements.txt');
    expect(command).toContain("sed -i -e '1s/^\\xEF\\xBB\\xBF//' -e 's/\\r$//' '/asset-output/run.sh'");
    expect(command).toContain("chmod 0755 '/asset-output/run.sh'");
    // The build image's Python is the runtime's: it compiles the asset's bytecode, independent of file times.
    expect(command).toContain("python '-m' 'compileall' '-q' '-f' '-j' '0' '--invalidation-mode' 'unchecked-hash' " +
      "'-s' '/asset-output' '/asset-output' || echo");
  });

  test('a stack that is not bundled never asks for Docker bundling', () => {
    DockerEngine.reset(true);
    pythonApp(templateStack());
    expect(lastAssetOptions().bundling?.local).toBeDefined();
  });

  test('without Docker, AUTO bundles locally (no Docker image is involved)', () => {
    DockerEngine.reset(false);
    const stack = templateStack();
    pythonApp(stack);
    const bundled = lastAssetOptions();
    expect(bundled.bundling?.local).toBeDefined();
    expect(bundled.bundling?.command).toBeUndefined();
  });
});

/** The options of the last asset code created (internal to aws-cdk-lib; enough for a look at bundling). */
function lastAssetOptions(): { bundling?: { command?: string[]; local?: unknown } } {
  return (lastCode as unknown as { options: { bundling?: { command?: string[]; local?: unknown } } }).options;
}

// Capture the last lambda.Code.fromAsset result (ours, or the Python alpha module's).
let lastCode: lambda.Code;
const originalFromAsset = lambda.Code.fromAsset;
beforeAll(() => {
  jest.spyOn(lambda.Code, 'fromAsset').mockImplementation((...args: Parameters<typeof lambda.Code.fromAsset>) => {
    lastCode = originalFromAsset(...args);
    return lastCode as lambda.AssetCode;
  });
});
afterAll(() => jest.restoreAllMocks());

describe('with a layer built from source', () => {
  test('the function uses the stack\'s own layer for its architecture', () => {
    stubAdapterBuild();
    const stack = templateStack();
    pythonApp(stack, { adapterLayer: WebAdapterLayer.fromSource({ cacheDirectory: fakeAdapterCache(owned) }) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['arm64'], LicenseInfo: 'Apache-2.0' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: Match.stringLikeRegexp('^WebAdapterLayerArm64V100rc1FromSource') }],
      Environment: { Variables: Match.objectLike({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap' }) },
    });
  });
});

describe('npm install of a Node.js app', () => {
  test('a lock file that does not match package.json fails with npm\'s reason and the fix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-npm-'));
    const app = path.join(dir, 'app');
    const out = path.join(dir, 'out');
    try {
      fs.mkdirSync(app);
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(app, 'run.sh'), '#!/bin/sh\nexec node index.js\n', { mode: 0o755 });
      fs.writeFileSync(path.join(app, 'index.js'), '');
      fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } }));
      // A lock file from before the dependency was added: `npm ci` refuses it.
      fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' } } }));
      const options = {
        appPath: app,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: 'x86_64' as const,
        startScript: 'run.sh',
        exclude: [],
        installDependencies: true,
        pythonBundling: PythonBundling.AUTO,
        pythonBytecode: false,
      };
      expect(() => stageApp(options, inspectApp(options), out))
        .toThrow(/npm ci failed in the staged asset of .*:\n {2}npm error[\s\S]*check that package-lock.json matches package.json \(run `npm install` and commit the lock file\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
