import * as z from 'zod';
import { deploymentConfigSchema } from './deployment-schema';
import { parseConfig, parseWith, readConfigJson } from '../../functions/core/config/load-config';
import { type AlertConfig, alertConfigSchema } from '../../functions/core/config/schema';

/**
 * A `config/<stage>.json` file: the runtime alert config plus the `deployment` section the CDK
 * app reads. The function only ever receives the runtime part (see `runtimeConfigOf`).
 */
export const projectConfigSchema = alertConfigSchema
  .extend({
    deployment: deploymentConfigSchema
      .prefault({})
      .describe('Infrastructure settings for the CDK app; never shipped to the function.'),
  })
  .superRefine((config, ctx) => {
    // The run stops taking new work this long before the timeout; a margin as long as the
    // timeout would leave it no time at all.
    if (config.poll.safetyMarginSeconds >= config.deployment.function.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['poll', 'safetyMarginSeconds'],
        message: `must be shorter than deployment.function.timeoutSeconds (${config.deployment.function.timeoutSeconds})`,
      });
    }
  });

export type ProjectConfig = z.infer<typeof projectConfigSchema>;
export type ProjectConfigInput = z.input<typeof projectConfigSchema>;

/** Validates an already-parsed value. Never throws anything but ConfigError. */
export function parseProjectConfig(value: unknown, source = 'config'): ProjectConfig {
  return parseWith(projectConfigSchema, value, source);
}

/** Reads and validates a `config/<stage>.json` file. */
export function loadProjectConfig(path: string): ProjectConfig {
  return parseProjectConfig(readConfigJson(path), path);
}

/**
 * The runtime config exactly as the poller will validate it: `deployment` and the editor-only
 * `$schema` stripped, defaults applied. Parsing it again yields the same value.
 */
export function runtimeConfigOf(config: ProjectConfig): AlertConfig {
  const { deployment: _deployment, $schema: _schema, ...runtime } = config;
  return alertConfigSchema.parse(runtime);
}

/** The JSON Schema editors use for `config/*.json` (written to `config/config.schema.json`). */
export function projectConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(projectConfigSchema, { io: 'input' }) as Record<string, unknown>;
}

/**
 * A config file as the CLI, the local runner and the tests read it: a runtime config, or a
 * whole `config/<stage>.json` whose `deployment` section is validated too and then set aside
 * (the Lambda itself uses loadAlertConfigFile, which does not ship the deployment schema).
 */
export function loadRuntimeConfigFile(path: string): AlertConfig {
  const value = readConfigJson(path);
  if (value !== null && typeof value === 'object' && 'deployment' in value) {
    return runtimeConfigOf(parseProjectConfig(value, path));
  }
  return parseConfig(value, path);
}
