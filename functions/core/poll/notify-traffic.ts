import type { Call } from '../call';
import { maskNumber } from '../alert-message';
import type { AlertConfig } from '../config/schema';
import { labelsMatch } from '../dimensions';
import { MINUTE_MS, runIntervalMs } from '../schedule';
import type { SilenceSubject } from '../silences';
import type { Judgement, TrafficRuleDescriptor } from '../traffic/define-traffic-rule';
import { afterNotice, quietIncident, stepIncident, type TrafficNotice } from '../traffic/incident';
import { TRAFFIC_RULES } from '../traffic/registry';
import type { TrafficRuleId, TrafficRulesConfig } from '../traffic/traffic-config';
import { renderTrafficAlert } from '../traffic/traffic-message';
import {
  ACCOUNT_KEY,
  BUCKET_MS,
  countInto,
  countsIn,
  DAY_MS,
  emptyHot,
  emptyProfile,
  expectedIn,
  fold,
  fromStored,
  historyDays,
  HOUR_MS,
  observeLateness,
  prune,
  settleOf,
  type StoredTraffic,
  toStored,
  METRICS,
  type TrafficHot,
  type TrafficIncident,
  type TrafficMetric,
  type TrafficProfile,
  trunkKeyOf,
} from '../traffic/traffic-state';
import type { PollSummary } from './run-context';
import { isSettled, type SendContext, sendNotice } from './send-notice';

/**
 * The traffic rules (traffic-drop, traffic-surge, spend, new-destination) in a run: every call
 * the run lists for the first time is counted into its trunk's and the account's buckets as it
 * is saved (countTraffic, per slice, before the call is recorded as evaluated), and once a run,
 * at its end, the settled hours are folded into the baseline and each trunk the baseline knows
 * is judged, with or without new calls (updateTraffic).
 */

/** The traffic rules on in `config` (for every trunk, or for some by an override). */
export const enabledTrafficRules = (config: AlertConfig) =>
  TRAFFIC_RULES.filter(
    (r) =>
      config.trafficRules[r.id].enabled ||
      config.trafficRules[r.id].overrides.some((o) => o.enabled === true),
  );

/** Traffic items live for the lookback of new destinations, and at least five weeks (the weekly averages). */
export const trafficExpiresAtSec = (config: AlertConfig, nowMs: number) =>
  Math.floor(nowMs / 1000) + Math.max(35, config.trafficRules['new-destination'].lookbackDays + 1) * 86_400;

/** A run's traffic items, read once and written once (at the run's end, or when it fails). */
export interface Loaded {
  hot: Map<string, TrafficHot>;
  profiles: Map<string, TrafficProfile>;
  /** The hot items' stored form as read, to write only what changed. */
  stored: Map<string, string>;
  /** Profiles created or folded this run (the others are not written, nor packed to compare). */
  changedProfiles: Set<string>;
  /** Items that could not be read, by id: their stored version, so that a new item replaces them. */
  unreadable: Map<string, number>;
}

/** The run's traffic items: read at its first use, then kept in memory until written. */
async function load(ctx: SendContext): Promise<Loaded> {
  if (ctx.traffic) return ctx.traffic;
  const out: Loaded = {
    unreadable: new Map(),
    hot: new Map(),
    profiles: new Map(),
    stored: new Map(),
    changedProfiles: new Set(),
  };
  for (const item of await ctx.deps.store.listTraffic()) {
    const decoded = fromStored(item);
    if (decoded === null) {
      out.unreadable.set(item.id, item.version);
      ctx.deps.logger.warn(
        'A traffic item could not be read: a new one replaces it (its trunk starts learning again)',
        { item: item.id },
      );
      continue;
    }
    if (decoded.kind === 'hot') {
      out.stored.set(decoded.id, JSON.stringify(toStored(decoded)));
      out.hot.set(decoded.key, decoded);
    } else out.profiles.set(decoded.key, decoded);
  }
  ctx.traffic = out;
  return out;
}

