import { App } from 'aws-cdk-lib';
import { ConfigError } from '../functions/core/config/load-config';
import { addZentrunkAlerts } from '../lib/zentrunk-alerts-app';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
const configFile = app.node.tryGetContext('config') as string | undefined;

try {
  addZentrunkAlerts(app, {
    stage,
    configFile,
    // Absent without credentials: the stack is then environment-agnostic and synth still works.
    // Set but empty counts as absent (an empty account would make invalid asset bucket names).
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT || undefined,
      region: process.env.CDK_DEFAULT_REGION || undefined,
    },
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
