import * as z from 'zod/mini';
import { type DeploymentConfig, deploymentConfigSchema } from './deployment-schema';
import { DEFAULT_ACCOUNT } from '../../functions/core/accounts';
import { parseConfig, parseWith, readConfigJson } from '../../functions/core/config/load-config';
import { type AlertConfig, alertConfigSchema, WINDOWED_RULE_IDS } from '../../functions/core/config/schema';

/**
 * A `config/<stage>.json` file: the runtime alert config plus the `deployment` section the CDK
 * app reads. The function only ever receives the runtime part (see `runtimeConfigOf`). The
 * runtime schema is zod/mini (it is bundled into the function), the deployment schema zod
 * classic (it is not); both are zod core schemas, so they compose.
 */
export const projectConfigSchema = z
  .extend(alertConfigSchema, {
    deployment: deploymentConfigSchema
      .prefault({})
      .describe('Infrastructure settings for the CDK app; never shipped to the function.'),
  })
  .check(
    z.superRefine((config, ctx) => {
      // The run stops taking new work this long before the timeout; a margin as long as the
      // timeout would leave it no time at all.
      if (config.poll.safetyMarginSeconds >= config.deployment.function.timeoutSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['poll', 'safetyMarginSeconds'],
          message: `must be shorter than deployment.function.timeoutSeconds (${config.deployment.function.timeoutSeconds})`,
        });
      }
      checkAccounts(config, ctx);
      checkSchedule(config, ctx);
    }),
  );

/**
 * The setting in minutes that must hold at least one run of the schedule: a windowed rule's
 * window (one shorter than the interval drops the calls that ended between two runs). Checked
 * for a rule that is on, for every group or by an override: the defaults of a rule left off are
 * no error. (A flap-control span shorter than the interval is no error: it holds the latest
 * evaluation only, so the first breaching run fires; docs/configuration.md.)
 */
function checkSchedule(
  config: z.infer<typeof alertConfigSchema> & { deployment: DeploymentConfig },
  ctx: z.core.$RefinementCtx,
): void {
  const every = config.deployment.scheduleMinutes;
  const interval = `the schedule interval (deployment.scheduleMinutes ${every})`;
  for (const id of WINDOWED_RULE_IDS) {
    const rule = config.windowedRules[id];
    if (!rule.enabled && !rule.overrides.some((o) => o.enabled === true)) continue;
    if (rule.windowMinutes < every) {
      ctx.addIssue({
        code: 'custom',
        path: ['windowedRules', id, 'windowMinutes'],
        message: `must be at least ${interval}: the calls that ended between two runs would never be counted`,
      });
    }
  }
}

/**
 * The deployment side of `accounts` agrees with the runtime side: a secret for a listed account
 * only, the default account's secret only when it is watched, no two new secrets of one name,
 * and subscription filters only on accounts whose messages carry the `account` attribute.
 * (Whether two accounts share one Plivo Auth ID, and so one 300 requests / 5 s, cannot be told
 * offline: see docs/deploy.md.)
 */
function checkAccounts(
  config: z.infer<typeof alertConfigSchema> & { deployment: DeploymentConfig },
  ctx: z.core.$RefinementCtx,
): void {
  const names = (config.accounts ?? [{ name: DEFAULT_ACCOUNT }]).map((account) => account.name);
  const named = names.filter((name) => name !== DEFAULT_ACCOUNT);
  const listed = named.length > 0 ? `the accounts listed are ${names.join(', ')}` : 'no accounts are listed';
  const { deployment } = config;
  for (const name of Object.keys(deployment.accounts)) {
    if (name === DEFAULT_ACCOUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', 'accounts', name],
        message: "the default account's secret is deployment.plivoCredentials",
      });
    } else if (!named.includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', 'accounts', name],
        message: `no account "${name}" in accounts (${listed})`,
      });
    }
  }
  if (!names.includes(DEFAULT_ACCOUNT) && Object.keys(deployment.plivoCredentials).length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['deployment', 'plivoCredentials'],
      message: `is the secret of the account "${DEFAULT_ACCOUNT}", which accounts does not list: move it to deployment.accounts.<name>, or list "${DEFAULT_ACCOUNT}"`,
    });
  }
  const secretNames = new Map<string, string>();
  const newSecrets: Array<[string, string | undefined]> = [
    ['plivoCredentials', deployment.plivoCredentials.newSecretName],
    ...Object.entries(deployment.accounts).map(([name, secret]): [string, string | undefined] => [
      `accounts.${name}`,
      secret.newSecretName,
    ]),
  ];
  for (const [where, secretName] of newSecrets) {
    if (secretName === undefined) continue;
    const first = secretNames.get(secretName);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', ...where.split('.'), 'newSecretName'],
        message: `deployment.${first} already creates a secret named ${secretName}`,
      });
    }
    secretNames.set(secretName, where);
  }
  deployment.alertTopic.subscriptions.forEach((subscription, index) => {
    for (const name of subscription.filterPolicy?.account ?? []) {
      if (named.includes(name)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', 'alertTopic', 'subscriptions', index, 'filterPolicy', 'account'],
        message:
          name === DEFAULT_ACCOUNT
            ? "the default account's messages carry no account attribute: filter on the others"
            : `no account "${name}" in accounts (${listed})`,
      });
    }
  });
}

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
