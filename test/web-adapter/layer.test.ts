import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BuildCache, SccacheStorage, WebAdapterFunction, WebAdapterLayer, WebAdapterVersion } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { freePort } from '../../lib/core/process';
import { OptimizationPreset } from '../../lib/rust/types';
import { cfnLintAssembly } from '../support/cfn-lint';
import { assetDir, fakeAdapterCache, fakeApp, modeOf, stubAdapterBuild, useCleanBuildState } from '../support/web-adapter';

const owned = useCleanBuildState();

function stackIn(props: StackProps, context: Record<string, unknown> = {}): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return new Stack(app, 'Test', props);
}

/** The layer ARN a function in `stack` gets (resolved template value). */
function layerOf(stack: Stack, architecture: lambda.Architecture, layer?: WebAdapterLayer): unknown {
  const fn = new WebAdapterFunction(stack, `Fn${stack.node.children.length}`, {
    appPath: fakeApp(owned),
    runtime: lambda.Runtime.PYTHON_3_12,
    architecture,
    adapterLayer: layer,
    bundling: { installDependencies: false },
  });
  return stack.resolve((fn.node.defaultChild as lambda.CfnFunction).layers)[0];
}

const X86 = lambda.Architecture.X86_64;
const ARM = lambda.Architecture.ARM_64;

