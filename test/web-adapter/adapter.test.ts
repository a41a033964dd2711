import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RustFunction, WebAdapter, WebAdapterLayer, WebAdapterVersion } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { copyFixture, stubBuild } from '../support/rust';
import { fakeApp, functionEnvironment } from '../support/web-adapter';

const owned: string[] = [];
beforeEach(() => CargoLambdaBuild.reset());
afterEach(() => {
  CargoLambdaBuild.reset();
  for (const dir of owned.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function stack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
}

function nodeFunction(scope: Stack, handler = 'index.handler', id = 'Fn'): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler,
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
}

describe('WebAdapter.addTo an existing function', () => {
  test('managed runtime: layer for its architecture, exec wrapper, handler set to the start script', () => {
    const s = stack();
    const fn = nodeFunction(s);
    const adapter = WebAdapter.addTo(fn, { startScript: 'run.sh', port: 8080, adapterLayer: WebAdapterLayer.fromAwsPublished(WebAdapterVersion.V1_0_1) });

    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'run.sh',
      Layers: ['arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerX86:28'],
      Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', AWS_LWA_PORT: '8080', PORT: '8080' } },
    });
    expect(adapter.port).toBe(8080);
    expect(adapter.version).toBe('1.0.1');
    expect(adapter.environment).toEqual({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', AWS_LWA_PORT: '8080', PORT: '8080' });
  });

  test('managed runtime whose handler already is a script: kept as it is', () => {
    const s = stack();
    WebAdapter.addTo(nodeFunction(s, 'bin/start'));
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', { Handler: 'bin/start' });
  });

  test('managed runtime with a module.function handler and no startScript fails with the fix', () => {
    expect(() => WebAdapter.addTo(nodeFunction(stack())))
      .toThrow(/function Test\/Fn has handler 'index.handler', but with the adapter on nodejs22.x the handler is the script that starts the web app .* pass startScript: 'run.sh'/);
  });

  test('RustFunction (provided.al2023, an axum bootstrap): arm64 layer, no exec wrapper, handler untouched', () => {
    stubBuild(['alpha', 'beta', 'gamma', 'single']);
    const workspace = copyFixture('tiny-workspace');
    owned.push(workspace);
    const s = stack();
    const fn = new RustFunction(s, 'Axum', { manifestPath: workspace, binaryName: 'alpha' });
    WebAdapter.addTo(fn, { port: 3001, readinessCheckPath: '/health' });

    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'bootstrap',
      Runtime: 'provided.al2023',
      Layers: ['arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:30'],
    });
    expect(functionEnvironment(fn)).toEqual({ AWS_LWA_PORT: '3001', PORT: '3001', AWS_LWA_READINESS_CHECK_PATH: '/health' });
    expect(() => WebAdapter.addTo(new RustFunction(s, 'Other', { manifestPath: workspace, binaryName: 'beta' }), { startScript: 'run.sh' }))
      .toThrow(/startScript 'run.sh' does not apply to function Test\/Other: on provided.al2023 Lambda runs the function's bootstrap/);
  });

  test('once per function; container images are refused', () => {
    const s = stack();
    const fn = nodeFunction(s, 'run.sh');
    WebAdapter.addTo(fn);
    expect(() => WebAdapter.addTo(fn)).toThrow(/function Test\/Fn already has the Lambda Web Adapter; add it once/);

    const imageDir = fakeApp(owned);
    fs.writeFileSync(`${imageDir}/Dockerfile`, 'FROM public.ecr.aws/lambda/python:3.12\n');
    const image = new lambda.DockerImageFunction(s, 'Image', { code: lambda.DockerImageCode.fromImageAsset(imageDir) });
    expect(() => WebAdapter.addTo(image)).toThrow(/function Test\/Image is a container image function, and layers cannot be added to those/);
  });

  test('the same options are checked', () => {
    expect(() => WebAdapter.addTo(nodeFunction(stack(), 'run.sh'), { port: 22 })).toThrow(/port 22 is a privileged port/);
  });
});

describe('triggers must agree with the invoke mode (checked at synth)', () => {
  function streamingFunction(s: Stack): lambda.Function {
    const fn = nodeFunction(s, 'run.sh');
    WebAdapter.addTo(fn, { invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
    return fn;
  }

  test('REST API integration without response streaming fails; with STREAM it passes', () => {
    const s = stack();
    const fn = streamingFunction(s);
    new apigateway.LambdaRestApi(s, 'Api', { handler: fn });
    expect(() => Template.fromStack(s)).toThrow(/REST API method Test\/Api\/Default\/\{proxy\+\}\/ANY\/Resource integrates Test\/Fn without response streaming.*responseTransferMode: apigateway.ResponseTransferMode.STREAM/);

    const ok = stack();
    const streaming = streamingFunction(ok);
    const api = new apigateway.RestApi(ok, 'Api');
    api.root.addMethod('GET', new apigateway.LambdaIntegration(streaming, { responseTransferMode: apigateway.ResponseTransferMode.STREAM }));
    Template.fromStack(ok).hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: Match.objectLike({ ResponseTransferMode: 'STREAM' }),
    });
  });

  test('a buffered adapter behind a streaming REST integration gets a warning', () => {
    const s = stack();
    const fn = nodeFunction(s, 'run.sh');
    WebAdapter.addTo(fn);
    const api = new apigateway.RestApi(s, 'Api');
    api.root.addMethod('GET', new apigateway.LambdaIntegration(fn, { responseTransferMode: apigateway.ResponseTransferMode.STREAM }));
    Annotations.fromStack(s).hasWarning('/Test/Api/Default/GET/Resource', Match.stringLikeRegexp('buffers responses'));
  });

  test('HTTP API integration of a streaming adapter fails', () => {
    const s = stack();
    const fn = streamingFunction(s);
    new apigatewayv2.HttpApi(s, 'Http', { defaultIntegration: new integrations.HttpLambdaIntegration('Fn', fn) });
    expect(() => Template.fromStack(s)).toThrow(/HTTP API integration Test\/Http\/DefaultRoute\/Fn\/Resource cannot read the streamed responses of Test\/Fn/);
  });

  test('ALB target of a streaming adapter fails', () => {
    const s = stack();
    const fn = streamingFunction(s);
    const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const alb = new elbv2.ApplicationLoadBalancer(s, 'Alb', { vpc });
    alb.addListener('Http', { port: 80 }).addTargets('Fn', { targets: [new targets.LambdaTarget(fn)] });
    expect(() => Template.fromStack(s)).toThrow(/load balancer target group .* cannot read the streamed responses of Test\/Fn/);
  });

  test('a buffered adapter behind an HTTP API is fine', () => {
    const s = stack();
    const fn = nodeFunction(s, 'run.sh');
    WebAdapter.addTo(fn);
    new apigatewayv2.HttpApi(s, 'Http', { defaultIntegration: new integrations.HttpLambdaIntegration('Fn', fn) });
    Template.fromStack(s).resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
  });
});
