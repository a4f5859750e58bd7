import { randomBytes } from 'node:crypto';
import type { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { ConfigError } from '../../functions/core/config/load-config';
import { CALL_MATCHERS, orList } from '../../functions/core/dimensions';
import type { AlertConfig, Silence, SilenceMatchers } from '../../functions/core/config/schema';
import {
  checkSilence,
  silenceStatus,
  type SilenceStatus,
  type StoredSilence,
} from '../../functions/core/stored-silences';
import { parseDuration, parseInstant } from '../args';
import { type Command, type CommandContext, listOption, printJson, stringOption } from '../command';
import { ACCOUNT_OPTION, accountOption, loadCliConfig, requireStateStore } from '../environment';
import { CliError, CliUsageError, EXIT } from '../errors';
import { duration, table, utc } from '../io';

/** Expired silences stay listed (`silence list --expired`) this long, then the table forgets them. */
const KEEP_AFTER_END_SEC = 7 * 24 * 60 * 60;

/** The matchers of a silence by their CLI names: name first, then the other names accepted. */
const MATCHER_NAMES: ReadonlyArray<{ key: keyof SilenceMatchers; cli: readonly [string, ...string[]] }> = [
  { key: 'rule', cli: ['rule', 'alertname'] },
  { key: 'severity', cli: ['severity'] },
  ...CALL_MATCHERS,
];

const MATCHER_KEYS: Record<string, keyof SilenceMatchers> = Object.fromEntries(
  MATCHER_NAMES.flatMap(({ key, cli }) => cli.map((name) => [name, key])),
);

/** "rule, severity, trunk, country, direction" */
const NAMES = MATCHER_NAMES.map((m) => m.cli[0]);

/** `--matcher trunk=acme.zt.plivo.com --matcher severity=warning,info` → matchers. */
export function parseMatchers(specs: string[]): SilenceMatchers {
  const matchers: Record<string, string[]> = {};
  for (const spec of specs) {
    // Only exact values: a regex or a negation would be stored as a literal value and mute nothing.
    const operator = /^\s*[A-Za-z_]+\s*(=~|!=|!~)/.exec(spec)?.[1];
    if (operator) {
      throw new CliUsageError(
        `--matcher "${spec}": the operator ${operator} is not supported; a matcher is name=value, exact values only ` +
          '(several as name=a,b: any of them), e.g. --matcher trunk=acme.zt.plivo.com',
      );
    }
    const match = /^\s*([A-Za-z_]+)\s*=\s*(.+?)\s*$/.exec(spec);
    const field = match ? MATCHER_KEYS[match[1] ?? ''] : undefined;
    if (!match || !field) {
      throw new CliUsageError(
        `--matcher "${spec}" is not name=value with name one of ${NAMES.join(', ')} (e.g. --matcher trunk=acme.zt.plivo.com)`,
      );
    }
    const values = (match[2] ?? '').split(/[,|]/).map((v) => v.trim().replace(/^"(.*)"$/, '$1'));
    if (values.some((v) => /^[~!]/.test(v))) {
      throw new CliUsageError(
        `--matcher "${spec}": a value starting with ~ or ! reads as an operator, which is not supported; ` +
          'a matcher is name=value, exact values only',
      );
    }
    matchers[field] = [...(matchers[field] ?? []), ...values.filter((v) => v !== '')];
  }
  return matchers as SilenceMatchers;
}

/** "rule=packet-loss trunk=acme.zt.plivo.com" */
export function describeMatchers(matchers: SilenceMatchers): string {
  const parts = MATCHER_NAMES.flatMap(({ key, cli: [name] }) => {
    const list = matchers[key] as readonly string[] | undefined;
    return list && list.length > 0 ? [`${name}=${list.join(',')}`] : [];
  });
  return parts.length > 0 ? parts.join(' ') : '(everything)';
}

function author(ctx: CommandContext): string {
  const given =
    stringOption(ctx, 'author') ??
    ctx.io.env.ZENTRUNK_ALERTS_AUTHOR ??
    ctx.io.env.USER ??
    ctx.io.env.LOGNAME ??
    ctx.io.env.USERNAME;
  if (!given || given.trim() === '') {
    throw new CliUsageError('who is silencing? give --author NAME (or set ZENTRUNK_ALERTS_AUTHOR)');
  }
  return given.trim();
}

/** One row of `silence list`: a stored silence or one from the config file. */
interface Listed {
  id: string;
  source: 'state table' | 'config';
  status: SilenceStatus;
  matchers: SilenceMatchers;
  startsAt: string;
  endsAt: string;
  createdBy: string | null;
  comment: string | null;
  expiredBy?: string | null;
}

function listed(stored: readonly StoredSilence[], config: AlertConfig, now: Date): Listed[] {
  const fromTable: Listed[] = stored.map((s) => ({
    id: s.id,
    source: 'state table',
    status: silenceStatus(s, now),
    matchers: s.matchers,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    comment: s.comment,
    expiredBy: s.expiredBy ?? null,
  }));
  const fromConfig: Listed[] = config.silences.rules.map((s: Silence) => ({
    id: s.id,
    source: 'config',
    status: silenceStatus(s, now),
    matchers: s.matchers,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: null,
    comment: s.comment ?? null,
  }));
  return [...fromTable, ...fromConfig].sort((a, b) => a.endsAt.localeCompare(b.endsAt));
}

const USAGE = `Usage: zentrunk-alerts silence <add|list|expire> [options]

Silences mute alerts whose findings match them while they are active, like Alertmanager's
(amtool). They live in the poller's state table: the poller honours a new or expired silence
from its next run, no redeploy. Silences in the config file keep working and are listed too.

  silence add --matcher NAME=VALUE… (--for 2h | --until TIME) --comment TEXT [--author NAME] [--start TIME]
      NAME is ${orList(NAMES)}; a value may list several (a,b).
      Every matcher given must match; at least one is needed.
      --author defaults to ZENTRUNK_ALERTS_AUTHOR, else $USER.
  silence list [--expired] [--json]
      active and pending silences (with --expired also those ended in the last 7 days)
  silence expire <id> [--author NAME]
      ends a silence now

Every subcommand takes --account NAME: the silences of that Plivo account (one the config
lists; default: the default account); --config FILE names the config (default config/dev.json).

The state table: ${'STATE_TABLE_NAME'} (AWS credentials), or a running \`npm start\`'s.

Examples:
  zentrunk-alerts silence add --matcher trunk=acme.zt.plivo.com --for 2h --comment "carrier maintenance CHG-1234"
  zentrunk-alerts silence add --matcher rule=high-jitter --matcher country=IN --until 2026-11-21T06:00Z --comment "known ISP issue"
  zentrunk-alerts silence list
  zentrunk-alerts silence expire s-3f2a91c0`;

const OPTIONS = {
  matcher: { type: 'string', multiple: true, short: 'm' },
  for: { type: 'string' },
  until: { type: 'string' },
  start: { type: 'string' },
  comment: { type: 'string', short: 'c' },
  author: { type: 'string', short: 'a' },
  expired: { type: 'boolean', default: false },
  config: { type: 'string' },
  ...ACCOUNT_OPTION,
} as const;

export const silenceCommand: Command = {
  name: 'silence',
  summary: 'add, list and expire silences (stored in the state table, honoured from the next run)',
  usage: USAGE,
  options: OPTIONS,
  async run(ctx) {
    const [sub, ...args] = ctx.positionals;
    if (sub === 'add') return add({ ...ctx, positionals: args });
    if (sub === 'list' || sub === 'ls' || sub === 'query') return list({ ...ctx, positionals: args });
    if (sub === 'expire' || sub === 'rm') return expire({ ...ctx, positionals: args });
    throw new CliUsageError(
      sub ? `unknown silence command "${sub}": add, list or expire` : 'silence what? add, list or expire',
    );
  },
};

async function add(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new CliUsageError(`unexpected argument "${ctx.positionals[0]}"`);
  const now = ctx.io.now();
  const specs = listOption(ctx, 'matcher');
  if (specs.length === 0)
    throw new CliUsageError('give at least one --matcher, e.g. --matcher trunk=acme.zt.plivo.com');
  const matchers = parseMatchers(specs);
  const comment = stringOption(ctx, 'comment')?.trim();
  if (!comment)
    throw new CliUsageError('give --comment: why, and a ticket if there is one (on-call reads it at 3 a.m.)');
  const startsAt = stringOption(ctx, 'start')
    ? parseInstant(stringOption(ctx, 'start') as string, '--start', now)
    : now;
  const forText = stringOption(ctx, 'for');
  const untilText = stringOption(ctx, 'until');
  if ((forText === undefined) === (untilText === undefined)) {
    throw new CliUsageError('give how long: --for 2h, or --until 2026-11-21T06:00Z (one of them)');
  }
  const cli = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
  const account = accountOption(ctx, cli);
  const maxDays = cli.config.notifications.maxSilenceDays;
  const maxMs = maxDays * 24 * 60 * 60 * 1000;
  const endsAt =
    forText !== undefined
      ? new Date(startsAt.getTime() + Math.min(parseDuration(forText, '--for'), maxMs + 1))
      : parseInstant(untilText as string, '--until', now);
  if (endsAt.getTime() <= now.getTime())
    throw new CliUsageError(`the silence would end in the past (${utc(endsAt)})`);
  if (endsAt.getTime() - Math.max(startsAt.getTime(), now.getTime()) > maxMs) {
    throw new CliUsageError(
      `a silence may last at most ${maxDays} days (notifications.maxSilenceDays in ${cli.file}); ` +
        'for longer maintenance add a new one when this one ends',
    );
  }

  const silence: StoredSilence = {
    id: `s-${randomBytes(4).toString('hex')}`,
    matchers,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    comment,
    createdBy: author(ctx),
    createdAt: now.toISOString(),
  };
  try {
    checkSilence(silence, 'silence');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(
      `the silence is not valid:\n${error.issues.map((i) => `  - ${i}`).join('\n')}`,
      EXIT.usage,
    );
  }
  const state = requireStateStore(ctx.io, 'silence add', account);
  try {
    await state.store.putSilence(silence, Math.floor(endsAt.getTime() / 1000) + KEEP_AFTER_END_SEC);
  } finally {
    state.close();
  }
  if (ctx.json) {
    printJson(ctx, { ...silence, status: silenceStatus(silence, now), table: state.where });
    return EXIT.ok;
  }
  const starts = startsAt.getTime() > now.getTime() ? `from ${utc(startsAt)} ` : '';
  ctx.io.out(`${ctx.colors.bold(`Silence ${silence.id}`)} added to ${state.where}`);
  ctx.io.out(`  mutes   ${describeMatchers(matchers)}`);
  ctx.io.out(
    `  ${starts ? 'from    ' : 'until   '}${starts ? `${utc(startsAt)} until ${utc(endsAt)}` : `${utc(endsAt)} (${duration(endsAt.getTime() - now.getTime())})`}`,
  );
  ctx.io.out(`  by      ${silence.createdBy}: ${comment}`);
  ctx.io.out(
    `The poller honours it from its next run. End it early: zentrunk-alerts silence expire ${silence.id}`,
  );
  return EXIT.ok;
}

async function list(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new CliUsageError(`unexpected argument "${ctx.positionals[0]}"`);
  const now = ctx.io.now();
  const cli = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
  const { config, file } = cli;
  const state = requireStateStore(ctx.io, 'silence list', accountOption(ctx, cli));
  let stored: StoredSilence[];
  try {
    stored = await state.store.listSilences();
  } finally {
    state.close();
  }
  const showExpired = ctx.values.expired === true;
  const rows = listed(stored, config, now).filter((s) => showExpired || s.status !== 'expired');
  if (ctx.json) {
    printJson(ctx, { now: now.toISOString(), table: state.where, config: file, silences: rows });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out(`No ${showExpired ? '' : 'active or pending '}silences (${state.where}; config ${file}).`);
    return EXIT.ok;
  }
  const { colors } = ctx;
  const statusText = (s: Listed) =>
    s.status === 'active'
      ? colors.green('active')
      : s.status === 'pending'
        ? colors.yellow('pending')
        : colors.dim('expired');
  const ends = (s: Listed) =>
    s.status === 'expired'
      ? `${utc(s.endsAt)}${s.expiredBy ? ` (expired by ${s.expiredBy})` : ''}`
      : `${utc(s.endsAt)} (in ${duration(Date.parse(s.endsAt) - now.getTime())})`;
  for (const line of table(
    ['ID', 'STATUS', 'MATCHERS', 'STARTS', 'ENDS', 'BY', 'COMMENT'],
    rows.map((s) => [
      s.id,
      statusText(s),
      describeMatchers(s.matchers),
      s.status === 'pending' ? utc(s.startsAt) : utc(s.startsAt).slice(0, 16),
      ends(s),
      s.createdBy ?? `(config)`,
      s.comment ?? '',
    ]),
  )) {
    ctx.io.out(line);
  }
  return EXIT.ok;
}

async function expire(ctx: CommandContext): Promise<number> {
  const [id, ...extra] = ctx.positionals;
  if (!id || extra.length > 0)
    throw new CliUsageError('give the id of one silence: silence expire s-3f2a91c0');
  const now = ctx.io.now();
  const by = author(ctx);
  const cli = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
  const state = requireStateStore(ctx.io, 'silence expire', accountOption(ctx, cli));
  let ended: StoredSilence | null;
  try {
    const found = (await state.store.listSilences()).find((s) => s.id === id);
    if (!found) {
      const { config, file } = cli;
      const inConfig = config.silences.rules.some((s) => s.id === id);
      throw new CliError(
        inConfig
          ? `silence ${id} is defined in ${file}, not in the state table`
          : `no silence ${id} in ${state.where}`,
        EXIT.failed,
        inConfig
          ? 'Remove or shorten it in the config file and deploy.'
          : 'zentrunk-alerts silence list --expired shows the ids.',
      );
    }
    if (silenceStatus(found, now) === 'expired') {
      if (ctx.json) printJson(ctx, { ...found, status: 'expired', changed: false });
      else ctx.io.out(`Silence ${id} had already ended at ${utc(found.endsAt)}.`);
      return EXIT.ok;
    }
    ended = await endSilence(state.store, found, now, by);
  } finally {
    state.close();
  }
  if (!ended) throw new CliError(`silence ${id} disappeared while it was being expired`, EXIT.failed);
  if (ctx.json) printJson(ctx, { ...ended, status: 'expired', changed: true });
  else {
    ctx.io.out(`Silence ${id} expired at ${utc(now)} by ${by} (${describeMatchers(ended.matchers)}).`);
    ctx.io.out('The poller alerts on matching findings again from its next run.');
  }
  return EXIT.ok;
}

/** Ends a silence now; one that had not begun yet is moved to end now as well (never active). */
function endSilence(
  store: DynamoDbStateStore,
  silence: StoredSilence,
  now: Date,
  by: string,
): Promise<StoredSilence | null> {
  const nowIso = now.toISOString();
  // endsAt (exclusive) must stay after startsAt.
  const startsAt =
    Date.parse(silence.startsAt) < now.getTime()
      ? silence.startsAt
      : new Date(now.getTime() - 1).toISOString();
  return store.replaceSilence(
    { ...silence, startsAt, endsAt: nowIso, expiredAt: nowIso, expiredBy: by },
    Math.floor(now.getTime() / 1000) + KEEP_AFTER_END_SEC,
  );
}
