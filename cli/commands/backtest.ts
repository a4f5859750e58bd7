import { TRAFFIC_RULE_IDS } from '../../functions/core/traffic/traffic-config';
import { relative } from 'node:path';
import type { Call, CallInsights } from '../../functions/core/call';
import { RULE_IDS } from '../../functions/core/config/schema';
import { FatalSourceError } from '../../functions/core/errors';
import { mapConcurrent } from '../../functions/core/poll/map-concurrent';
import { parseCount, parseInstant } from '../args';
import { histogramOf, METRICS, renderHistogram, type Histogram } from '../backtest/histogram';
import { replay, type ReplayResult, ruleOrder, type RuleCounts } from '../backtest/replay';
import { type Command, type CommandContext, printJson, stringOption } from '../command';
import { type CliConfig, loadCliConfig, openPlivo, type PlivoAccess } from '../environment';
import { CliError, CliUsageError, EXIT } from '../errors';
import { count, duration, table, utc } from '../io';
import { ProgressBar } from '../progress';
import { DEMO_HISTORY_HOURS, isDemoTrafficKind } from '../../sandbox/demo-history';
import { SEASONAL_DEMO_DAYS } from '../../sandbox/seasonal-traffic';
import { describeConfig } from './validate-config';

const DAY = 86_400_000;
/** Plivo keeps (and answers for) calls of the last 90 days. */
const MAX_DAYS = 90;

const USAGE = `Usage: zentrunk-alerts backtest [--from TIME] [--to TIME] [--config FILE] [--compare FILE] [--json]

Replays a past window through the rules and the alert lifecycle (grouping, windowed rules,
silences in the config, the alert budget) exactly as the poller would have run it, every
deployment.scheduleMinutes, and sends nothing. Prints per rule the calls it matched and the
notifications on-call would have received (fired / updated / resolved), the busiest groups,
and histograms of quality score, packet loss, jitter and post-dial delay with the thresholds
marked, so a threshold can be set by eye.

  --from <time>      start: "7d", "24h" (ago), or an ISO time like 2026-11-20T00:00Z
                     (default 24 h ago; ${DEMO_HISTORY_HOURS} h on the sandbox, which holds ${DEMO_HISTORY_HOURS} h of demo traffic)
  --to <time>        end (default now). At most ${MAX_DAYS} days back: Plivo keeps no older calls.
  --config <file>    the config to replay (default config/dev.json)
  --compare <file>   a second config: both configs' notification counts side by side
  --rate <n>         Plivo requests per 5 s (default plivo.maxRequestsPer5s of the config;
                     Plivo allows 300 per account, shared with the running poller)
  --no-insights      fetch no Insights (one request a call): judge the CDR rules and the traffic
                     rules only, as deployed; what makes days of history quick to replay
                     (the seasonal demo's 14 days: ~1 minute instead of ~30)
  --seed <n>         demo traffic of the sandbox (default 1)
  --traffic <name>   the traffic of the CLI's own sandbox: demo (default: ${DEMO_HISTORY_HOURS} h with an
                     incident for every rule) or seasonal (${SEASONAL_DEMO_DAYS} days with a weekly rhythm per
                     trunk and four volume and spend events, listed before the replay: give
                     --from and --to around one; every call's Insights are read: 3 h of a
                     weekday afternoon, ~1,900 calls, take about 35 s, a weekday ~3 min)

Calls come from Plivo (PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN) or the sandbox, one Insights request
per call, within the request budget: a progress bar shows how far it is (on a terminal).

Example: zentrunk-alerts backtest --from 7d --compare config/prod.json`;

interface Fetched {
  calls: Call[];
  insights: Map<string, CallInsights>;
  skipped: number;
  insightErrors: number;
}

