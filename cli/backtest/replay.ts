/**
 * A backtest: the poll use case itself — rules, silences, grouping, windowed rules, the alert
 * budget and catch-up summaries — run on a simulated clock every `scheduleMinutes` over calls
 * already fetched, with in-memory ports. What it counts is what on-call would have received.
 */
import type { Call, CallInsights, EvaluatedCall } from '../../functions/core/call';
import type { AlertConfig, RuleId } from '../../functions/core/config/schema';
import type { Finding } from '../../functions/core/finding';
import { groupLabels } from '../../functions/core/groups/group';
import { poll } from '../../functions/core/poll/poll-use-case';
import type { PollSummary } from '../../functions/core/poll/run-context';
import type { CallSource, Logger, StateStore } from '../../functions/core/ports';
import { evaluateRules } from '../../functions/core/rules/evaluate-rules';
import { MemoryStateStore } from '../../functions/adapters/memory/memory-state-store';
import { runRecordOf } from '../../functions/core/health/run-log';
import { CountingNotifier, MemoryCallSource, type WouldSend } from './memory-adapters';

const MIN = 60_000;
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface ReplayInput {
  calls: readonly Call[];
  insights: ReadonlyMap<string, CallInsights>;
  config: AlertConfig;
  from: Date;
  to: Date;
  scheduleMinutes: number;
  /**
   * Insights were not fetched (`backtest --no-insights`): each call is judged on its CDR at once,
   * as if its Insights had no figures (rules that read Insights find nothing; the traffic rules
   * and CDR rules judge as deployed).
   */
  insightsNeverAsked?: boolean;
  /** Wraps the replay's state store (to measure what a run writes); it must keep the replay's clock. */
  wrapStore?: (store: MemoryStateStore) => StateStore;
  /** Wraps the replay's call source (to count what a run asks of Plivo). */
  wrapSource?: (source: CallSource, now: () => Date) => CallSource;
  /** Called after each simulated run (for a progress bar). */
  onRun?: (done: number, total: number) => void;
}

export interface RuleCounts {
  /**
   * Findings of the rule (calls it tripped), before any lifecycle; for a rule switched off, the
   * calls it would trip if it were on. Windowed rules have none.
   */
  callsMatched: number;
  fired: number;
  updated: number;
  reminded: number;
  resolved: number;
  /** Findings carried by catch-up summaries instead of their own alert. */
  inCatchUp: number;
  silenced: number;
  /** The groups with the most findings (labels as grouped, or by trunk with grouping off). */
  busiest: Array<{ labels: string; calls: number }>;
}

export interface ReplayResult {
  runs: number;
  /** Minutes simulated after `to`, with no new calls, so incidents open at the end can resolve. */
  tailMinutes: number;
  rules: Record<string, RuleCounts>;
  catchUpSummaries: number;
  /** Every message, in order. */
  messages: WouldSend[];
  total: number;
}

function emptyCounts(): RuleCounts {
  return {
    callsMatched: 0,
    fired: 0,
    updated: 0,
    reminded: 0,
    resolved: 0,
    inCatchUp: 0,
    silenced: 0,
    busiest: [],
  };
}

/** How long after `to` the replay keeps running so that what fired can resolve. */
export function tailMinutesFor(config: AlertConfig, scheduleMinutes: number): number {
  const windowMinutes = Math.max(
    0,
    ...Object.values(config.windowedRules)
      .filter((r) => r.enabled)
      .map((r) => r.windowMinutes),
  );
  const resolve = config.grouping.enabled ? config.grouping.resolveAfterMinutes : 0;
  return Math.max(resolve, windowMinutes) + 2 * scheduleMinutes;
}

