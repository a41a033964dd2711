/**
 * cdk-nag's AwsSolutions pack on what users copy: the sample app (both stacks) and the stacks of the integration
 * tests (test/integ.*.ts). No unsuppressed error or warning; each suppression sits next to its resource in the
 * sample or integ code, with its reason.
 *
 * The templates are synthesized with bundling skipped (the checks read the templates, not the built code). The
 * integ tests' assertion stacks (DeployAssert, built by @aws-cdk/integ-tests-alpha to invoke the functions during
 * a test deployment) are test machinery, not examples, and are not checked.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { RustFunction } from '../../lib';
import { CargoLambdaBuild } from '../../lib/core/cargo/build';
import { ColdStartSampleStack } from '../../samples/coldstart';
import { RUST_HANDLERS, SampleStack } from '../../samples/stack';
import { ColdStartBenchmarkIntegStack } from '../integ.coldstart-benchmark';
import { LlrtFunctionIntegStack } from '../integ.llrt-function';
import { RustFunctionIntegStack } from '../integ.rust-function';
import { WebAdapterIntegStack } from '../integ.web-adapter';

const env = { account: '123456789012', region: 'us-east-1' };

/** An app that skips every build, with the AwsSolutions checks applied. */
function nagApp(): App {
  CargoLambdaBuild.reset();
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Aspects.of(app).add(new AwsSolutionsChecks());
  return app;
}

/** Every unsuppressed AwsSolutions finding of a stack, as `<level> <path> <message>` lines. */
function findings(stack: Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  const pattern = Match.stringLikeRegexp('AwsSolutions-.*');
  return [...annotations.findError('*', pattern), ...annotations.findWarning('*', pattern)]
    .map(m => `${m.entry.type} ${m.id} ${String(m.entry.data).split('\n')[0]}`);
}

/** Every suppression recorded in a stack's template: rule id and reason. */
function suppressions(stack: Stack): { id: string; reason: string }[] {
  const resources = Template.fromStack(stack).toJSON().Resources ?? {};
  return Object.values<any>(resources).flatMap(r => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
}

afterAll(() => CargoLambdaBuild.reset());

describe('AwsSolutions (cdk-nag)', () => {
  test('the sample app: no unsuppressed error or warning', () => {
    const app = nagApp();
    const samples = new SampleStack(app, 'RustaceanLambdaSamples', { env });
    const coldstart = new ColdStartSampleStack(app, 'RustaceanLambdaColdStart', { env });
    app.synth();
    expect(findings(samples)).toEqual([]);
    expect(findings(coldstart)).toEqual([]);
    // The Visits table is fixed (point-in-time recovery), not suppressed.
    expect(suppressions(samples).map(s => s.id)).not.toContain('AwsSolutions-DDB3');
  });

  test('the integration test stacks: no unsuppressed error or warning', () => {
    const app = nagApp();
    const stacks = [
      new RustFunctionIntegStack(app, 'RustFunctionInteg'),
      new LlrtFunctionIntegStack(app, 'LlrtFunctionInteg'),
      new WebAdapterIntegStack(app, 'WebAdapterInteg'),
      new ColdStartBenchmarkIntegStack(app, 'ColdStartBenchmarkInteg'),
    ];
    app.synth();
    for (const stack of stacks) expect({ stack: stack.stackName, findings: findings(stack) }).toEqual({ stack: stack.stackName, findings: [] });
  });

  test('every suppression gives a reason of substance and IAM4 covers only the basic execution role', () => {
    const app = nagApp();
    const stacks = [
      new SampleStack(app, 'RustaceanLambdaSamples', { env }),
      new ColdStartSampleStack(app, 'RustaceanLambdaColdStart', { env }),
      new RustFunctionIntegStack(app, 'RustFunctionInteg'),
      new LlrtFunctionIntegStack(app, 'LlrtFunctionInteg'),
      new WebAdapterIntegStack(app, 'WebAdapterInteg'),
      new ColdStartBenchmarkIntegStack(app, 'ColdStartBenchmarkInteg'),
    ];
    app.synth();
    const all = stacks.flatMap(stack => suppressions(stack));
    expect(new Set(all.map(s => s.id))).toEqual(new Set(['AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1']));
    for (const s of all) expect(s.reason.length).toBeGreaterThan(100);
    for (const s of all.filter(x => x.id === 'AwsSolutions-IAM4')) {
      expect((s as any).applies_to).toEqual(['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    }
  });

  test('the check sees what is not suppressed: a bare RustFunction reports its managed policy', () => {
    const app = nagApp();
    const stack = new Stack(app, 'Bare', { env });
    new RustFunction(stack, 'Hello', { manifestPath: RUST_HANDLERS, binaryName: 'hello' });
    const withManagedPolicy = new RustFunction(stack, 'Suppressed', { manifestPath: RUST_HANDLERS, binaryName: 'hello' });
    // A suppression for another rule does not hide IAM4.
    NagSuppressions.addResourceSuppressions(withManagedPolicy.role!, [{ id: 'AwsSolutions-IAM5', reason: 'not the rule that fires here' }]);
    app.synth();
    expect(findings(stack)).toEqual([
      expect.stringMatching(/^aws:cdk:error \/Bare\/Hello\/ServiceRole\/Resource AwsSolutions-IAM4\[Policy::.*AWSLambdaBasicExecutionRole\]/),
      expect.stringMatching(/^aws:cdk:error \/Bare\/Suppressed\/ServiceRole\/Resource AwsSolutions-IAM4/),
    ]);
  });
});
