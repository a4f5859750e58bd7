import { cutText } from '../../functions/core/untrusted-text';
import { randomUUID } from 'node:crypto';
import { asciiSubject } from '../../functions/core/alert-message';
import {
  RULE_IDS,
  type Severity,
  severitySchema,
  WINDOWED_RULE_IDS,
} from '../../functions/core/config/schema';
import { forChannel } from '../../functions/core/poll/run-context';
import type { AlertMessage } from '../../functions/core/ports';
import { type Command, printJson, stringOption } from '../command';
import { configForAccount, messageForAccount } from '../../functions/core/accounts';
import { ACCOUNT_OPTION, accountOption, loadCliConfig, openNotifier } from '../environment';
import { CliUsageError, EXIT } from '../errors';
import { utc } from '../io';

const USAGE = `Usage: zentrunk-alerts test-alert [--severity critical|warning|info] [--rule RULE] [--trunk DOMAIN] [--account NAME] [--topic ARN] [--json]

Publishes one notification marked as a test through the alert topic, with the same
per-protocol bodies (email, SMS, JSON, chat) and message attributes as a real alert, so a
team can check every subscription end to end after a deploy. Nothing is recorded.

  --severity <s>    the severity attribute (default critical: what pagers usually filter on)
  --rule <id>       the rule attribute (default test-alert); name a rule to reach a
                    subscription whose filter policy names rules
  --trunk <domain>  a trunk_domain attribute, for subscriptions filtered by trunk
  --account <name>  as that Plivo account's alerts are (named in subject and text, an account
                    attribute), for subscriptions filtered by account
  --topic <arn>     the topic (default ALERT_TOPIC_ARN; the stack's AlertTopicArn output)
  --author <name>   who sent it (default $USER)
  --config <file>   deployment name and chat format from this config (default config/dev.json)

Without a topic the message is printed here instead. AWS credentials as for the aws CLI.
Exit code 0 when SNS accepted it, 1 when it refused, 3 without credentials.`;

/** A test notification: every channel's form, clearly marked, attributes like a real alert's. */
export function renderTestAlert(options: {
  deploymentName: string;
  severity: Severity;
  rule: string;
  trunk: string | null;
  author: string;
  now: Date;
}): AlertMessage {
  const dedupKey = `zentrunk-alerts:test#${randomUUID()}`;
  const attributes: Record<string, string> = {
    severity: options.severity,
    rule: options.rule,
    state: 'firing',
    test: 'true',
    ...(options.trunk ? { trunk_domain: options.trunk } : {}),
  };
  const subject = asciiSubject(
    `[${options.deploymentName} TEST ${options.severity.toUpperCase()}] test notification from ${options.author} - no action needed`,
  );
  const text = [
    `TEST: a test notification from zentrunk-alerts (${options.deploymentName}), sent by ${options.author} at ${utc(options.now)}.`,
    'No action is needed: nothing is wrong with any call.',
    '',
    'It went through the alert topic like a real alert, with these message attributes:',
    ...Object.entries(attributes).map(([k, v]) => `  ${k.padEnd(12)} ${v}`),
    '',
    'If you received it, this subscription works end to end.',
    '',
    `Alert key: ${dedupKey}`,
  ].join('\n');
  return {
    dedupKey,
    subject,
    text,
    // The author comes from --author or the environment: cut by character, like every other SMS.
    shortText: cutText(
      `TEST ${options.deploymentName}: test notification (${options.severity}) from ${options.author}, no action needed`,
      160,
    ),
    json: {
      version: 1,
      kind: 'test',
      test: true,
      state: 'firing',
      dedupKey,
      rule: options.rule,
      severity: options.severity,
      sentBy: options.author,
      sentAt: options.now.toISOString(),
      labels: options.trunk ? { trunk_domain: options.trunk } : {},
    },
    attributes,
  };
}

export const testAlertCommand: Command = {
  name: 'test-alert',
  summary: 'publish a notification marked as a test through the real topic (check subscriptions)',
  usage: USAGE,
  options: {
    severity: { type: 'string', default: 'critical' },
    rule: { type: 'string', default: 'test-alert' },
    trunk: { type: 'string' },
    topic: { type: 'string' },
    author: { type: 'string' },
    config: { type: 'string' },
    ...ACCOUNT_OPTION,
  },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new CliUsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const severity = severitySchema.safeParse(stringOption(ctx, 'severity'));
    if (!severity.success) throw new CliUsageError('--severity must be critical, warning or info');
    const rule = stringOption(ctx, 'rule') ?? 'test-alert';
    const known = ['test-alert', ...RULE_IDS, ...WINDOWED_RULE_IDS, 'catch-up-summary', 'poller-health'];
    if (!known.includes(rule))
      throw new CliUsageError(
        `--rule must be test-alert or a rule id (${[...RULE_IDS, ...WINDOWED_RULE_IDS].join(', ')})`,
      );
    const cli = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
    // As the poller sends it for --account: its name in the subject, the text and an attribute.
    // Without --account, as the default account's alerts are (whether or not the config watches it).
    const account = stringOption(ctx, 'account') === undefined ? null : accountOption(ctx, cli);
    const config = account ? configForAccount(cli.config, account) : cli.config;
    const author =
      stringOption(ctx, 'author') ?? ctx.io.env.ZENTRUNK_ALERTS_AUTHOR ?? ctx.io.env.USER ?? 'someone';
    const rendered = forChannel(
      config,
      renderTestAlert({
        deploymentName: config.notifications.deploymentName,
        severity: severity.data,
        rule,
        trunk: stringOption(ctx, 'trunk') ?? null,
        author,
        now: ctx.io.now(),
      }),
    );
    const message = account ? messageForAccount(account, rendered) : rendered;
    const target = openNotifier(ctx.io, stringOption(ctx, 'topic'));
    if (target.printed && !ctx.json)
      ctx.io.out(`No ALERT_TOPIC_ARN (or --topic): the test notification is printed here instead.\n`);
    const { messageId } = await target.notifier.publish(message);

    if (ctx.json) {
      printJson(ctx, {
        sent: !target.printed,
        to: target.where,
        messageId,
        subject: message.subject,
        attributes: message.attributes,
      });
      return EXIT.ok;
    }
    if (target.printed) {
      ctx.io.out(
        `Set ALERT_TOPIC_ARN (the stack's AlertTopicArn output) to send it through SNS to every subscription.`,
      );
      return EXIT.ok;
    }
    const attrs = Object.entries(message.attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    ctx.io.out(`${ctx.colors.green('Sent')} a test notification to ${target.where}`);
    ctx.io.out(`  message id  ${messageId}`);
    ctx.io.out(`  subject     ${message.subject}`);
    ctx.io.out(`  attributes  ${attrs}`);
    ctx.io.out('');
    ctx.io.out(
      'Every confirmed subscription whose filter policy accepts these attributes should get it within a minute.',
    );
    ctx.io.out('Someone did not?');
    ctx.io.out(
      `  - aws sns list-subscriptions-by-topic --topic-arn ${target.where.replace('SNS topic ', '')}`,
    );
    ctx.io.out('    (PendingConfirmation: the confirmation link in the first email was never clicked)');
    ctx.io.out(
      '  - a filter policy on rule, trunk_domain or account: send again with --rule RULE, --trunk DOMAIN or --account NAME',
    );
    ctx.io.out('  - SMS: a new account is in the SNS SMS sandbox (verified numbers only)');
    return EXIT.ok;
  },
};
