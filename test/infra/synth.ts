import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type PolicyViolation } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ProjectConfigInput } from '../../lib/config/project-config';
import { POLLER_ENTRY } from '../../lib/project-paths';
import { addZentrunkAlerts } from '../../lib/zentrunk-alerts-app';
import type { ZentrunkAlertsStack } from '../../lib/zentrunk-alerts-stack';
import { tempDir as testTempDir } from '../support/temp-dir';

export const STUB_POLLER_ENTRY = join(__dirname, 'fixtures', 'stub-handler.ts');
export const REAL_POLLER_ENTRY = process.env.TRY_STUB
  ? join(__dirname, 'fixtures', 'stub-handler.ts')
  : POLLER_ENTRY;

export interface SynthOptions {
  /** A config object (written to a temporary file) or the path of a config file. */
  config: ProjectConfigInput | string;
  pollerEntry?: string;
  /** Leave the function's asset unbundled (for tests that look only at other resources). */
  skipBundling?: boolean;
  stage?: string;
}

export interface Synthesized {
  app: App;
  stack: ZentrunkAlertsStack;
  template: Template;
  assembly: CloudAssembly;
  outdir: string;
}

/** A temporary directory for the infra tests, removed after the test file (see support/temp-dir). */
export function tempDir(prefix: string): string {
  return testTempDir(`zentrunk-infra-${prefix}-`);
}

export function writeConfigFile(config: ProjectConfigInput | Record<string, unknown>): string {
  const file = join(tempDir('config'), 'test.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Builds the app the way `cdk synth` does (config file → addZentrunkAlerts → cdk-nag) and synthesizes it. */
export function synth(options: SynthOptions): Synthesized {
  const configFile = typeof options.config === 'string' ? options.config : writeConfigFile(options.config);
  const outdir = tempDir('cdk-out');
  const app = new App({
    outdir,
    // The CLI's own switch for "do not bundle": the asset is then a placeholder.
    context: options.skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {},
  });
  const stack = addZentrunkAlerts(app, {
    stage: options.stage ?? 'test',
    configFile,
    pollerEntry: options.pollerEntry ?? STUB_POLLER_ENTRY,
  });
  // Throws when cdk-nag reports an unacknowledged finding, as `cdk synth` does.
  const assembly = app.synth();
  return { app, stack, template: Template.fromStack(stack), assembly, outdir };
}

/** cdk-nag's findings, run again directly so that a failure lists them readably. */
export function nagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((violation: PolicyViolation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.ruleName} (${violation.severity}) at ${resource.resourceLogicalId ?? resource.templatePath}: ${violation.description}`,
    ),
  );
}

/** The directory of the function's bundled asset in the cloud assembly. */
export function pollerAssetDir(synthesized: Synthesized): string {
  const functions = synthesized.template.findResources('AWS::Lambda::Function', {
    Properties: { Runtime: 'nodejs24.x' },
  });
  const [poller] = Object.values(functions);
  const properties = (poller?.Properties ?? {}) as { Code?: { S3Key?: string } };
  const s3Key = properties.Code?.S3Key;
  if (!s3Key) throw new Error('poller function has no S3Key');
  return join(synthesized.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
}
