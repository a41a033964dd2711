import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { WebAdapter, WebAdapterFunction, WebAdapterFunctionProps, WebAdapterLayer, WebAdapterVersion } from '../../lib';
import { EXPRESS_APP, FLASK_APP, functionEnvironment, useCleanBuildState } from '../support/web-adapter';

// SnapStart and the adapter's SnapStart hooks, in the synthesized template. Nothing is bundled.

useCleanBuildState();

function templateStack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
}

function flask(stack: Stack, props: Partial<WebAdapterFunctionProps> = {}, id = 'Web'): WebAdapterFunction {
  return new WebAdapterFunction(stack, id, { appPath: FLASK_APP, runtime: lambda.Runtime.PYTHON_3_12, ...props });
}

const HOOKS = { snapStartBeforeCheckpointPath: '/snapstart/before', snapStartAfterRestorePath: '/snapstart/after' };

describe('SnapStart on a WebAdapterFunction', () => {
  test('sets SnapStart on published versions, publishes a version, writes the hooks; the Function URL is the live alias\'s', () => {
    const stack = templateStack();
    const fn = flask(stack, { snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS, ...HOOKS });
    fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      SnapStart: { ApplyOn: 'PublishedVersions' },
      Layers: ['arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:30'],
    });
    expect(functionEnvironment(fn)).toMatchObject({
      AWS_LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH: '/snapstart/before',
      AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH: '/snapstart/after',
    });
    const fnId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    template.resourceCountIs('AWS::Lambda::Version', 1);
    template.hasResourceProperties('AWS::Lambda::Version', { FunctionName: { Ref: fnId } });
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', FunctionName: { Ref: fnId } });
    template.hasResourceProperties('AWS::Lambda::Url', { Qualifier: 'live', AuthType: 'AWS_IAM' });
    expect(fn.adapter.snapStart).toBe(true);
    expect(fn.adapter.snapStartVersion).toBe(fn.currentVersion);
  });

  test('without snapStart: no SnapStart, no version, the URL is the function\'s; hooks alone get a warning', () => {
    const stack = templateStack();
    const fn = flask(stack, HOOKS);
    fn.addFunctionUrl();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { SnapStart: Match.absent() });
    template.resourceCountIs('AWS::Lambda::Version', 0);
    template.hasResourceProperties('AWS::Lambda::Url', { Qualifier: Match.absent() });
    Annotations.fromStack(stack).hasWarning('/Test/Web', Match.stringLikeRegexp('snapStartBeforeCheckpointPath and snapStartAfterRestorePath only run under SnapStart'));
    expect(() => fn.liveAlias()).toThrow(/has no SnapStart version; set snapStart/);
  });

  test('asyncInit with SnapStart: a warning that it does not apply', () => {
    const stack = templateStack();
    flask(stack, { snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS, asyncInit: true });
    Annotations.fromStack(stack).hasWarning('/Test/Web', Match.stringLikeRegexp('asyncInit does not apply under SnapStart'));
  });

  test.each([
    ['nodejs22.x', lambda.Runtime.NODEJS_22_X, EXPRESS_APP],
    ['python3.11', lambda.Runtime.PYTHON_3_11, FLASK_APP],
    ['provided.al2023', lambda.Runtime.PROVIDED_AL2023, FLASK_APP],
  ])('%s has no SnapStart: synth fails naming the runtimes that have it', (name, runtime, appPath) => {
    expect(() => new WebAdapterFunction(templateStack(), 'Web', {
      appPath, runtime, startCommand: 'exec ./server', snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS,
    })).toThrow(new RegExp(`SnapStart is not available for ${name.replace('.', '\\.')}; Lambda supports it for Java 11 and later, ` +
      'Python 3.12 and later and .NET 8 and later'));
  });

  test('python3.13 (also as a runtime object aws-cdk-lib knows nothing about) has SnapStart', () => {
    const stack = templateStack();
    flask(stack, { runtime: lambda.Runtime.PYTHON_3_13, snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: 'python3.13', SnapStart: { ApplyOn: 'PublishedVersions' } });
    const other = templateStack();
    const fn = new lambda.Function(other, 'Fn', {
      runtime: new lambda.Runtime('python3.13', lambda.RuntimeFamily.PYTHON),
      handler: 'run.sh',
      code: lambda.Code.fromAsset(FLASK_APP),
    });
    expect(WebAdapter.addTo(fn, { snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS }).snapStart).toBe(true);
  });
});

