import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { elfArchitecture } from '../../lib/core/elf';
import { DockerEngine } from '../../lib/web-adapter/app-bundling';
import { addWebAdapterSamples } from '../../samples/web-adapter';
import { cfnLintAssembly } from '../support/cfn-lint';
import { assetDir, modeOf, tempDir } from '../support/web-adapter';

const owned: string[] = [];
beforeEach(() => {
  CargoLambdaBuild.reset();
  DockerEngine.reset(false);
});
afterAll(() => {
  CargoLambdaBuild.reset();
  DockerEngine.reset();
  for (const dir of owned.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Web Adapter samples', () => {
  test('template snapshot (bundling skipped, asset hashes masked)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'WebAdapterSamples', { env: { account: '123456789012', region: 'us-east-1' } });
    addWebAdapterSamples(stack);
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'python3.12',
      Handler: 'run.sh',
      Architectures: ['arm64'],
      Layers: [{ Ref: Match.stringLikeRegexp('^WebAdapterLayerArm64V100rc1FromSource') }],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Handler: 'run.sh',
      Architectures: ['x86_64'],
      Layers: ['arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:30'],
    });
    template.resourcePropertiesCountIs('AWS::Lambda::Url', { AuthType: 'AWS_IAM' }, 2);
    expect(template.toJSON()).toMatchSnapshot();
  });

  test('the real synthesized samples (pip for arm64, npm ci, the arm64 adapter built from source) pass cfn-lint', () => {
    const outdir = tempDir('samples', owned);
    const app = new App({ outdir });
    const stack = new Stack(app, 'WebAdapterSamples');
    const samples = addWebAdapterSamples(stack);
    app.synth();

    const lint = cfnLintAssembly(outdir);
    expect(lint.output).toBe('');
    expect(lint.status).toBe(0);

    // Flask for arm64: wheels for aarch64 (MarkupSafe's speedups), from a machine that may be x86_64.
    const flask = assetDir(app, samples.flask.node.defaultChild as lambda.CfnFunction);
    const speedups = fs.readdirSync(path.join(flask, 'markupsafe')).find(f => f.startsWith('_speedups') && f.endsWith('.so'));
    expect(speedups).toMatch(/aarch64/);
    expect(elfArchitecture(path.join(flask, 'markupsafe', speedups!))).toBe('arm64');
    expect(fs.existsSync(path.join(flask, 'flask', '__init__.py'))).toBe(true);
    expect(modeOf(path.join(flask, 'run.sh'))).toBe('755');

    const layer = samples.flask.adapter.layer as lambda.LayerVersion;
    const adapter = path.join(assetDir(app, layer.node.defaultChild as lambda.CfnLayerVersion), 'extensions', 'lambda-adapter');
    expect(elfArchitecture(adapter)).toBe('arm64');

    const express = assetDir(app, samples.express.node.defaultChild as lambda.CfnFunction);
    expect(fs.existsSync(path.join(express, 'node_modules', 'express', 'package.json'))).toBe(true);
  }, 45 * 60_000);
});
