import { relative } from 'node:path';
import type { AlertRecord } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { isUsableCallUuid } from '../../functions/adapters/plivo/payload-schemas';
import { alertDedupKey } from '../../functions/core/alert-message';
import type { EvaluatedCall } from '../../functions/core/call';
import { WINDOWED_RULE_IDS } from '../../functions/core/config/schema';
import { groupIdOf, groupLabels, type GroupState } from '../../functions/core/groups/group';
import { explainRules, type RuleVerdict } from '../../functions/core/rules/explain-rules';
import { RULES } from '../../functions/core/rules/registry';
import { activeSilenceFor } from '../../functions/core/silences';
import { type StoredSilence, withStoredSilences } from '../../functions/core/stored-silences';
import {
  FIRES_BELOW,
  observe,
  WINDOW_METRIC,
  windowIdOf,
  windowLabels,
} from '../../functions/core/windowed/observe';
import type { WindowState } from '../../functions/core/windowed/window';
import { evaluateWindow } from '../../functions/core/windowed/window';
import { keptMs, MINUTE_MS } from '../../functions/core/schedule';
import { windowRuleFor } from '../../functions/core/windowed/window-rule';
import { trafficRuleFor, type TrafficView, viewTraffic } from '../../functions/core/poll/notify-traffic';
import type { TrafficRuleDescriptor } from '../../functions/core/traffic/define-traffic-rule';
import { TRAFFIC_RULES } from '../../functions/core/traffic/registry';
import { labelsOfKey, type StoredTraffic, trunkKeyOf } from '../../functions/core/traffic/traffic-state';
import { type Command, printJson, stringOption } from '../command';
import {
  ACCOUNT_OPTION,
  ACCOUNT_USAGE,
  accountOption,
  loadCliConfig,
  openPlivo,
  openStateStore,
} from '../environment';
import { CliError, CliUsageError, EXIT } from '../errors';
import { table, utc } from '../io';
import { historyJson, historyText, judgementJson, settleJson, settleText, stateText } from '../traffic-text';
import { describeConfig } from './validate-config';

const USAGE = `Usage: zentrunk-alerts explain <call_uuid> [--config FILE] [--account NAME] [--json]

Fetches the call and its Insights from Plivo and shows every rule's verdict and why: the value
against its thresholds (warning and critical), the scope or override that applied, a silence
that mutes it, and what the poller did with it (dedup record, the incident it joined, the
windowed rules' windows it counts in), and the traffic rules on the call's trunk: its last
calls against its baseline, or what each rule still needs before it can fire.

  --config <file>  the config to judge by (default config/dev.json)
  --seed <n>       demo traffic of the sandbox (default 1; the same as npm start's)
${ACCOUNT_USAGE}

Calls from Plivo (PLIVO_AUTH_ID + PLIVO_AUTH_TOKEN) or the sandbox; the poller's state from
STATE_TABLE_NAME or a running \`npm start\` (without one, the verdicts alone).
Exit code 0 when the call was found, 1 when Plivo does not know it.`;

interface Outcome {
  rule: string;
  dedupKey: string;
  silence: { id: string; kind: string; endsAt: string | null } | null;
  record: AlertRecord | null;
  incident: Pick<
    GroupState,
    'id' | 'status' | 'count' | 'notices' | 'episode' | 'firstSeenAt' | 'lastNotifiedAt'
  > | null;
}

