import { existsSync, readdirSync } from 'node:fs';
import { type App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../functions/core/config/load-config';
import { loadProjectConfig } from './config/project-config';
import { CONFIG_DIR, LOCK_FILE, POLLER_ENTRY, REPO_ROOT, stageConfigFile } from './project-paths';
import { ZentrunkAlertsStack } from './zentrunk-alerts-stack';

export interface ZentrunkAlertsAppOptions {
  /** Selects `config/<stage>.json` and names the stack (`-c stage=prod`, default dev). */
  readonly stage: string;
  /** A config file other than `config/<stage>.json` (`-c config=path`). */
  readonly configFile?: string;
  /** The poller handler to bundle (default functions/poller/handler.ts). */
  readonly pollerEntry?: string;
  readonly env?: Environment;
}

/**
 * Loads and validates the stage's config and adds the stack, checked by cdk-nag. Throws
 * ConfigError, naming each bad field by its path, before anything is built.
 */
export function addZentrunkAlerts(app: App, options: ZentrunkAlertsAppOptions): ZentrunkAlertsStack {
  const { stage } = options;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(stage)) {
    throw new ConfigError('stage', [`"${stage}" is not a stage name (lower-case letters, digits and -)`]);
  }
  const configFile = options.configFile ?? stageConfigFile(stage);
  if (!options.configFile && !existsSync(configFile)) {
    const stages = readdirSync(CONFIG_DIR)
      .filter((name) => name.endsWith('.json') && !name.endsWith('.schema.json'))
      .map((name) => name.replace(/\.json$/, ''));
    throw new ConfigError(configFile, [`no config for stage "${stage}" (stages: ${stages.join(', ')})`]);
  }
  const config = loadProjectConfig(configFile);
  const stackName = config.deployment.stackName ?? `zentrunk-alerts-${stage}`;

  const stack = new ZentrunkAlertsStack(app, stackName, {
    stackName,
    env: options.env,
    stage,
    config,
    pollerEntry: options.pollerEntry ?? POLLER_ENTRY,
    projectRoot: REPO_ROOT,
    depsLockFilePath: LOCK_FILE,
  });
  // Here rather than in bin/ so that the tests check exactly what `cdk synth` checks.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