async function save(ctx: SendContext, loaded: Loaded, item: TrafficHot | TrafficProfile): Promise<void> {
  if (item.kind === 'profile' && !loaded.changedProfiles.has(item.id)) return;
  const stored = toStored(item);
  const json = item.kind === 'hot' ? JSON.stringify(stored) : '';
  if (item.kind === 'hot' && loaded.stored.get(item.id) === json) return;
  const config = ctx.deps.config;
  // A new item in the place of one that could not be read takes its version (a conditional put
  // on version 0 would fail against it on every run).
  const replacing = item.version === 0 ? loaded.unreadable.get(item.id) : undefined;
  const version = await ctx.deps.store.saveTraffic(
    replacing === undefined ? stored : { ...stored, version: replacing },
    trafficExpiresAtSec(config, ctx.deps.now().getTime()),
  );
  loaded.unreadable.delete(item.id);
  if (item.kind === 'hot') {
    loaded.stored.set(item.id, JSON.stringify({ ...stored, version }));
    loaded.hot.set(item.key, { ...item, version });
  } else {
    loaded.changedProfiles.delete(item.id);
    loaded.profiles.set(item.key, { ...item, version });
  }
  ctx.summary.trafficWrites += 1;
}

/**
 * Counts calls this run listed for the first time (a call is counted once: the run that lists it
 * again finds it evaluated or owed and does not pass it here) into their trunk's and the account's
 * buckets, and notes how old each was when listed (the settle time is measured from it).
 */
export async function countTraffic(ctx: SendContext, firstSeen: readonly Call[]): Promise<void> {
  const { config } = ctx.deps;
  if (firstSeen.length === 0 || enabledTrafficRules(config).length === 0) return;
  const nowMs = ctx.deps.now().getTime();
  const loaded = await load(ctx);
  const byKey = new Map<string, Call[]>();
  for (const call of firstSeen) {
    const key = trunkKeyOf(call);
    const list = byKey.get(key);
    if (list) list.push(call);
    else byKey.set(key, [call]);
  }
  byKey.set(ACCOUNT_KEY, [...firstSeen]);
  const lookbackMs = config.trafficRules['new-destination'].lookbackDays * DAY_MS;
  // Ages past the overlap and two intervals are a backlog being worked off, not late CDRs.
  const interval = runIntervalMs(ctx.deps.scheduleIntervalMs);
  const maxAge = config.poll.overlapMinutes * MINUTE_MS + 2 * interval + config.poll.settleSeconds * 1000;
  for (const [key, calls] of byKey) {
    const profile = loaded.profiles.get(key);
    // Before minHistoryDays no country can be new (the countries called are still being learnt):
    // none is kept as one, so the item stays small.
    const learning = historyDays(profile) < config.trafficRules['new-destination'].minHistoryDays;
    let hot = countInto(
      loaded.hot.get(key) ?? emptyHot(key),
      calls,
      learning ? null : (profile?.known ?? {}),
      lookbackMs,
    );
    if (key === ACCOUNT_KEY) {
      const ages = calls
        .map((c) => nowMs - Date.parse(c.endTime ?? ''))
        .filter((age) => Number.isFinite(age) && age >= 0 && age <= maxAge);
      hot = observeLateness(hot, ages, nowMs);
    }
    if (!profile && hot.historyFromMs === undefined) {
      // History starts at the first whole hour after the first call counted: a partial hour
      // would teach the baseline a low count. The profile is made (and written) at its first fold.
      // A loop, not Math.min(...): a slice of a backlog can hold more calls than a call's arguments.
      let firstEnd = Number.POSITIVE_INFINITY;
      for (const c of calls) {
        const ms = Date.parse(c.endTime ?? '');
        if (ms < firstEnd) firstEnd = ms;
      }
      if (Number.isFinite(firstEnd)) hot = { ...hot, historyFromMs: Math.ceil(firstEnd / HOUR_MS) * HOUR_MS };
    }
    loaded.hot.set(key, hot);
  }
}

/**
 * Writes the run's traffic items that changed. The counts of a run are written once, at its end
 * (updateTraffic), not per slice: a run that dies without getting here (a Lambda timeout) loses
 * its own calls' counts, at most a run's worth, well under what a drop needs (half a window);
 * a run that fails with an error writes them on its way out (poll-use-case.ts).
 */
