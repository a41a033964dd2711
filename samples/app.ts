import { App } from 'aws-cdk-lib';
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

app.synth();
