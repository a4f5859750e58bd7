import { ConfigError } from '../../functions/core/config/load-config';
import { loadRuntimeConfigFile, projectConfigJsonSchema } from '../../lib/config/project-config';
import type { AlertConfig } from '../../functions/core/config/schema';
import { RULE_IDS, WINDOWED_RULE_IDS } from '../../functions/core/config/schema';
import { type Command, printJson } from '../command';
import { CliUsageError, EXIT } from '../errors';

/** What a valid config does, in a few words: the mode, the rules on, the silences. */
export function describeConfig(config: AlertConfig): Record<string, unknown> {
  const rulesOn = RULE_IDS.filter((id) => config.rules[id].enabled);
  const windowsOn = WINDOWED_RULE_IDS.filter((id) => config.windowedRules[id].enabled);
  return {
    mode: config.grouping.enabled
      ? `incident mode: findings grouped by ${config.grouping.groupBy.join(', ')} (at most ${config.grouping.maxUpdates} update${config.grouping.maxUpdates === 1 ? '' : 's'} per incident)`
      : `one alert per bad call (at most ${config.notifications.alertBudget.maxAlerts} every ${config.notifications.alertBudget.perMinutes} minutes, then a catch-up summary)`,
    rules: rulesOn,
    rulesOff: RULE_IDS.filter((id) => !rulesOn.includes(id)),
    windowedRules: windowsOn,
    silences: config.silences.rules.length,
    quietPeriods: config.silences.quietPeriods.length,
    deploymentName: config.notifications.deploymentName,
  };
}

export const validateConfigCommand: Command = {
  name: 'validate-config',
  summary: 'check a config file as the poller and `cdk synth` will',
  usage: `Usage: zentrunk-alerts validate-config <file> [--json]

Checks a config file exactly as the poller does at start-up (and \`cdk synth\` before a deploy):
a stage file (config/<stage>.json, with its deployment section) or a runtime config. Prints
what the config does, or each bad field with its path and the reason.

Exit code 0 when valid, 1 when not, 2 without a file.`,
  options: {},
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (!file || extra.length > 0) throw new CliUsageError('give exactly one config file');
    try {
      const config = loadRuntimeConfigFile(file);
      const summary = describeConfig(config);
      if (ctx.json) {
        printJson(ctx, { file, valid: true, ...summary });
        return EXIT.ok;
      }
      const { colors } = ctx;
      ctx.io.out(`${colors.green('valid')}: ${file}`);
      ctx.io.out(`  ${summary.mode}`);
      ctx.io.out(`  per-call rules on: ${(summary.rules as string[]).join(', ') || 'none'}`);
      if ((summary.rulesOff as string[]).length > 0)
        ctx.io.out(`  off: ${(summary.rulesOff as string[]).join(', ')}`);
      ctx.io.out(`  windowed rules on: ${(summary.windowedRules as string[]).join(', ') || 'none'}`);
      ctx.io.out(`  silences: ${summary.silences}, quiet periods: ${summary.quietPeriods}`);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (ctx.json) printJson(ctx, { file, valid: false, issues: error.issues });
      else {
        ctx.io.out(`${ctx.colors.red('invalid')}: ${file}`);
        for (const issue of error.issues) ctx.io.out(`  - ${issue}`);
        ctx.io.out(
          `\nThe fields and their defaults: docs/configuration.md; \`zentrunk-alerts print-schema\` for editors.`,
        );
      }
      return EXIT.failed;
    }
  },
};

export const printSchemaCommand: Command = {
  name: 'print-schema',
  summary: 'print the JSON Schema of config files (for editors and CI)',
  usage: `Usage: zentrunk-alerts print-schema

Prints the JSON Schema of config/<stage>.json files, generated from the same zod schema the
poller validates with (config/config.schema.json is this output). Point an editor at it with
"$schema", or check files in CI with any JSON Schema validator.`,
  options: {},
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new CliUsageError('print-schema takes no arguments');
    ctx.io.out(JSON.stringify(projectConfigJsonSchema(), null, 2));
    return EXIT.ok;
  },
};
