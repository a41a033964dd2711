import { App } from 'aws-cdk-lib';
import { SampleStack } from './stack';

const app = new App();
new SampleStack(app, 'RustaceanLambdaSamples', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