describe('SnapStart through WebAdapter.addTo', () => {
  test('a Java function: SnapStart and a published version; the hooks as variables', () => {
    const stack = templateStack();
    const fn = new lambda.Function(stack, 'Spring', {
      runtime: lambda.Runtime.JAVA_21,
      handler: 'run.sh',
      code: lambda.Code.fromAsset(FLASK_APP),
    });
    const adapter = WebAdapter.addTo(fn, { snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS, snapStartBeforeCheckpointPath: '/internal/before-checkpoint' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      SnapStart: { ApplyOn: 'PublishedVersions' },
      Environment: { Variables: Match.objectLike({ AWS_LWA_SNAPSTART_BEFORE_CHECKPOINT_PATH: '/internal/before-checkpoint' }) },
    });
    template.resourceCountIs('AWS::Lambda::Version', 1);
    expect(adapter.snapStartVersion).toBeDefined();
  });

  test('a function that has SnapStart from its own props is recognised: no hooks warning', () => {
    const stack = templateStack();
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.DOTNET_8,
      handler: 'run.sh',
      code: lambda.Code.fromAsset(FLASK_APP),
      snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS,
    });
    const adapter = WebAdapter.addTo(fn, HOOKS);
    expect(adapter.snapStart).toBe(true);
    expect(adapter.snapStartVersion).toBeUndefined();
    Annotations.fromStack(stack).hasNoWarning('/Test/Fn', Match.stringLikeRegexp('only run under SnapStart'));
  });

  test('snapStart on a Node.js function fails', () => {
    const stack = templateStack();
    const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'run.sh', code: lambda.Code.fromInline('x') });
    expect(() => WebAdapter.addTo(fn, { snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS })).toThrow(/function Test\/Fn: SnapStart is not available for nodejs24\.x/);
  });
});

describe('the hooks need the adapter release that has them, and paths it accepts', () => {
  test('fromSource() builds 1.0.0-rc1: synth fails naming 1.1.0 and AWS\'s layer 30', () => {
    const props = { ...HOOKS, snapStart: lambda.SnapStartConf.ON_PUBLISHED_VERSIONS, adapterLayer: WebAdapterLayer.fromSource() };
    expect(() => flask(templateStack(), props))
      .toThrow(/snapStartBeforeCheckpointPath and snapStartAfterRestorePath need Lambda Web Adapter 1\.1\.0 or later .* gets 1\.0\.0-rc1 \(WebAdapterLayer\.fromSource\(\) builds 1\.0\.0-rc1, the newest release on crates\.io\); use AWS's layer of 1\.1\.0: adapterLayer: WebAdapterLayer\.fromAwsPublished\(WebAdapterVersion\.V1_1_0\) \(layer 30\)/);
  });

  test('an older published release fails; 1.1.0 and later pass', () => {
    expect(() => flask(templateStack(), { snapStartAfterRestorePath: '/after', adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_0_1) }))
      .toThrow(/snapStartAfterRestorePath need Lambda Web Adapter 1\.1\.0 or later .* gets 1\.0\.1;/);
    const stack = templateStack();
    flask(stack, { snapStartAfterRestorePath: '/after', adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.of('1.2.0', 31)) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Layers: ['arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:31'],
    });
  });

  test.each([
    ['snapstart/before', {}, /does not start with '\/'; write it as '\/snapstart\/before'/],
    ['/', {}, /is the app's root; the adapter refuses it at start/],
    ['/hooks/..', {}, /is the app's root/],
    ['/snapstart/after%25', {}, /contains '%'; the adapter refuses percent-encoded hook paths/],
    ['/Events/', {}, /is the pass-through path for non-HTTP events \('\/events'\)/],
    ['/sqs', { passThroughPath: '/sqs' }, /is the pass-through path for non-HTTP events \('\/sqs'\)/],
  ])('hook path %s is refused at synth', (value, extra, message) => {
    expect(() => flask(templateStack(), { snapStartBeforeCheckpointPath: value, ...extra })).toThrow(message);
  });

  test('the hook variables are the construct\'s', () => {
    expect(() => flask(templateStack(), { environment: { AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH: '/x' } }))
      .toThrow(/environment AWS_LWA_SNAPSTART_AFTER_RESTORE_PATH is set by the construct; remove it and use the `snapStartAfterRestorePath` option/);
  });
});