/** The window in chunks, listed one after the other (a progress bar, and one bad hour stops nothing early). */
async function fetchCalls(
  ctx: CommandContext,
  plivo: PlivoAccess,
  from: Date,
  to: Date,
  concurrency: number,
  withInsights = true,
): Promise<Fetched> {
  const span = to.getTime() - from.getTime();
  const chunkMs = Math.max(3_600_000, Math.ceil(span / 40));
  const chunks: Array<{ from: Date; to: Date }> = [];
  for (let t = from.getTime(); t < to.getTime(); t += chunkMs) {
    chunks.push({ from: new Date(t), to: new Date(Math.min(to.getTime(), t + chunkMs)) });
  }
  const calls: Call[] = [];
  let skipped = 0;
  const listing = new ProgressBar(ctx.io, 'calls', chunks.length);
  for (const [i, window] of chunks.entries()) {
    if (ctx.io.signal?.aborted) throw new CliError('stopped (Ctrl-C) while listing calls', EXIT.failed);
    const listed = await plivo.client.listCalls(window);
    calls.push(...listed.calls);
    skipped += listed.skipped.length;
    listing.update(i + 1, `${count(calls.length)} calls`);
  }
  listing.done();

  const insights = new Map<string, CallInsights>();
  let insightErrors = 0;
  if (!withInsights) return { calls, insights, skipped, insightErrors };
  let done = 0;
  const bar = new ProgressBar(ctx.io, 'insights', calls.length);
  await mapConcurrent(calls, concurrency, async (call) => {
    if (ctx.io.signal?.aborted) return;
    try {
      const found = await plivo.client.getInsights(call.callUuid);
      if (found) insights.set(call.callUuid, found);
    } catch (error) {
      if (error instanceof FatalSourceError) throw error;
      insightErrors += 1; // failed after retries: judged on its CDR, as the poller would in the end
    }
    done += 1;
    bar.update(done);
  });
  bar.done();
  if (ctx.io.signal?.aborted) throw new CliError('stopped (Ctrl-C) while fetching insights', EXIT.failed);
  return { calls, insights, skipped, insightErrors };
}

interface Replayed {
  file: string;
  config: CliConfig;
  result: ReplayResult;
}

function ruleTotal(c: RuleCounts | undefined): number {
  return c ? c.fired + c.updated + c.reminded + c.resolved : 0;
}

function fur(c: RuleCounts | undefined): string {
  if (!c) return '0/0/0';
  const carried = c.inCatchUp > 0 ? ` (+${c.inCatchUp} in catch-up)` : '';
  return `${c.fired}/${c.updated + c.reminded}/${c.resolved}${carried}`;
}

const shortName = (file: string) => file.split('/').slice(-2).join('/');
const shown = (ctx: CommandContext, file: string) => relative(ctx.io.cwd, file) || file;

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay a past window through the rules and lifecycle: what would have paged, histograms',
  usage: USAGE,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    config: { type: 'string' },
    compare: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    traffic: { type: 'string' },
    'no-insights': { type: 'boolean', default: false },
  },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new CliUsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const now = ctx.io.now();
    const seed = stringOption(ctx, 'seed')
      ? parseCount(stringOption(ctx, 'seed') as string, '--seed', 0, 1_000_000)
      : 1;
    const rate = stringOption(ctx, 'rate')
      ? parseCount(stringOption(ctx, 'rate') as string, '--rate', 1, 300)
      : undefined;
    const traffic = stringOption(ctx, 'traffic');
    if (traffic !== undefined && !isDemoTrafficKind(traffic)) {
      throw new CliUsageError(`--traffic must be demo or seasonal (got "${traffic}")`);
    }
    const main = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
    const other = stringOption(ctx, 'compare') ? loadCliConfig(ctx.io, stringOption(ctx, 'compare')) : null;

    const plivo = await openPlivo(ctx.io, main.config, { seed, rate, traffic });
    try {
      const defaultFrom = plivo.isSandbox ? `${DEMO_HISTORY_HOURS}h` : '24h';
      const from = parseInstant(stringOption(ctx, 'from') ?? defaultFrom, '--from', now);
      const to = parseInstant(stringOption(ctx, 'to') ?? 'now', '--to', now);
      if (to.getTime() <= from.getTime())
        throw new CliUsageError(`--to (${utc(to)}) must be after --from (${utc(from)})`);
      if (to.getTime() > now.getTime() + 60_000)
        throw new CliUsageError(`--to (${utc(to)}) is in the future`);
      if (now.getTime() - from.getTime() > MAX_DAYS * DAY) {
        throw new CliUsageError(
          `--from (${utc(from)}) is more than ${MAX_DAYS} days ago: Plivo keeps no older calls`,
        );
      }

      if (!ctx.json) {
        if (plivo.events.length > 0) {
          ctx.io.err(
            `The sandbox's seasonal traffic has ${plivo.events.length} events for the volume and spend rules (--from and --to around one replay it):`,
          );
          for (const line of plivo.events) ctx.io.err(`  ${line}`);
        }
        ctx.io.err(`Fetching calls ${utc(from)} -> ${utc(to)} from ${plivo.where}...`);
      }
      const noInsights = ctx.values['no-insights'] === true;
      const fetched = await fetchCalls(
        ctx,
        plivo,
        from,
        to,
        main.config.plivo.insightsConcurrency,
        !noInsights,
      );

      const replays: Replayed[] = [];
      for (const cfg of other ? [main, other] : [main]) {
        let bar: ProgressBar | undefined;
        const result = await replay({
          calls: fetched.calls,
          insights: fetched.insights,
          config: cfg.config,
          from,
          to,
          scheduleMinutes: main.scheduleMinutes,
          ...(noInsights ? { insightsNeverAsked: true } : {}),
          onRun: (done, total) => {
            bar ??= new ProgressBar(ctx.io, 'replay', total);
            bar.update(done, shortName(cfg.file));
          },
        });
        bar?.done();
        replays.push({ file: cfg.file, config: cfg, result });
      }
      const histograms = METRICS.map((m) => histogramOf(m, fetched.insights.values(), main.config));

      if (ctx.json) {
        printJson(ctx, {
          window: { from: from.toISOString(), to: to.toISOString() },
          source: plivo.where,
          ...(plivo.events.length > 0 ? { sandboxEvents: plivo.events } : {}),
          scheduleMinutes: main.scheduleMinutes,
          insightsAsked: !noInsights,
          calls: {
            listed: fetched.calls.length,
            withInsights: fetched.insights.size,
            recordsSkipped: fetched.skipped,
            insightsFailed: fetched.insightErrors,
          },
          configs: replays.map((r) => ({
            file: r.file,
            mode: describeConfig(r.config.config).mode,
            runs: r.result.runs,
            tailMinutes: r.result.tailMinutes,
            notifications: r.result.total,
            catchUpSummaries: r.result.catchUpSummaries,
            rules: r.result.rules,
          })),
          histograms,
        });
        return EXIT.ok;
      }
      printReport(ctx, {
        from,
        to,
        plivo,
        fetched,
        replays,
        histograms,
        scheduleMinutes: main.scheduleMinutes,
        noInsights,
      });
      return EXIT.ok;
    } finally {
      await plivo.close();
    }
  },
};

