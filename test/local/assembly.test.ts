import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { CLI_CONTEXT, NODE_HANDLERS, PYTHON_HANDLERS, synthScripted, tempDir } from './apps';
import { RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { AssemblyFunction, findFunction, readAssembly, resolveLiteral } from '../../lib/local/assembly';
import { copyFixture, stubBuild } from '../support/rust';

let scripted: string;
let scriptedBare: string;

beforeAll(() => {
  scripted = synthScripted();
  scriptedBare = synthScripted({});
});

afterAll(() => {
  CargoLambdaBuild.reset();
  for (const dir of [scripted, scriptedBare]) fs.rmSync(dir, { recursive: true, force: true });
});

function byPath(functions: ReadonlyArray<AssemblyFunction>, constructPath: string): AssemblyFunction {
  const fn = functions.find(f => f.constructPath === constructPath);
  if (!fn) throw new Error(`${constructPath} not in ${functions.map(f => f.constructPath).join(', ')}`);
  return fn;
}

describe('readAssembly', () => {
  test('lists every function with what it needs to run: runtime, handler, memory, literal environment, asset layers', () => {
    const info = readAssembly(scripted);
    expect(info.functions.map(f => f.constructPath).sort()).toEqual([
      'LocalScripted/NodeHello', 'LocalScripted/NodeInline', 'LocalScripted/PyHello', 'LocalScripted/PyLayered',
    ]);
    const layered = byPath(info.functions, 'LocalScripted/PyLayered');
    expect(layered).toMatchObject({
      stackName: 'LocalScripted',
      runtime: 'python3.12',
      handler: 'hello.describe',
      architecture: 'x86_64',
      memorySizeMb: 256,
      timeoutSeconds: 3,
      environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', GREETING: 'hi', REGION_NAME: 'us-east-1' },
      unresolvedEnvironment: ['BUCKET'],
      externalLayers: ['arn:aws:lambda:us-east-1:123456789012:layer:elsewhere:3'],
    });
    expect(layered.layers).toHaveLength(1);
    expect(layered.layers[0].constructPath).toBe('LocalScripted/Tools');
    expect(fs.existsSync(path.join(layered.layers[0].path, 'extensions', 'fake-extension'))).toBe(true);
    expect(layered.code.kind).toBe('asset');
    if (layered.code.kind === 'asset') {
      expect(path.dirname(layered.code.path)).toBe(path.resolve(scripted));
      expect(fs.readFileSync(path.join(layered.code.path, 'hello.py'), 'utf8'))
        .toBe(fs.readFileSync(path.join(PYTHON_HANDLERS, 'hello.py'), 'utf8'));
    }
    expect(byPath(info.functions, 'LocalScripted/NodeInline').code).toEqual({
      kind: 'inline', source: 'exports.handler = async (event) => ({ inline: true, event });',
    });
  });

  test('finds the same paths and assets without the CLI metadata, from the manifest and the asset manifest', () => {
    const withMetadata = readAssembly(scripted).functions;
    const bare = readAssembly(scriptedBare).functions;
    const template = fs.readFileSync(path.join(scriptedBare, 'LocalScripted.template.json'), 'utf8');
    expect(template).not.toContain('aws:asset:path');
    expect(bare.map(f => f.constructPath).sort()).toEqual(withMetadata.map(f => f.constructPath).sort());
    const node = byPath(bare, 'LocalScripted/NodeHello');
    expect(node.code.kind).toBe('asset');
    if (node.code.kind === 'asset') expect(fs.readdirSync(node.code.path)).toEqual(fs.readdirSync(NODE_HANDLERS));
    expect(byPath(bare, 'LocalScripted/PyLayered').layers).toHaveLength(1);
  });

  test('reads the architecture and bootstrap asset of a Rust function, and functions of nested stages', () => {
    const workspace = copyFixture('tiny-workspace');
    try {
      stubBuild(['single']);
      const outdir = tempDir('stage-out');
      const app = new App({ outdir, context: CLI_CONTEXT });
      const stage = new Stage(app, 'Prod');
      const stack = new Stack(stage, 'Api');
      new RustFunction(stack, 'Arm', { manifestPath: workspace, binaryName: 'single', memorySize: 1024 });
      app.synth();

      const [arm] = readAssembly(outdir).functions;
      expect(arm).toMatchObject({ constructPath: 'Prod/Api/Arm', runtime: 'provided.al2023', handler: 'bootstrap', architecture: 'arm64', memorySizeMb: 1024 });
      expect(arm.code.kind === 'asset' && fs.existsSync(path.join(arm.code.path, 'bootstrap'))).toBe(true);
      fs.rmSync(outdir, { recursive: true, force: true });
    } finally {
      CargoLambdaBuild.reset();
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });

  test('says how to get an assembly when there is none', () => {
    expect(() => readAssembly(path.join(tempDir('empty'), 'cdk.out'))).toThrow(/no cloud assembly at .*run `cdk synth` first/);
  });
});

describe('findFunction', () => {
  test('accepts a construct path, a unique last part, a logical id or /Resource, in any case', () => {
    const info = readAssembly(scripted);
    expect(findFunction(info, 'LocalScripted/PyHello').constructPath).toBe('LocalScripted/PyHello');
    expect(findFunction(info, 'pyhello').constructPath).toBe('LocalScripted/PyHello');
    expect(findFunction(info, 'LocalScripted/NodeHello/Resource').constructPath).toBe('LocalScripted/NodeHello');
    const logicalId = byPath(info.functions, 'LocalScripted/NodeInline').logicalId;
    expect(findFunction(info, logicalId).constructPath).toBe('LocalScripted/NodeInline');
  });

  test('names the candidates when nothing or several match', () => {
    const info = readAssembly(scripted);
    expect(() => findFunction(info, 'Nope')).toThrow(/no function 'Nope' in .*functions: LocalScripted\/PyHello, /);
    const twice = { ...info, functions: [...info.functions, { ...byPath(info.functions, 'LocalScripted/PyHello'), constructPath: 'Other/PyHello' }] };
    expect(() => findFunction(twice, 'PyHello')).toThrow(/'PyHello' matches 2 functions \(LocalScripted\/PyHello, Other\/PyHello\)/);
  });
});

describe('resolveLiteral', () => {
  test('resolves literals, pseudo parameters and joins of them; leaves deploy-time values alone', () => {
    expect(resolveLiteral('x')).toBe('x');
    expect(resolveLiteral(42)).toBe('42');
    expect(resolveLiteral({ Ref: 'AWS::Region' })).toBe('us-east-1');
    expect(resolveLiteral({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::b']] })).toBe('arn:aws:s3:::b');
    expect(resolveLiteral({ Ref: 'MyBucket' })).toBeUndefined();
    expect(resolveLiteral({ 'Fn::Join': ['', ['a', { 'Fn::GetAtt': ['X', 'Arn'] }]] })).toBeUndefined();
    expect(resolveLiteral({ 'Fn::ImportValue': 'Shared' })).toBeUndefined();
  });
});