describe('AWS-published layer ARNs', () => {
  test.each([
    ['us-east-1', X86, WebAdapterVersion.V1_1_0, 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:30'],
    ['us-east-1', ARM, WebAdapterVersion.V1_1_0, 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:30'],
    ['eu-west-1', ARM, WebAdapterVersion.V1_0_1, 'arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:28'],
    ['ap-northeast-1', X86, WebAdapterVersion.V1_0_0, 'arn:aws:lambda:ap-northeast-1:753240598075:layer:LambdaAdapterLayerX86:27'],
    ['cn-north-1', X86, WebAdapterVersion.V1_1_0, 'arn:aws-cn:lambda:cn-north-1:041581134020:layer:LambdaAdapterLayerX86:30'],
    ['cn-northwest-1', X86, WebAdapterVersion.V1_1_0, 'arn:aws-cn:lambda:cn-northwest-1:069767869989:layer:LambdaAdapterLayerX86:30'],
    // A region newer than aws-cdk-lib's region list is taken as commercial.
    ['xx-future-1', ARM, WebAdapterVersion.V1_1_0, 'arn:aws:lambda:xx-future-1:753240598075:layer:LambdaAdapterLayerArm64:30'],
  ])('%s %s %s', (region, architecture, version, arn) => {
    expect(layerOf(stackIn({ env: { region } }), architecture, WebAdapterLayer.fromAwsPublished(version))).toBe(arn);
  });

  test('the default is the pinned release 1.1.0 (layer 30)', () => {
    expect(layerOf(stackIn({ env: { region: 'us-west-2' } }), ARM))
      .toBe('arn:aws:lambda:us-west-2:753240598075:layer:LambdaAdapterLayerArm64:30');
  });

  test('regions: aws-cdk-lib\'s region facts decide; an unknown but well-formed region warns, a non-region is refused', () => {
    const known = stackIn({ env: { region: 'eu-central-2' } });
    layerOf(known, ARM);
    expect(Annotations.fromStack(known).findWarning('*', Match.stringLikeRegexp('not known to this aws-cdk-lib'))).toEqual([]);

    const future = stackIn({ env: { region: 'xx-future-1' } });
    layerOf(future, ARM);
    const warnings = Annotations.fromStack(future).findWarning('*', Match.stringLikeRegexp('not known to this aws-cdk-lib'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0].entry.data)).toContain("region 'xx-future-1' is not known to this aws-cdk-lib: the Web Adapter " +
      'layer ARN assumes AWS publishes the layer there (account 753240598075); check the region name, upgrade aws-cdk-lib, ' +
      'or build the adapter yourself with `adapterLayer: WebAdapterLayer.fromSource()`');

    expect(() => layerOf(stackIn({ env: { region: 'useast1' } }), X86))
      .toThrow("has region 'useast1', which is not an AWS region name; expected one like 'us-east-1': fix the stack's env.region");
  });

  test('GovCloud fails at synth and points to fromSource()', () => {
    expect(() => layerOf(stackIn({ env: { region: 'us-gov-west-1' } }), X86))
      .toThrow(/AWS publishes no Lambda Web Adapter layer in the aws-us-gov partition \(region us-gov-west-1\); build the adapter yourself with `adapterLayer: WebAdapterLayer.fromSource\(\)`/);
  });

  test('arm64 in China fails at synth and points to fromSource() or x86_64', () => {
    expect(() => layerOf(stackIn({ env: { region: 'cn-north-1' } }), ARM))
      .toThrow(/AWS publishes no arm64 Lambda Web Adapter layer in cn-north-1 \(China regions have x86_64 only\); build the adapter yourself with `adapterLayer: WebAdapterLayer.fromSource\(\)`, or use architecture X86_64/);
  });

  test('a release without an AWS layer fails at synth', () => {
    expect(() => layerOf(stackIn({ env: { region: 'us-east-1' } }), X86, WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_0_0_RC1)))
      .toThrow(/Lambda Web Adapter 1.0.0-rc1 has no AWS-published layer; choose a release AWS published \(1.1.0 = layer 30, 1.0.1 = layer 28, 1.0.0 = layer 27\) or build this one: WebAdapterLayer.fromSource\(\{ version \}\)/);
  });

  test('region-agnostic stack: Fn::Sub with the partition, the region and the account from a region mapping', () => {
    const stack = stackIn({});
    const x86 = layerOf(stack, X86);
    const arm = layerOf(stack, ARM);
    const account = (key: string) => ({ 'Fn::FindInMap': ['WebAdapterLayerAccounts', { Ref: 'AWS::Region' }, key] });
    expect(x86).toEqual({ 'Fn::Sub': ['arn:${AWS::Partition}:lambda:${AWS::Region}:${Account}:layer:LambdaAdapterLayerX86:30', { Account: account('x8664') }] });
    expect(arm).toEqual({ 'Fn::Sub': ['arn:${AWS::Partition}:lambda:${AWS::Region}:${Account}:layer:LambdaAdapterLayerArm64:30', { Account: account('arm64') }] });

    const mapping = Template.fromStack(stack).toJSON().Mappings.WebAdapterLayerAccounts;
    expect(mapping['us-east-1']).toEqual({ x8664: '753240598075', arm64: '753240598075' });
    expect(mapping['cn-north-1']).toEqual({ x8664: '041581134020' }); // no arm64: deploying one there fails at FindInMap
    expect(mapping['cn-northwest-1']).toEqual({ x8664: '069767869989' });
    expect(mapping['us-gov-west-1']).toBeUndefined();
    expect(Object.keys(mapping).length).toBeGreaterThan(30);
  });

  test('region-agnostic stack of an app that targets only the aws partition: no mapping, any commercial region works', () => {
    // (the mapping is what makes GovCloud, or arm64 in China, fail at deploy before any function is created)
    const stack = stackIn({}, { '@aws-cdk/core:target-partitions': ['aws'] });
    expect(layerOf(stack, ARM)).toEqual({
      'Fn::Sub': ['arn:${AWS::Partition}:lambda:${AWS::Region}:${Account}:layer:LambdaAdapterLayerArm64:30', { Account: '753240598075' }],
    });
    expect(Template.fromStack(stack).toJSON().Mappings).toBeUndefined();
  });

  test('region-agnostic template passes cfn-lint', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wa-lint-'));
    owned.push(outdir);
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Agnostic');
    new WebAdapterFunction(stack, 'Arm', { appPath: fakeApp(owned), runtime: lambda.Runtime.PYTHON_3_12 })
      .addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    new WebAdapterFunction(stack, 'X86', { appPath: fakeApp(owned), runtime: lambda.Runtime.NODEJS_22_X, architecture: X86 });
    app.synth();
    const lint = cfnLintAssembly(outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);
  });
});