function describeRecord(o: Outcome): string {
  const r = o.record;
  if (!r) return o.incident || !o.silence ? 'no dedup record: not sent (yet)' : 'no dedup record yet';
  if (r.status === 'in-progress') return `claimed by a run in progress (until ${utc(r.inProgressUntilMs)})`;
  const id = r.messageId ?? '';
  if (id.startsWith('silenced:'))
    return `recorded at ${utc(r.sentAtMs)}, not sent: silenced by ${id.slice('silenced:'.length)}`;
  if (id.startsWith('group:')) return `counted into its incident at ${utc(r.sentAtMs)}`;
  return `sent at ${utc(r.sentAtMs)} (message id ${id})`;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: "why a call did or did not alert: every rule's verdict, silences, dedup and incident state",
  usage: USAGE,
  options: { config: { type: 'string' }, seed: { type: 'string' }, ...ACCOUNT_OPTION },
  async run(ctx) {
    const [uuid, ...extra] = ctx.positionals;
    if (!uuid || extra.length > 0) throw new CliUsageError('give one call_uuid');
    if (!isUsableCallUuid(uuid))
      throw new CliUsageError(`"${uuid}" is not a call_uuid (like 90b6eb07-796c-4d86-a4fd-44ed11667ddb)`);
    const now = ctx.io.now();
    const cli = loadCliConfig(ctx.io, stringOption(ctx, 'config'));
    const { config: fileConfig, file } = cli;
    const account = accountOption(ctx, cli);
    const seed = Number(stringOption(ctx, 'seed') ?? 1);

    const plivo = await openPlivo(ctx.io, fileConfig, { seed });
    let subject: EvaluatedCall;
    try {
      const call = await plivo.client.getCall(uuid);
      if (!call) {
        throw new CliError(
          `Plivo has no call ${uuid} (${plivo.where})`,
          EXIT.failed,
          'Check the uuid (the "Call:" line of an alert). Plivo keeps calls for 90 days.',
        );
      }
      const insights = await plivo.client.getInsights(uuid);
      subject = { call, insights, insightsGaveUp: insights === null };
    } finally {
      await plivo.close();
    }

    // The poller's state, when there is a table to read.
    const state = openStateStore(ctx.io, account);
    let stored: StoredSilence[] = [];
    let groups: GroupState[] = [];
    let windows: WindowState[] = [];
    let trafficItems: StoredTraffic[] = [];
    let trafficWatermarkMs: number | null = null;
    let evaluated = false;
    let pending: { attempts: number; waitedMinutes: number } | null = null;
    const records = new Map<string, AlertRecord | null>();
    const verdictsFor = (cfg: typeof fileConfig) => explainRules(subject, cfg);
    let config = fileConfig;
    let verdicts: RuleVerdict[];
    if (state) {
      try {
        [stored, groups, windows, trafficItems] = await Promise.all([
          state.store.listSilences(),
          state.store.listGroups(),
          state.store.listWindows(),
          state.store.listTraffic(),
        ]);
        const cursor = await state.store.getCursor();
        trafficWatermarkMs = cursor ? Date.parse(cursor.watermark) : null;
        config = withStoredSilences(fileConfig, stored, now);
        verdicts = verdictsFor(config);
        const endMs = subject.call.endTime === null ? null : Date.parse(subject.call.endTime);
        evaluated =
          endMs !== null &&
          (await state.store.getEvaluatedCalls({ from: new Date(endMs), to: new Date(endMs + 1000) })).has(
            uuid,
          );
        const p = (await state.store.listPendingInsights()).find((item) => item.call.callUuid === uuid);
        // The time waited so far, as the poller reads it (runs at the deployed schedule).
        pending = p
          ? {
              attempts: p.attempts,
              waitedMinutes: keptMs(p.waitedMs, p.attempts, cli.scheduleMinutes * MINUTE_MS) / MINUTE_MS,
            }
          : null;
        for (const v of verdicts) {
          if (v.finding) {
            const key = alertDedupKey(v.finding);
            records.set(key, await state.store.getAlertRecord(key));
          }
        }
      } finally {
        state.close();
      }
    } else {
      verdicts = verdictsFor(config);
    }

    const outcomes: Outcome[] = verdicts.flatMap((v) => {
      if (!v.finding) return [];
      const dedupKey = alertDedupKey(v.finding);
      const silence = activeSilenceFor(v.finding, now, config.silences);
      const group = config.grouping.enabled
        ? (groups.find(
            (g) =>
              g.id ===
              groupIdOf(
                v.ruleId,
                groupLabels(v.finding as NonNullable<typeof v.finding>, config.grouping.groupBy),
              ),
          ) ?? null)
        : null;
      return [
        {
          rule: v.ruleId,
          dedupKey,
          silence,
          record: records.get(dedupKey) ?? null,
          incident: group && {
            id: group.id,
            status: group.status,
            count: group.count,
            notices: group.notices,
            episode: group.episode,
            firstSeenAt: group.firstSeenAt,
            lastNotifiedAt: group.lastNotifiedAt,
          },
        },
      ];
    });

    const windowed = WINDOWED_RULE_IDS.filter((id) => config.windowedRules[id].enabled).map((id) => {
      const labels = windowLabels(subject, config.windowedRules[id].groupBy);
      const rule = windowRuleFor(config, id, labels);
      const obs = observe(id, subject, config);
      const stateNow = windows.find((w) => w.id === windowIdOf(id, labels)) ?? null;
      const evaluation = stateNow ? evaluateWindow(stateNow, rule) : null;
      const { metric, unit } = WINDOW_METRIC[id];
      const counts =
        obs === null
          ? 'not counted (the call says nothing about it)'
          : obs.hit
            ? `counts as a hit${obs.value !== null ? ` (${metric} ${obs.value}${unit ? ` ${unit}` : ''})` : ''}`
            : `counts, not a hit${obs.value !== null ? ` (${metric} ${obs.value}${unit ? ` ${unit}` : ''})` : ''}`;
      const show = (v: number) =>
        rule.aggregate === 'share' ? `${(v * 100).toFixed(1)} %` : String(Number(v.toFixed(2)));
      const rel = FIRES_BELOW.has(id) ? 'fires at or below' : 'fires at';
      const windowText = !state
        ? 'unknown (no state table)'
        : !stateNow
          ? 'no window yet'
          : `${stateNow.firing ? `FIRING since ${utc(stateNow.firingSince)}` : 'not firing'}; ${
              evaluation?.value === null || evaluation === null
                ? `${evaluation?.calls ?? 0} calls in ${rule.windowMinutes} min, it needs ${rule.minCalls}`
                : `${show(evaluation.value)} of ${evaluation.calls} calls`
            } (${rel} ${show(rule.threshold)})`;
      return {
        rule: id,
        enabled: rule.enabled,
        labels,
        thisCall: counts,
        window: windowText,
        firing: stateNow?.firing ?? false,
      };
    });

    // The traffic rules on the call's trunk: as the next run would judge them (state table), or
    // their settings and what each needs before it can fire.
    const trunk = trunkKeyOf(subject.call);
    const trafficView: TrafficView | null = state
      ? viewTraffic(config, trafficItems, now.getTime(), trafficWatermarkMs, (key) => key === trunk)
      : null;
    const trunkView = trafficView?.keys[0] ?? null;
    const traffic = (TRAFFIC_RULES as readonly TrafficRuleDescriptor[]).map((rule) => {
      // The settings for this trunk (an override applied), without the overrides themselves.
      const {
        enabled,
        severity,
        override,
        overrides: _overrides,
        ...settings
      } = trafficRuleFor(config, rule.id, labelsOfKey(trunk));
      return {
        rule: rule.id,
        enabled,
        severity,
        override,
        settings: settings as Record<string, unknown>,
        needs: rule.needs,
        judged: trunkView?.judgements.find((j) => j.ruleId === rule.id) ?? null,
      };
    });

    if (ctx.json) {
      printJson(ctx, {
        call: subject.call,
        insights: subject.insights,
        config: file,
        stateTable: state?.where ?? null,
        poller: state ? { evaluated, pending } : null,
        verdicts: verdicts.map(({ finding, ...v }) => ({ ...v, headline: finding?.headline ?? null })),
        outcomes,
        windowed,
        traffic: {
          trunk,
          stateTable: trafficView !== null,
          ...(trafficView ? settleJson(trafficView) : {}),
          ...(trunkView ? historyJson(trunkView) : {}),
          rules: traffic.map(({ judged, rule, ...t }) => ({
            rule,
            ...t,
            ...(judged ? judgementJson(judged) : {}),
          })),
        },
      });
      return EXIT.ok;
    }

    const { io, colors } = ctx;
    const { call, insights } = subject;
    io.out(`${colors.bold(`Call ${call.callUuid}`)}`);
    io.out(
      `  ${call.direction ?? 'unknown direction'} ${call.fromCountry ?? '??'}->${call.toCountry ?? '??'} on ${call.trunkDomain ?? call.trunkId ?? 'unknown trunk'}, ended ${utc(call.endTime)}${call.durationSec !== null ? `, talk ${call.durationSec} s` : ''}`,
    );
    const hangup = `${call.hangupCauseCode ?? 'no code'} ${call.hangupCauseName ?? ''}`.trim();
    io.out(
      `  hangup ${hangup} by ${call.hangupSource ?? 'unknown'}; STIR ${call.stirVerification ?? 'unknown'}${call.attestation ? ` (${call.attestation})` : ''}`,
    );
    io.out(
      insights
        ? `  insights: score ${insights.qualityScore ?? 'n/a'} | loss ${insights.packetLossPct ?? 'n/a'} % | jitter ${insights.jitterMs ?? 'n/a'} ms | RTT ${insights.rttMs ?? 'n/a'} ms | post-dial delay ${insights.postDialDelayMs ?? 'n/a'} ms`
        : '  insights: not available (Plivo answers 404: not ready yet, or never for this call)',
    );
    io.out(`  judged by ${relative(io.cwd, file) || file}: ${describeConfig(config).mode}`);
    io.out('');

    // A per-call rule switched off may be judged per group by its windowed counterpart.
    const why = (v: RuleVerdict) => {
      const windowedId = RULES.find((rule) => rule.id === v.ruleId)?.windowed;
      return v.verdict === 'disabled' && windowed.some((w) => w.rule === windowedId)
        ? `${v.why}; ${windowedId} judges it per group (below)`
        : v.why;
    };
    const verdictText = (v: RuleVerdict) =>
      v.verdict === 'fires'
        ? colors.severity(v.severity ?? '', `FIRES ${v.severity}`)
        : v.verdict === 'quiet'
          ? colors.green('quiet')
          : colors.dim(v.verdict);
    for (const line of table(
      ['RULE', 'VERDICT', 'VALUE', 'THRESHOLDS', 'WHY'],
      verdicts.map((v) => [
        v.ruleId,
        verdictText(v),
        v.value,
        `${v.thresholds}${v.override ? ` (override: ${v.override})` : ''}`,
        why(v),
      ]),
    )) {
      io.out(line);
    }

    if (windowed.length > 0) {
      io.out('');
      io.out(
        colors.bold('Windowed rules') + colors.dim(' (they judge a group of calls over a sliding window)'),
      );
      for (const line of table(
        ['RULE', 'GROUP', 'THIS CALL', 'THE WINDOW NOW'],
        windowed.map((w) => [
          w.rule,
          Object.entries(w.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
          w.thisCall,
          w.firing ? colors.red(w.window) : w.window,
        ]),
      )) {
        io.out(line);
      }
    }

    io.out('');
    const settingsText = (t: (typeof traffic)[number]) =>
      Object.entries(t.settings)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') + (t.override ? ' (an override)' : '');
    if (!trafficView) {
      io.out(
        colors.bold('Traffic rules') +
          colors.dim(
            ` (they judge trunk ${trunk}'s calls against its baseline; no state table: its settings, and what each rule needs before it can fire)`,
          ),
      );
      for (const line of table(
        ['RULE', 'SEVERITY', 'SETTINGS', 'NEEDS BEFORE IT CAN FIRE'],
        traffic.map((t) => [
          t.rule,
          t.enabled ? colors.severity(t.severity) : colors.dim('off'),
          t.enabled ? settingsText(t) : colors.dim('-'),
          t.needs,
        ]),
      )) {
        io.out(line);
      }
    } else {
      io.out(
        `${colors.bold('Traffic rules')}${colors.dim(` (they judge trunk ${trunk}'s calls against its baseline)`)}  ${
          trunkView ? `history ${historyText(trunkView)}` : 'no call of this trunk counted yet'
        }; ${settleText(trafficView.edges.settle)}`,
      );
      for (const line of table(
        ['RULE', 'NOW', 'NEEDS BEFORE IT CAN FIRE'],
        traffic.map((t) => {
          const j = t.judged;
          const stands = !t.enabled
            ? colors.dim('off in this config')
            : !j
              ? 'learning: no call counted yet'
              : j.incident?.firing
                ? colors.red(stateText(j))
                : j.judgement.state === 'breach'
                  ? colors.yellow(stateText(j))
                  : stateText(j);
          // What a rule still needs, while it cannot judge.
          const learning = t.enabled && (!j || j.judgement.state === 'unjudged');
          return [t.rule, stands, learning ? t.needs : colors.dim('-')];
        }),
      )) {
        io.out(line);
      }
    }

    io.out('');
    io.out(colors.bold('What happened to it'));
    if (!state) {
      io.out(
        colors.dim(
          '  no state table (set STATE_TABLE_NAME, or run `npm start` here): silences from the config only, poller state unknown',
        ),
      );
    } else {
      io.out(
        `  the poller ${
          evaluated
            ? 'has judged this call'
            : pending
              ? `is waiting for its insights (${pending.attempts} "not ready" answer(s) so far: ${pending.waitedMinutes} of ${config.poll.insightsWaitMinutes} minutes)`
              : 'has not judged this call yet (not polled yet, or older than its first look-back)'
        } (${state.where})`,
      );
    }
    if (outcomes.length === 0) io.out('  no rule fired, so nothing was or will be sent about this call');
    for (const o of outcomes) {
      const parts: string[] = [];
      if (o.silence) {
        parts.push(
          colors.yellow(
            `muted by ${o.silence.kind} ${o.silence.id}${o.silence.endsAt ? ` until ${utc(o.silence.endsAt)}` : ''}`,
          ),
        );
      }
      if (config.grouping.enabled && state) {
        parts.push(
          o.incident
            ? `incident ${o.incident.id} (${o.incident.status}, ${o.incident.count} calls, ${o.incident.notices} notice${o.incident.notices === 1 ? '' : 's'} sent${o.incident.lastNotifiedAt ? `, last ${utc(o.incident.lastNotifiedAt)}` : ''})`
            : 'grouped by rule and trunk: no incident for it in the table (yet)',
        );
      }
      if (state) parts.push(describeRecord(o));
      if (parts.length === 0) parts.push('it fires, and no silence in the config mutes it');
      io.out(`  ${o.rule}: ${parts.join('; ')}`);
    }
    return EXIT.ok;
  },
};