export async function flushTraffic(ctx: SendContext): Promise<void> {
  const loaded = ctx.traffic;
  if (!loaded) return;
  // Every item is tried: one that cannot be written does not keep the others' counts from
  // the table. The first failure then fails the run.
  let failure: unknown = null;
  for (const item of [...loaded.profiles.values(), ...loaded.hot.values()]) {
    try {
      await save(ctx, loaded, item);
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== null) throw failure;
}

/** The longest an incident keeps its counts out of the baseline. */
export const HOLD_LEARNING_MAX_MS = 7 * DAY_MS;

/**
 * How long a trunk's buckets are kept: the longest window a rule reads (the hourly caps read 60
 * minutes) behind the settle time; new destinations: new-destination's window and the settle time.
 */
export function keptFor(config: AlertConfig): { keepMs: number; keepNovelMs: number } {
  const t = config.trafficRules;
  const longest = Math.max(60, ...TRAFFIC_RULES.map((r) => t[r.id].windowMinutes));
  return {
    keepMs: (longest + t.settle.maxMinutes) * MINUTE_MS + BUCKET_MS,
    keepNovelMs: (t['new-destination'].windowMinutes + t.settle.maxMinutes) * MINUTE_MS,
  };
}

/** A traffic rule's settings for one trunk: its own, changed by the first override whose scope matches. */
export function trafficRuleFor<Id extends TrafficRuleId>(
  config: AlertConfig,
  id: Id,
  labels: Record<string, string>,
): TrafficRulesConfig[Id] & { override: boolean } {
  const rule = config.trafficRules[id];
  const match = rule.overrides.find((o) => labelsMatch(labels, o.scope));
  if (!match) return { ...rule, override: false };
  const { scope: _scope, ...changes } = match as typeof match & { scope: unknown };
  const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  return { ...rule, ...defined, override: true };
}

/** Where the rules stand, as of `nowMs` and a watermark: settle time and the edges it gives. */
export function trafficEdges(
  config: AlertConfig,
  account: TrafficHot | undefined,
  nowMs: number,
  watermarkMs: number,
) {
  const settle = settleOf(account, config.trafficRules.settle, nowMs);
  const readToMs = Math.min(nowMs, watermarkMs);
  const settledToMs = Math.floor(Math.min(readToMs, nowMs - settle.ms) / BUCKET_MS) * BUCKET_MS;
  return { settle, readToMs, settledToMs };
}

/** Judges one trunk (or the account) by every enabled rule that applies to it: no state changes. */
export function judgeTraffic(
  config: AlertConfig,
  key: string,
  hot: TrafficHot,
  profile: TrafficProfile | undefined,
  edges: ReturnType<typeof trafficEdges>,
  nowMs: number,
): Array<{ rule: TrafficRuleDescriptor; settings: ReturnType<typeof trafficRuleFor>; judgement: Judgement }> {
  const out: Array<{
    rule: TrafficRuleDescriptor;
    settings: ReturnType<typeof trafficRuleFor>;
    judgement: Judgement;
  }> = [];
  for (const rule of TRAFFIC_RULES as readonly TrafficRuleDescriptor[]) {
    if (key === ACCOUNT_KEY && rule.keys === 'trunks') continue;
    const settings = trafficRuleFor(config, rule.id, hot.labels);
    if (!settings.enabled) continue;
    const judgement = rule.judge({
      key,
      hot,
      profile,
      rule: settings as never,
      nowMs,
      ...edges,
      firing: hot.incidents[rule.id]?.firing === true,
      showNumber: (n) => (config.notifications.maskPhoneNumbers ? maskNumber(n) : n),
    });
    out.push({ rule, settings, judgement });
  }
  return out;
}

/**
 * Folds the settled hours into a trunk's baseline, as the run does before it judges: a metric an
 * incident is firing about is not learnt (an outage or a fraud never becomes normal).
 */
function foldSettled(
  hot: TrafficHot,
  profile: TrafficProfile,
  edges: ReturnType<typeof trafficEdges>,
  nowMs: number,
): ReturnType<typeof fold> {
  // An incident holds back the learning of what it is about for a week at most: a change that
  // lasts longer (4x the outbound calls, for good) becomes the baseline and the incident ends.
  const firing = (id: TrafficRuleId) => {
    const incident = hot.incidents[id];
    if (incident?.firing !== true) return false;
    return incident.since === null || Date.parse(incident.since) >= nowMs - HOLD_LEARNING_MAX_MS;
  };
  const learn = new Set<TrafficMetric>(
    METRICS.filter(
      (m) =>
        !(firing('traffic-drop') && m !== 'spend') &&
        !(firing('traffic-surge') && m === 'outbound') &&
        !(firing('spend') && m === 'spend'),
    ),
  );
  // An incident over a day old is an outage (or a fraud) going on, not an hour of the week that
  // changed: its hours are never learnt whole (profile.breached).
  const longRunning = Object.values(hot.incidents).some(
    (i) => i?.firing === true && i.since !== null && Date.parse(i.since) < nowMs - DAY_MS,
  );
  return fold(
    hot,
    profile,
    Math.min(edges.readToMs, nowMs - edges.settle.ms),
    learn,
    !longRunning,
    hot.incidents['new-destination']?.firing === true,
  );
}

/** One trunk (or the account) as `status` and `explain` show it. */
export interface TrafficKeyView {
  key: string;
  labels: Record<string, string>;
  /** When its history starts (null: no profile yet), and how many days it holds. */
  historyFromMs: number | null;
  historyDays: number;
  /** Each enabled rule that applies to it, with its incident (null: it never breached). */
  judgements: Array<{
    ruleId: TrafficRuleId;
    severity: string;
    judgement: Judgement;
    incident: TrafficIncident | null;
  }>;
}

export interface TrafficView {
  /** The settle time and the edges every key was judged by. */
  edges: ReturnType<typeof trafficEdges>;
  /** The account first, then the trunks by key. */
  keys: TrafficKeyView[];
  /** Stored items that could not be read (the run passes them over too). */
  unreadable: number;
}

/**
 * Where the traffic rules stand for each trunk and the account, from the stored items, as the
 * next run would judge them (the settled hours folded first) as of `nowMs` and the watermark,
 * without changing anything: what `status` and `explain` show. `only` keeps some keys (explain:
 * the call's trunk).
 */
export function viewTraffic(
  config: AlertConfig,
  items: readonly StoredTraffic[],
  nowMs: number,
  watermarkMs: number | null,
  only?: (key: string) => boolean,
): TrafficView {
  const hots = new Map<string, TrafficHot>();
  const profiles = new Map<string, TrafficProfile>();
  let unreadable = 0;
  for (const item of items) {
    const decoded = fromStored(item);
    if (decoded === null) unreadable += 1;
    else if (decoded.kind === 'hot') hots.set(decoded.key, decoded);
    else profiles.set(decoded.key, decoded);
  }
  const watermark = watermarkMs !== null && Number.isFinite(watermarkMs) ? watermarkMs : nowMs;
  const edges = trafficEdges(config, hots.get(ACCOUNT_KEY), nowMs, watermark);
  const keys = [...new Set([...hots.keys(), ...profiles.keys()])]
    .filter((key) => !only || only(key))
    .sort((a, b) => (a === ACCOUNT_KEY ? -1 : b === ACCOUNT_KEY ? 1 : a.localeCompare(b)));
  return {
    edges,
    unreadable,
    keys: keys.map((key) => {
      let hot = hots.get(key) ?? emptyHot(key);
      let profile = profiles.get(key);
      const started =
        profile ?? (hot.historyFromMs === undefined ? undefined : emptyProfile(key, hot.historyFromMs));
      const historyFromMs = started?.firstMs ?? null;
      if (started) {
        const folded = foldSettled(hot, started, edges, nowMs);
        hot = folded.hot;
        if (folded.changed || profile) profile = folded.profile;
      }
      return {
        key,
        labels: hot.labels,
        historyFromMs,
        historyDays: historyDays(profile),
        judgements: judgeTraffic(config, key, hot, profile, edges, nowMs).map(
          ({ rule, settings, judgement }) => ({
            ruleId: rule.id,
            severity: settings.severity,
            judgement,
            incident: hot.incidents[rule.id] ?? null,
          }),
        ),
      };
    }),
  };
}

/**
 * The account's last settled traffic-drop window, for the dashboard: its calls (as traffic-drop
 * counted them) and outbound spend, and what the baseline expects in the same window (null:
 * nothing learnt for it yet). The window is traffic-drop's even when the rule does not judge.
 */
export function accountTraffic(
  config: AlertConfig,
  hot: TrafficHot,
  profile: TrafficProfile | undefined,
  edges: ReturnType<typeof trafficEdges>,
  judged: ReadonlyArray<{ rule: TrafficRuleDescriptor; judgement: Judgement }>,
): NonNullable<PollSummary['trafficAccount']> {
  const detail = judged.find((j) => j.rule.id === 'traffic-drop')?.judgement.detail ?? {};
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const toMs = number(detail.toMs) ?? edges.settledToMs;
  const fromMs =
    number(detail.fromMs) ??
    toMs - trafficRuleFor(config, 'traffic-drop', hot.labels).windowMinutes * MINUTE_MS;
  const counts = countsIn(hot, fromMs, toMs);
  const expectedSpend = expectedIn(profile, 'spend', fromMs, toMs, true);
  const cents = (n: number) => Math.round(n * 100) / 100;
  return {
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    calls: number(detail.observed) ?? counts.inbound + counts.outbound,
    expectedCalls: number(detail.expected),
    spend: cents(counts.spend),
    expectedSpend: expectedSpend === null ? null : cents(expectedSpend.value),
  };
}

/**
 * Once a run, at its end: folds the settled hours into each trunk's baseline and judges every
 * trunk the baseline knows (absence is the signal: a trunk with no call is judged too), and the
 * account; sends each incident's firing, its one update and its resolution once.
 */
export async function updateTraffic(ctx: SendContext): Promise<void> {
  try {
    await judgeAll(ctx);
  } finally {
    // The run's counts and what its judgements changed, written once.
    await flushTraffic(ctx);
  }
}

async function judgeAll(ctx: SendContext): Promise<void> {
  const { deps, summary } = ctx;
  const { config, store } = deps;
  if (enabledTrafficRules(config).length === 0) return;
  const cursor = await store.getCursor();
  if (!cursor) return;
  const now = deps.now();
  const nowMs = now.getTime();
  const watermarkMs = Date.parse(cursor.watermark);
  if (!Number.isFinite(watermarkMs)) return;
  const loaded = await load(ctx);
  const edges = trafficEdges(config, loaded.hot.get(ACCOUNT_KEY), nowMs, watermarkMs);
  summary.trafficSettleSeconds = Math.round(edges.settle.ms / 1000);
  // Trunks first, the account last: its notice waits while a trunk's incident of the same rule
  // fires (the trunk's page already says it; one outage, one page). Still breaching once the
  // trunks' incidents are over, it goes out then.
  const keys = [...new Set([...loaded.hot.keys(), ...loaded.profiles.keys()])].sort(
    (a, b) => Number(a === ACCOUNT_KEY) - Number(b === ACCOUNT_KEY),
  );
  const firingOnTrunks = new Set<TrafficRuleId>();
  const keep = keptFor(config);
  const forgetMs = config.trafficRules['traffic-drop'].forgetAfterDays * DAY_MS;
  for (const key of keys) {
    let hot = loaded.hot.get(key) ?? emptyHot(key);
    let profile = loaded.profiles.get(key);
    // A trunk without a call for forgetAfterDays and no incident firing is left alone: nothing
    // judged, nothing written, so its items expire (a decommissioned or renamed trunk does not
    // stay in the table for ever). A call from it starts it again.
    // The hot item may have expired first (it is not written once quiet): the profile keeps it too.
    const lastCallMs = hot.lastCallMs ?? profile?.lastCallMs ?? null;
    const quietFor = lastCallMs === null ? 0 : nowMs - lastCallMs;
    if (key !== ACCOUNT_KEY && quietFor > forgetMs && !Object.values(hot.incidents).some((i) => i?.firing)) {
      continue;
    }
    const started =
      profile ?? (hot.historyFromMs === undefined ? undefined : emptyProfile(key, hot.historyFromMs));
    if (started) {
      const folded = foldSettled(hot, started, edges, nowMs);
      hot = folded.hot;
      if (folded.changed) {
        profile = folded.profile;
        loaded.profiles.set(key, profile);
        loaded.changedProfiles.add(profile.id);
        if (hot.historyFromMs !== undefined) hot = { ...hot, historyFromMs: undefined };
      }
    }
    const judged = judgeTraffic(config, key, hot, profile, edges, nowMs);
    if (key === ACCOUNT_KEY) summary.trafficAccount = accountTraffic(config, hot, profile, edges, judged);
    for (const { rule, settings, judgement } of judged) {
      summary.trafficJudged += judgement.state === 'unjudged' ? 0 : 1;
      const step = stepIncident(
        hot.incidents[rule.id] ?? quietIncident(),
        judgement,
        now,
        rule.worse,
        settings.forMinutes,
      );
      let incident = step.incident;
      const explainedByTrunk = key === ACCOUNT_KEY && step.notice === 'firing' && firingOnTrunks.has(rule.id);
      if (step.notice && explainedByTrunk) {
        ctx.deps.logger.info(
          'Account-wide traffic incident not paged: a trunk incident of the rule is firing',
          {
            rule: rule.id,
          },
        );
      } else if (step.notice) {
        const sent = await sendTrafficNotice(ctx, {
          ruleId: rule.id,
          key,
          labels: hot.labels,
          incident,
          notice: step.notice,
          judgement,
          severity: settings.severity,
        });
        if (sent) incident = afterNotice(incident, step.notice, now);
        else if (step.notice === 'resolved') incident = { ...incident, firing: true };
        // An update that did not go out is still owed: its peak stays where it was, or the next
        // run would find nothing worse and the on-call would never hear of it.
        else if (step.notice === 'update') incident = hot.incidents[rule.id] ?? incident;
      }
      if (key !== ACCOUNT_KEY && incident.firing) firingOnTrunks.add(rule.id);
      if (rule.id === 'new-destination' && incident.firing) {
        // Its countries stay new for lookbackDays after it resolves: a campaign that comes back
        // the next night pages again.
        const until = nowMs + config.trafficRules['new-destination'].lookbackDays * DAY_MS;
        const countries = Object.keys(
          (judgement.detail.countries as Record<string, unknown> | undefined) ?? {},
        );
        const flagged = { ...hot.flagged };
        for (const c of countries) flagged[c] = until;
        if (countries.length > 0) hot = { ...hot, flagged };
      }
      hot = { ...hot, incidents: { ...hot.incidents, [rule.id]: incident } };
    }
    loaded.hot.set(key, prune(hot, profile, nowMs, keep));
  }
}

async function sendTrafficNotice(
  ctx: SendContext,
  input: Parameters<typeof renderTrafficAlert>[0] & { notice: TrafficNotice },
): Promise<boolean> {
  const { config } = ctx.deps;
  const now = ctx.deps.now();
  const subject: SilenceSubject = {
    ruleId: input.ruleId,
    severity: input.severity as SilenceSubject['severity'],
    labels: { ...input.labels, ...input.judgement.labels },
  };
  const result = await sendNotice(ctx, {
    key: `zentrunk-alerts:traffic:${input.ruleId}:${input.key}#${input.incident.episode}#${input.incident.notices + 1}`,
    kind: 'traffic',
    stage: input.notice,
    ruleId: input.ruleId,
    silenceSubject: subject,
    whenSilenced: 'hold',
    render: () => renderTrafficAlert(input, config, now),
    logFields: { trunk: input.key },
  });
  return isSettled(result);
}