describe('WebAdapterVersion', () => {
  test('of() fills in the layer of a known release and checks its input', () => {
    expect(WebAdapterVersion.of('1.1.0').layerVersion).toBe(30);
    expect(WebAdapterVersion.of('0.9.1').layerVersion).toBeUndefined();
    expect(WebAdapterVersion.of('1.2.0', 31).layerVersion).toBe(31);
    expect(() => WebAdapterVersion.of('latest')).toThrow(/web adapter version 'latest' is not a release number; expected e.g. '1.1.0'/);
    expect(() => WebAdapterVersion.of('1.2.0', 0)).toThrow(/layerVersion 0 for web adapter 1.2.0 is not a layer version number/);
  });
});

describe('layer built from source', () => {
  function synthWith(layer: WebAdapterLayer, architectures: lambda.Architecture[]) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wa-src-'));
    owned.push(outdir);
    const app = new App({ outdir });
    const stack = new Stack(app, 'Src', { env: { region: 'us-gov-west-1' } });
    const fns = architectures.map((architecture, i) => new WebAdapterFunction(stack, `Fn${i}`, {
      appPath: fakeApp(owned), runtime: lambda.Runtime.NODEJS_22_X, architecture, adapterLayer: layer, bundling: { installDependencies: false },
    }));
    return { app, stack, fns };
  }

  test('one layer and one build per architecture, holding extensions/lambda-adapter and the bootstrap wrapper', () => {
    const calls = stubAdapterBuild();
    const layer = WebAdapterLayer.fromSource({ cacheDirectory: fakeAdapterCache(owned) });
    const { app, stack } = synthWith(layer, [ARM, ARM, X86]);

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 2);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleArchitectures: ['arm64'],
      Description: 'Lambda Web Adapter 1.0.0-rc1 (arm64), built from crates.io by rustacean-lambda-cdk',
    });
    // Pinned to Amazon Linux 2's glibc, so the layer also loads under the managed runtimes that still run there.
    expect(calls.map(c => c.args[c.args.indexOf('--target') + 1])).toEqual(['aarch64-unknown-linux-gnu.2.26', 'x86_64-unknown-linux-gnu.2.26']);
    for (const call of calls) {
      expect(call.args).toEqual(expect.arrayContaining(['lambda', 'build', '--release', '--extension', '--locked']));
      expect(call.env.LAMBDA_RUNTIME_USER_AGENT).toBe('aws-lambda-rust/aws-lambda-adapter/1.0.0-rc1');
      expect(call.env.CARGO_PROFILE_RELEASE_OPT_LEVEL).toBe('3'); // SPEED preset
    }

    const layers = stack.node.children.filter(c => c instanceof lambda.LayerVersion) as lambda.LayerVersion[];
    for (const l of layers) {
      const dir = assetDir(app, l.node.defaultChild as lambda.CfnLayerVersion);
      const bootstrap = path.join(dir, 'bootstrap');
      const extension = path.join(dir, 'extensions', 'lambda-adapter');
      expect(fs.readFileSync(bootstrap, 'utf-8')).toMatch(/^#!\/bin\/bash\n(#.*\n)*exec -- "\$\{LAMBDA_TASK_ROOT\}\/\$\{_HANDLER\}"\n$/);
      expect(modeOf(bootstrap)).toBe('755');
      expect(modeOf(extension)).toBe('755');
    }
  });

  test('works in GovCloud (no other account\'s layer) and the asset hash does not depend on fetching the source', () => {
    stubAdapterBuild();
    const { stack } = synthWith(WebAdapterLayer.fromSource({ cacheDirectory: fakeAdapterCache(owned) }), [X86]);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: [{ Ref: Match.stringLikeRegexp('^WebAdapterLayerX86V100rc1FromSource') }],
    });

    // A stack that is not bundled never touches cargo: the empty cache stays empty.
    const calls = stubAdapterBuild();
    const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wa-empty-'));
    owned.push(emptyCache);
    layerOf(stackIn({ env: { region: 'us-east-1' } }), ARM, WebAdapterLayer.fromSource({ cacheDirectory: emptyCache }));
    expect(calls).toHaveLength(0);
    expect(fs.readdirSync(emptyCache)).toEqual([]);
  });

  test('a build cache (typed, or the context key) reaches the adapter build, changes no layer id or hash, and warns on the layer when unused', async () => {
    const port = await freePort(); // nothing listens there
    const endpoint = `redis://127.0.0.1:${port}`;
    const calls = stubAdapterBuild();
    const cacheDirectory = fakeAdapterCache(owned);
    const cached = synthWith(WebAdapterLayer.fromSource({
      cacheDirectory,
      buildCache: BuildCache.sccache({ storage: SccacheStorage.redis({ endpoint }) }),
    }), [X86]);
    expect(calls).toHaveLength(1); // the build still runs, without the cache
    const layerIds = (stack: Stack) => Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'));
    const layer = cached.stack.node.children.find(c => c instanceof lambda.LayerVersion)!;
    Annotations.fromStack(cached.stack).hasWarning(`/${layer.node.path}`,
      Match.stringLikeRegexp(`^the build cache \\(sccache with Redis at ${endpoint}\\) was not used: .*ack: rustacean-lambda:build-cache-not-used`));

    CargoLambdaBuild.reset();
    const plainCalls = stubAdapterBuild();
    const plain = synthWith(WebAdapterLayer.fromSource({ cacheDirectory }), [X86]);
    expect(plainCalls).toHaveLength(0); // the same build key: the build made with the cache setting is reused
    expect(layerIds(plain.stack)).toEqual(layerIds(cached.stack));
    const s3Key = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion'))
      .map((r: any) => r.Properties.Content.S3Key);
    expect(s3Key(plain.stack)).toEqual(s3Key(cached.stack));
    Annotations.fromStack(plain.stack).hasNoWarning('*', Match.stringLikeRegexp('build cache'));

    // The context key is the app-wide default for layers too.
    CargoLambdaBuild.reset();
    stubAdapterBuild();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-wa-ctx-'));
    owned.push(outdir);
    const app = new App({ outdir, context: { 'rustacean-lambda:buildCache': endpoint } });
    const stack = new Stack(app, 'Ctx', { env: { region: 'us-east-1' } });
    new WebAdapterFunction(stack, 'Fn', {
      appPath: fakeApp(owned),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: X86,
      bundling: { installDependencies: false },
      adapterLayer: WebAdapterLayer.fromSource({ cacheDirectory: fakeAdapterCache(owned) }),
    });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp(`^the build cache \\(sccache with Redis at ${endpoint}\\) was not used`));
  });

  test('different build options give a separate layer; an unknown preset fails', () => {
    stubAdapterBuild();
    const cache = fakeAdapterCache(owned);
    const stack = stackIn({ env: { region: 'us-east-1' } });
    const a = WebAdapterLayer.fromSource({ cacheDirectory: cache });
    const b = WebAdapterLayer.fromSource({ cacheDirectory: cache, optimization: OptimizationPreset.SIZE });
    expect(a.bind(stack, ARM)).toBe(a.bind(stack, ARM));
    expect(WebAdapterLayer.fromSource({ cacheDirectory: cache }).bind(stack, ARM)).toBe(a.bind(stack, ARM));
    expect(b.bind(stack, ARM)).not.toBe(a.bind(stack, ARM));
    expect(() => WebAdapterLayer.fromSource({ optimization: 'fast' as OptimizationPreset })).toThrow(/optimization 'fast' is unknown/);
  });
});