function printReport(
  ctx: CommandContext,
  r: {
    from: Date;
    to: Date;
    plivo: PlivoAccess;
    fetched: Fetched;
    replays: Replayed[];
    histograms: Histogram[];
    scheduleMinutes: number;
    noInsights: boolean;
  },
): void {
  const { io, colors } = ctx;
  const [first, second] = r.replays as [Replayed, Replayed | undefined];
  io.out(
    `${colors.bold('Backtest')} ${utc(r.from)} -> ${utc(r.to)} (${duration(r.to.getTime() - r.from.getTime())}), a poll every ${r.scheduleMinutes} min as deployed`,
  );
  io.out(
    `  calls    ${count(r.fetched.calls.length)} from ${r.plivo.where}; ${r.noInsights ? 'insights not fetched (--no-insights): rules that read them are not judged' : `${count(r.fetched.insights.size)} with insights`}` +
      `${r.fetched.insightErrors > 0 ? `, ${count(r.fetched.insightErrors)} insights requests failed` : ''}` +
      `${r.fetched.skipped > 0 ? `, ${count(r.fetched.skipped)} records skipped (unreadable)` : ''}`,
  );
  for (const [label, rep] of second
    ? ([
        ['A', first],
        ['B', second],
      ] as const)
    : ([['config', first]] as const)) {
    io.out(`  ${label.padEnd(7)}  ${shown(ctx, rep.file)}: ${describeConfig(rep.config.config).mode}`);
  }
  io.out(
    `  replay   ${first.result.runs} polls; then ${first.result.tailMinutes} min past --to without new calls, so incidents open at the end can resolve`,
  );
  io.out('');

  const ids = ruleOrder(
    new Set([...Object.keys(first.result.rules), ...Object.keys(second?.result.rules ?? {})]),
    RULE_IDS,
  );
  const offIn = (rep: Replayed, id: string) =>
    (RULE_IDS as readonly string[]).includes(id) &&
    !rep.config.config.rules[id as (typeof RULE_IDS)[number]].enabled;

  if (!second) {
    io.out(colors.bold('What on-call would have received'));
    const counts = first.result.rules;
    const showReminders = ids.some((id) => (counts[id]?.reminded ?? 0) > 0);
    const showCatchUp = first.result.catchUpSummaries > 0;
    const showSilenced = ids.some((id) => (counts[id]?.silenced ?? 0) > 0);
    const header = [
      'RULE',
      'CALLS MATCHED',
      'FIRED',
      'UPDATED',
      ...(showReminders ? ['REMINDED'] : []),
      'RESOLVED',
      ...(showCatchUp ? ['IN CATCH-UP'] : []),
      ...(showSilenced ? ['SILENCED'] : []),
      'SENT',
      'BUSIEST GROUPS (CALLS)',
    ];
    const rows = ids.map((id) => {
      const c = counts[id];
      const windowed = !(RULE_IDS as readonly string[]).includes(id);
      const kind = (TRAFFIC_RULE_IDS as readonly string[]).includes(id) ? ' (traffic)' : ' (windowed)';
      return [
        `${id}${windowed ? colors.dim(kind) : ''}${offIn(first, id) ? colors.dim(' (off)') : ''}`,
        windowed ? '-' : count(c?.callsMatched ?? 0),
        count(c?.fired ?? 0),
        count(c?.updated ?? 0),
        ...(showReminders ? [count(c?.reminded ?? 0)] : []),
        count(c?.resolved ?? 0),
        ...(showCatchUp ? [count(c?.inCatchUp ?? 0)] : []),
        ...(showSilenced ? [count(c?.silenced ?? 0)] : []),
        colors.bold(count(ruleTotal(c))),
        (c?.busiest ?? []).map((b) => `${b.labels} (${count(b.calls)})`).join(', '),
      ];
    });
    const align = header.map(
      (h, i) => (i === 0 || h.startsWith('BUSIEST') ? 'left' : 'right') as 'left' | 'right',
    );
    for (const line of table(header, rows, align, '  ')) io.out(line);
    io.out(
      `  ${colors.bold(`${count(first.result.total)} notification${first.result.total === 1 ? '' : 's'}`)} in all` +
        `${first.result.catchUpSummaries > 0 ? ` (${first.result.catchUpSummaries} of them catch-up summaries: findings past notifications.alertBudget)` : ''}` +
        `${ids.some((id) => offIn(first, id) && (counts[id]?.callsMatched ?? 0) > 0) ? '; "(off)": the rule matched calls but is disabled in this config' : ''}`,
    );
  } else {
    io.out(colors.bold(`Notifications, A (${shortName(first.file)}) vs B (${shortName(second.file)})`));
    const rows = ids.map((id) => {
      const a = first.result.rules[id];
      const b = second.result.rules[id];
      const diff = ruleTotal(b) - ruleTotal(a);
      return [
        id,
        `${offIn(first, id) ? colors.dim('off ') : ''}${fur(a)}`,
        count(ruleTotal(a)),
        `${offIn(second, id) ? colors.dim('off ') : ''}${fur(b)}`,
        count(ruleTotal(b)),
        diff === 0 ? colors.dim('=') : diff > 0 ? colors.red(`+${diff}`) : colors.green(String(diff)),
      ];
    });
    const catchUp = (rep: Replayed) => rep.result.catchUpSummaries;
    rows.push([
      'catch-up summaries',
      '',
      count(catchUp(first)),
      '',
      count(catchUp(second)),
      catchUp(second) - catchUp(first) === 0 ? colors.dim('=') : String(catchUp(second) - catchUp(first)),
    ]);
    const totalDiff = second.result.total - first.result.total;
    rows.push([
      colors.bold('total'),
      '',
      colors.bold(count(first.result.total)),
      '',
      colors.bold(count(second.result.total)),
      totalDiff === 0 ? '=' : totalDiff > 0 ? colors.red(`+${totalDiff}`) : colors.green(String(totalDiff)),
    ]);
    for (const line of table(
      ['RULE', 'A FIRED/UPD/RES', 'A SENT', 'B FIRED/UPD/RES', 'B SENT', 'B - A'],
      rows,
      ['left', 'right', 'right', 'right', 'right', 'right'],
      '  ',
    )) {
      io.out(line);
    }
  }

  io.out('');
  io.out(
    colors.bold('Insights of these calls') + colors.dim(`  (thresholds of ${shortName(first.file)} marked)`),
  );
  const width = Math.max(10, Math.min(40, io.columns - 60));
  for (const h of r.histograms) {
    for (const line of renderHistogram(h, colors, width)) io.out(line);
  }
  io.out('');
  io.out(
    colors.dim(
      'Change a threshold in a copy of the config and run again with --compare COPY to see what it would change; `zentrunk-alerts explain <call_uuid>` says why one call did or did not alert.',
    ),
  );
}
