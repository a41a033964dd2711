import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ColdStartSampleStack } from './coldstart';
import { SampleStack } from './stack';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

new SampleStack(app, 'RustaceanLambdaSamples', { env });

// The deployable cold-start benchmark builds its Rust driver (the AWS SDK: minutes the first time), so it is
// only part of the app when asked for: `cdk synth -c coldstart=true` / `cdk deploy -c coldstart=true ...`.
if (['true', '1'].includes(String(app.node.tryGetContext('coldstart')))) {
  new ColdStartSampleStack(app, 'RustaceanLambdaColdStart', { env });
}

// cdk-nag's AwsSolutions pack at every synth: a finding without a suppression (and its reason, next to the resource)
// is an error, and `cdk synth` / `cdk deploy` stop on it. test/nag/aws-solutions.test.ts checks the same in npm test.
Aspects.of(app).add(new AwsSolutionsChecks());

app.synth();
