import { enabledTrafficRules, viewTraffic } from '../../functions/core/poll/notify-traffic';
import { inQuietPeriod } from '../../functions/core/silences';
import { silenceStatus } from '../../functions/core/stored-silences';
import { ACCOUNT_KEY } from '../../functions/core/traffic/traffic-state';
import { cutText, plainLine } from '../../functions/core/untrusted-text';
import { type Command, printJson, stringOption } from '../command';
import {
  ACCOUNT_OPTION,
  ACCOUNT_USAGE,
  accountOption,
  loadCliConfig,
  requireStateStore,
} from '../environment';
import { CliUsageError, EXIT } from '../errors';
import { count, duration, table, utc } from '../io';
import { historyText, ruleText, settleText, trafficJson, whereText } from '../traffic-text';
import { describeMatchers } from './silence';

const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

export const statusCommand: Command = {
  name: 'status',
  summary:
    'the poller now: cursor and lag, last runs, firing incidents, traffic baselines, active silences, dead letters, last errors',
  usage: `Usage: zentrunk-alerts status [--runs N] [--account NAME] [--config FILE] [--json]

Reads the poller's state table: how far it has read (the cursor) and how far behind now that
is, its health, its last runs (each run records itself), the incidents, windowed rules and
traffic rules firing, where each trunk's traffic baseline stands (history, the last settled
window's calls against the expected, the traffic rules still learning), the silences active
now (state table and config), the notices SNS refused for good (dead letters), and the errors
of the last runs.

  --runs <n>       how many runs to list (default 5)
  --config <file>  the config the poller uses (lag threshold, config silences; default config/dev.json)
${ACCOUNT_USAGE}

The state table: STATE_TABLE_NAME (AWS credentials), or a running \`npm start\`'s.
Exit code 0 when the poller is healthy, 1 when it is failing or further behind than
operations.lagAlertMinutes, 3 without a state table.`,
  options: { runs: { type: 'string' }, config: { type: 'string' }, ...ACCOUNT_OPTION },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new CliUsageError(`unexpected argument "${ctx.positionals[0]}"`);
    const runsWanted = Number(stringOption(ctx, 'runs') ?? 5);
    if (!Number.isInteger(runsWanted) || runsWanted < 1 || runsWanted > 100) {
      throw new CliUsageError('--runs must be a whole number from 1 to 100');
    }
    const now = ctx.io.now();
    const cli = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
    const { config, file } = cli;
    const account = accountOption(ctx, cli);
    const state = requireStateStore(ctx.io, 'status', account);
    let snapshot;
    try {
      const { store } = state;
      const [cursor, health, runs, groups, windows, stored, pending, deadLetters, traffic] =
        await Promise.all([
          store.getCursor(),
          store.getHealth(),
          store.listRuns(Math.max(runsWanted, 20)),
          store.listGroups(),
          store.listWindows(),
          store.listSilences(),
          store.listPendingInsights(),
          store.listDeadLetters(),
          store.listTraffic(),
        ]);
      snapshot = { cursor, health, runs, groups, windows, stored, pending, deadLetters, traffic };
    } finally {
      state.close();
    }
    const { cursor, health, runs, groups, windows, stored, pending, deadLetters } = snapshot;
    // The traffic rules as the next run would judge them (nothing is written).
    const trafficOn = enabledTrafficRules(config).length > 0;
    const traffic = viewTraffic(
      config,
      snapshot.traffic,
      now.getTime(),
      cursor ? Date.parse(cursor.watermark) : null,
    );
    const firingTraffic = traffic.keys.flatMap((k) =>
      k.judgements
        .filter((j) => j.incident?.firing)
        .map((j) => ({
          key: k.key,
          labels: k.labels,
          ...j,
          incident: j.incident as NonNullable<typeof j.incident>,
        })),
    );
    const lagMs = cursor ? now.getTime() - Date.parse(cursor.watermark) : null;
    const lagging = lagMs !== null && lagMs > config.operations.lagAlertMinutes * 60_000;
    const failing = health?.status === 'failing';
    const firingGroups = groups.filter((g) => g.status === 'firing');
    const firingWindows = windows.filter((w) => w.firing);
    const silences = [
      ...stored
        .filter((s) => silenceStatus(s, now) === 'active')
        .map((s) => ({
          id: s.id,
          source: 'state table',
          matchers: describeMatchers(s.matchers),
          endsAt: s.endsAt,
          by: s.createdBy,
          comment: s.comment,
        })),
      ...config.silences.rules
        .filter((s) => silenceStatus(s, now) === 'active')
        .map((s) => ({
          id: s.id,
          source: 'config',
          matchers: describeMatchers(s.matchers),
          endsAt: s.endsAt,
          by: null,
          comment: s.comment ?? '',
        })),
      ...config.silences.quietPeriods
        .filter((q) => inQuietPeriod(q, now))
        .map((q) => ({
          id: q.id,
          source: 'config (quiet period)',
          matchers: describeMatchers(q.matchers),
          endsAt: null,
          by: null,
          comment: q.comment ?? `${q.days.join(',')} ${q.start}-${q.end} ${q.timeZone}`,
        })),
    ];
    const errors = runs.filter((r) => r.error !== null).slice(0, 5);
    const exitCode = failing || lagging ? EXIT.failed : EXIT.ok;

    if (ctx.json) {
      printJson(ctx, {
        now: now.toISOString(),
        table: state.where,
        account: account.name,
        config: file,
        healthy: exitCode === EXIT.ok,
        cursor: cursor && { watermark: cursor.watermark, lagSeconds: Math.round((lagMs ?? 0) / 1000) },
        health,
        pendingInsights: pending.length,
        runs: runs.slice(0, runsWanted),
        firingIncidents: firingGroups.map((g) => ({
          id: g.id,
          rule: g.ruleId,
          labels: g.labels,
          severity: g.severity,
          calls: g.count,
          since: g.firstCallAt ?? g.firstSeenAt,
          notices: g.notices,
          lastNotifiedAt: g.lastNotifiedAt,
        })),
        firingWindows: firingWindows.map((w) => ({
          id: w.id,
          rule: w.ruleId,
          labels: w.labels,
          since: w.firingSince,
          peak: w.peak,
          notices: w.notices,
        })),
        firingTraffic: firingTraffic.map((t) => ({
          rule: t.ruleId,
          trunk: t.key,
          labels: t.labels,
          severity: t.severity,
          since: t.incident.since,
          headline: t.judgement.headline,
          notices: t.incident.notices,
          lastNotifiedAt: t.incident.lastNotifiedAt,
        })),
        traffic: trafficOn ? trafficJson(traffic) : null,
        activeSilences: silences,
        deadLetters,
        lastErrors: errors.map((r) => ({ at: r.startedAt, ...r.error })),
      });
      return exitCode;
    }

    const { colors, io } = ctx;
    io.out(`${colors.bold('zentrunk-alerts status')}  ${state.where}, ${utc(now)}`);
    io.out('');
    const healthText = !health
      ? colors.dim('no run has reported yet')
      : failing
        ? colors.red(
            `FAILING since ${utc(health.since)} (${health.consecutiveFailures} run${health.consecutiveFailures === 1 ? '' : 's'} in a row): ${health.kind}${health.notified ? ', operations told' : ''}`,
          )
        : colors.green('healthy');
    io.out(`  poller    ${healthText}`);
    if (failing && health?.reason) io.out(`            ${health.reason}`);
    io.out(
      `  cursor    ${
        cursor
          ? `calls that ended before ${utc(cursor.watermark)} are done; ${lagging ? colors.red(`${duration(lagMs ?? 0)} behind`) : `${duration(lagMs ?? 0)} behind`} (operations are told past ${config.operations.lagAlertMinutes} min)`
          : colors.dim('none yet: the poller has not completed a run against this table')
      }`,
    );
    io.out(
      `  pending   ${pending.length === 0 ? 'no call is waiting for its insights' : `${count(pending.length)} call(s) waiting for insights (looked at again every run)`}`,
    );

    io.out('');
    io.out(colors.bold(`Last runs`));
    if (runs.length === 0) io.out(colors.dim('  none recorded yet'));
    else {
      for (const line of table(
        ['STARTED', 'STATUS', 'CALLS', 'FINDINGS', 'SENT', 'SILENCED', 'SKIPPED', 'TOOK'],
        runs
          .slice(0, runsWanted)
          .map((r) => [
            utc(r.startedAt),
            r.status === 'failed'
              ? colors.red('failed')
              : r.status === 'completed'
                ? 'completed'
                : colors.yellow(r.status),
            count(r.callsSeen),
            count(r.findings),
            count(r.alertsPublished),
            count(r.alertsSilenced),
            count(r.recordsSkipped),
            `${(r.durationMs / 1000).toFixed(1)} s`,
          ]),
        ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
        '  ',
      )) {
        io.out(line);
      }
    }

    io.out('');
    io.out(
      colors.bold(`Firing incidents`) +
        colors.dim(config.grouping.enabled ? '' : '  (grouping is off in this config)'),
    );
    if (firingGroups.length === 0 && firingWindows.length === 0 && firingTraffic.length === 0)
      io.out(colors.dim('  none'));
    else {
      const rows = [
        ...firingGroups.map((g) => [
          g.ruleId,
          labelsText(g.labels),
          colors.severity(g.severity),
          `${count(g.count)} call${g.count === 1 ? '' : 's'}`,
          utc(g.firstCallAt ?? g.firstSeenAt),
          `${g.notices}${g.lastNotifiedAt ? `, last ${utc(g.lastNotifiedAt)}` : ' (waiting)'}`,
        ]),
        ...firingWindows.map((w) => [
          w.ruleId,
          labelsText(w.labels),
          colors.severity(config.windowedRules[w.ruleId].severity),
          w.peak === null ? '-' : `peak ${Number(w.peak.toFixed(3))}`,
          utc(w.firingSince),
          `${w.notices}${w.lastNotifiedAt ? `, last ${utc(w.lastNotifiedAt)}` : ' (waiting)'}`,
        ]),
        ...firingTraffic.map((t) => [
          t.ruleId,
          t.key === ACCOUNT_KEY ? 'account' : labelsText(t.labels),
          colors.severity(t.severity),
          t.judgement.headline,
          utc(t.incident.since),
          `${t.incident.notices}${t.incident.lastNotifiedAt ? `, last ${utc(t.incident.lastNotifiedAt)}` : ' (waiting)'}`,
        ]),
      ];
      for (const line of table(['RULE', 'WHERE', 'SEVERITY', 'SIZE', 'SINCE', 'NOTICES'], rows, [], '  '))
        io.out(line);
    }

    io.out('');
    if (!trafficOn)
      io.out(colors.bold('Traffic') + colors.dim('  (every traffic rule is off in this config)'));
    else {
      io.out(`${colors.bold('Traffic')}  ${settleText(traffic.edges.settle)}`);
      if (traffic.keys.length === 0) {
        io.out(
          colors.dim(
            '  no call counted yet (each run counts the calls it lists into its trunk and the account)',
          ),
        );
      } else {
        // One line per trunk: its history, traffic-drop's last settled window, and the rules
        // firing or not judged yet (why: learning, forgotten).
        const rows = traffic.keys.map((k) => {
          const drop = k.judgements.find((j) => j.ruleId === 'traffic-drop');
          const others = k.judgements.filter((j) => j.incident?.firing || j.judgement.state === 'breach');
          const unjudged = k.judgements.filter(
            (j) => j !== drop && !j.incident?.firing && j.judgement.state === 'unjudged',
          );
          // Rules not judged for the same reason share it.
          const byNote = new Map<string, string[]>();
          for (const j of unjudged)
            byNote.set(j.judgement.note, [...(byNote.get(j.judgement.note) ?? []), j.ruleId]);
          const rules = [
            // Firing or breaching: since when (the note is traffic-drop's column, or the incident's).
            ...others.map((j) =>
              j.incident?.firing ? colors.red(ruleText(j, false)) : colors.yellow(ruleText(j, j !== drop)),
            ),
            ...[...byNote].map(([note, ids]) => `${ids.join(', ')}: ${note}`),
          ];
          return [
            whereText(k.key),
            historyText(k),
            drop ? drop.judgement.note : colors.dim('off'),
            rules.length > 0 ? rules.join('; ') : colors.dim('-'),
          ];
        });
        for (const line of table(
          ['WHERE', 'HISTORY', 'TRAFFIC-DROP (LAST SETTLED WINDOW)', 'FIRING, OR NOT JUDGED YET'],
          rows,
          [],
          '  ',
        ))
          io.out(line);
      }
      if (traffic.unreadable > 0) {
        io.out(
          colors.yellow(
            `  ${count(traffic.unreadable)} traffic item(s) could not be read: the runs skip them (that trunk learns again)`,
          ),
        );
      }
    }

    io.out('');
    io.out(colors.bold('Active silences'));
    if (silences.length === 0) io.out(colors.dim('  none'));
    else {
      for (const line of table(
        ['ID', 'SOURCE', 'MATCHERS', 'ENDS', 'BY', 'COMMENT'],
        silences.map((s) => [
          s.id,
          s.source,
          s.matchers,
          s.endsAt ? `${utc(s.endsAt)} (in ${duration(Date.parse(s.endsAt) - now.getTime())})` : 'recurring',
          s.by ?? '-',
          s.comment,
        ]),
        [],
        '  ',
      )) {
        io.out(line);
      }
    }

    io.out('');
    io.out(
      colors.bold('Dead letters') +
        colors.dim('  (notices SNS refused for good, set aside; nobody was paged for them)'),
    );
    if (deadLetters.length === 0) io.out(colors.dim('  none'));
    else {
      for (const line of table(
        ['SET ASIDE', 'NOTICE', 'REASON'],
        deadLetters.map((l) => [
          utc(l.deadLetteredAt),
          cutText(plainLine(l.subject), 80, '…'),
          colors.red(cutText(plainLine(l.reason), 100, '…')),
        ]),
        [],
        '  ',
      )) {
        io.out(line);
      }
    }

    io.out('');
    io.out(colors.bold('Last errors'));
    if (errors.length === 0) io.out(colors.dim(`  none in the last ${runs.length} run(s)`));
    else {
      for (const line of table(
        ['WHEN', 'KIND', 'REASON'],
        errors.map((r) => [
          utc(r.startedAt),
          colors.red(r.error?.kind ?? ''),
          (r.error?.reason ?? '').replace(/\s+/g, ' ').slice(0, 160),
        ]),
        [],
        '  ',
      )) {
        io.out(line);
      }
    }
    const unreadable = runs.flatMap((r) =>
      (r.unreadableItems ?? []).map((item) => ({ at: r.startedAt, ...item })),
    );
    if (unreadable.length > 0) {
      io.out('');
      io.out(
        colors.bold('Unreadable stored items') +
          colors.dim('  (skipped by the runs; each expires with its TTL)'),
      );
      for (const line of table(
        ['WHEN', 'ITEM', 'REASON'],
        unreadable.slice(0, 10).map((u) => [utc(u.at), u.item, colors.yellow(u.reason)]),
        [],
        '  ',
      )) {
        io.out(line);
      }
    }
    return exitCode;
  },
};