/** Findings per rule and busiest groups: what the rules say about each call, no lifecycle. */
function matchedByRule(
  calls: readonly Call[],
  insights: ReadonlyMap<string, CallInsights>,
  config: AlertConfig,
): Record<string, RuleCounts> {
  const rules: Record<string, RuleCounts> = {};
  const groupsByRule = new Map<string, Map<string, number>>();
  const subjects: EvaluatedCall[] = calls.map((call) => {
    const found = insights.get(call.callUuid) ?? null;
    return { call, insights: found, insightsGaveUp: found === null };
  });
  const groupBy = config.grouping.enabled ? config.grouping.groupBy : (['trunk_domain'] as const);
  // A rule switched off still says which calls it would match: what turning it on would cost.
  const allOn: AlertConfig = {
    ...config,
    rules: Object.fromEntries(
      Object.entries(config.rules).map(([id, rule]) => [id, { ...rule, enabled: true }]),
    ) as AlertConfig['rules'],
  };
  for (const finding of evaluateRules(subjects, allOn) as Finding[]) {
    const counts = (rules[finding.ruleId] ??= emptyCounts());
    counts.callsMatched += 1;
    const labels = Object.entries(groupLabels(finding, groupBy))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const groups = groupsByRule.get(finding.ruleId) ?? new Map<string, number>();
    groups.set(labels, (groups.get(labels) ?? 0) + 1);
    groupsByRule.set(finding.ruleId, groups);
  }
  for (const [rule, groups] of groupsByRule) {
    (rules[rule] as RuleCounts).busiest = [...groups.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 3)
      .map(([labels, n]) => ({ labels, calls: n }));
  }
  return rules;
}

/** Replays [from, to) through the poll use case every scheduleMinutes; nothing is sent. */
export async function replay(input: ReplayInput): Promise<ReplayResult> {
  const { config, scheduleMinutes } = input;
  const memory = new MemoryCallSource(input.calls, input.insights, input.insightsNeverAsked === true);
  let nowMs = input.from.getTime();
  const source = input.wrapSource ? input.wrapSource(memory, () => new Date(nowMs)) : memory;
  // The poller's own store semantics in memory, on the replay's clock (dedup records expire
  // with their retention, as they would over the same span).
  const memoryStore = new MemoryStateStore(() => nowMs);
  const store = input.wrapStore ? input.wrapStore(memoryStore) : memoryStore;
  const notifier = new CountingNotifier(() => nowMs);
  // Everything before `from` counts as done: the first run reads from there.
  await store.saveCursor(input.from.toISOString(), null);
  const tailMinutes = tailMinutesFor(config, scheduleMinutes);
  const stepMs = scheduleMinutes * MIN;
  const endMs = input.to.getTime() + tailMinutes * MIN;
  const total = Math.ceil((endMs - input.from.getTime()) / stepMs);
  const summaries: PollSummary[] = [];
  for (let run = 1; run <= total; run += 1) {
    nowMs = Math.min(input.from.getTime() + run * stepMs, endMs);
    const at = nowMs;
    const summary = await poll({
      source,
      store,
      notifier,
      logger: silent,
      config,
      now: () => new Date(at),
      remainingTimeMs: () => 240_000,
      runId: `backtest-${run}`,
      // Settings in minutes count each run as the interval it ran in, as deployed.
      scheduleIntervalMs: stepMs,
    });
    summaries.push(summary);
    // The run log, as the deployed handler keeps it: the alert budget of the next runs reads it.
    await store.recordRun(
      runRecordOf({
        runId: summary.runId,
        startedAt: new Date(at),
        finishedAt: new Date(at),
        summary,
        failure: null,
      }),
    );
    input.onRun?.(run, total);
  }

  const rules = matchedByRule(input.calls, input.insights, config);
  for (const s of summaries) {
    for (const [rule, n] of Object.entries(s.alertsSilencedByRule))
      (rules[rule] ??= emptyCounts()).silenced += n;
  }
  let catchUpSummaries = 0;
  for (const m of notifier.messages) {
    if (m.notice === 'catch-up') {
      catchUpSummaries += 1;
      for (const [rule, n] of Object.entries(m.carried ?? {})) (rules[rule] ??= emptyCounts()).inCatchUp += n;
      continue;
    }
    const counts = (rules[m.rule] ??= emptyCounts());
    if (m.notice === 'firing') counts.fired += 1;
    else if (m.notice === 'update') counts.updated += 1;
    else if (m.notice === 'reminder') counts.reminded += 1;
    else if (m.notice === 'resolved') counts.resolved += 1;
  }
  return {
    runs: summaries.length,
    tailMinutes,
    rules,
    catchUpSummaries,
    messages: notifier.messages,
    total: notifier.messages.length,
  };
}

/** Rules in a stable order: per-call rules as the config lists them, then the others by name. */
export function ruleOrder(ids: Iterable<string>, perCall: readonly RuleId[]): string[] {
  const all = new Set(ids);
  return [
    ...perCall.filter((id) => all.has(id)),
    ...[...all].filter((id) => !(perCall as string[]).includes(id)).sort(),
  ];
}
