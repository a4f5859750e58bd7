import { alertDedupKey, renderFindingAlert } from '../alert-message';
import { renderCatchUpSummary } from '../catch-up-summary';
import { toChatNotification } from '../chat-notification';
import { groupIdOf, groupLabels } from '../groups/group';
import { renderGroupAlert } from '../groups/group-message';
import { addFindings, afterNotice, isOverUnannounced, nextNotice } from '../groups/lifecycle';
import { type Observation, observe, windowIdOf, windowLabels } from '../windowed/observe';
import {
  addObservations,
  afterWindowNotice,
  emptyWindow,
  evaluateWindow,
  stepWindow,
  type WindowEvaluation,
  type WindowNotice,
  type WindowState,
} from '../windowed/window';
import { renderWindowAlert } from '../windowed/window-message';
import { type WindowRule, windowRuleFor } from '../windowed/window-rule';
import type { Call, CallInsights, EvaluatedCall } from '../call';
import { type AlertConfig, WINDOWED_RULE_IDS, type WindowedRuleId } from '../config/schema';
import { FatalSourceError } from '../errors';
import type { Finding } from '../finding';
import type {
  AlertMessage,
  CallSource,
  CallWindow,
  Logger,
  Notifier,
  PendingInsightsItem,
  StateStore,
} from '../ports';
import { evaluateRules } from '../rules/evaluate-rules';
import { type ActiveSilence, activeSilenceFor } from '../silences';
import { mapConcurrent } from './map-concurrent';
import { planWindow } from './plan-window';

export interface PollDeps {
  source: CallSource;
  store: StateStore;
  notifier: Notifier;
  logger: Logger;
  config: AlertConfig;
  now: () => Date;
  /** Milliseconds before the runtime stops this run (Lambda's getRemainingTimeInMillis). */
  remainingTimeMs: () => number;
  /** Identifies this run in the lease and the logs. */
  runId: string;
}

export type PollStatus = 'completed' | 'partial' | 'skipped-lease-held';

export interface PollSummary {
  status: PollStatus;
  runId: string;
  window: { from: string; to: string } | null;
  firstRun: boolean;
  callsSeen: number;
  callsAlreadyEvaluated: number;
  pendingRetried: number;
  insightsFetched: number;
  insightsNotReady: number;
  insightsErrors: number;
  insightsGaveUp: number;
  insightsDeferredForTime: number;
  findings: number;
  findingsByRule: Record<string, number>;
  alertsPublished: number;
  alertsPublishedByRule: Record<string, number>;
  duplicatesSuppressed: number;
  alertsInProgressElsewhere: number;
  publishFailures: number;
  /** Findings muted by a silence or quiet period: recorded as notified, never sent. */
  alertsSilenced: number;
  alertsSilencedByRule: Record<string, number>;
  /** Findings counted into alert groups (grouping.enabled) instead of alerted one by one. */
  findingsGrouped: number;
  /** Group notices sent: firing, updates, reminders, resolutions (also in alertsPublished). */
  groupNotices: number;
  groupNoticesByKind: Record<string, number>;
  /** Windowed-rule notices sent (firing, reminders, resolutions; also in alertsPublished). */
  windowNotices: number;
  windowNoticesByKind: Record<string, number>;
  /** Findings past notifications.maxAlertsPerRun, sent inside a catch-up summary. */
  findingsSummarized: number;
  catchUpSummaries: number;
  recordsSkipped: number;
  cursorAdvanced: boolean;
  watermark: string | null;
  /** Seconds between the end of the run and the watermark it leaves (how far behind we are). */
  lagSeconds: number | null;
  durationMs: number;
}

/** Raised when a run could not finish its work; state was saved only up to what was done. */
export class PollIncompleteError extends Error {
  override name = 'PollIncompleteError';
  constructor(
    message: string,
    readonly summary: PollSummary,
  ) {
    super(message);
  }
}

interface Subject {
  call: Call;
  /** Earlier "not ready" answers for its insights (0 for a call seen for the first time). */
  priorAttempts: number;
  /** Earlier failed insights requests. */
  priorErrors: number;
  firstSeenAt: string;
  wasPending: boolean;
}

type InsightsOutcome =
  | { kind: 'ready'; insights: CallInsights }
  | { kind: 'not-ready' }
  | { kind: 'error'; error: Error }
  | { kind: 'deferred' };

const DAY_SECONDS = 24 * 60 * 60;
/** Failed insights requests tolerated per call, as a multiple of poll.insightsMaxAttempts. */
const INSIGHTS_ERROR_BUDGET_FACTOR = 4;

function emptySummary(runId: string): PollSummary {
  return {
    status: 'completed',
    runId,
    window: null,
    firstRun: false,
    callsSeen: 0,
    callsAlreadyEvaluated: 0,
    pendingRetried: 0,
    insightsFetched: 0,
    insightsNotReady: 0,
    insightsErrors: 0,
    insightsGaveUp: 0,
    insightsDeferredForTime: 0,
    findings: 0,
    findingsByRule: {},
    alertsPublished: 0,
    alertsPublishedByRule: {},
    duplicatesSuppressed: 0,
    alertsInProgressElsewhere: 0,
    publishFailures: 0,
    alertsSilenced: 0,
    alertsSilencedByRule: {},
    findingsGrouped: 0,
    groupNotices: 0,
    groupNoticesByKind: {},
    windowNotices: 0,
    windowNoticesByKind: {},
    findingsSummarized: 0,
    catchUpSummaries: 0,
    recordsSkipped: 0,
    cursorAdvanced: false,
    watermark: null,
    lagSeconds: null,
    durationMs: 0,
  };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function iso(window: CallWindow): { from: string; to: string } {
  return { from: window.from.toISOString(), to: window.to.toISOString() };
}

/**
 * One scheduled run: read the calls that ended since the watermark (minus an overlap), look
 * up their insights, evaluate the rules, publish each new finding exactly once, then move
 * the watermark. State only ever advances past work that was done: a run that fails or runs
 * out of time leaves the cursor where the next run can redo what is missing, and dedup makes
 * the redo harmless.
 */
export async function poll(deps: PollDeps): Promise<PollSummary> {
  const { store, logger, runId } = deps;
  const startedMs = deps.now().getTime();
  const summary = emptySummary(runId);
  const finish = (): PollSummary => {
    summary.durationMs = deps.now().getTime() - startedMs;
    return summary;
  };

  const leaseUntilMs = startedMs + Math.max(deps.remainingTimeMs(), 1000);
  if (!(await store.acquireLease(runId, { nowMs: startedMs, untilMs: leaseUntilMs }))) {
    summary.status = 'skipped-lease-held';
    logger.warn('Another poll run holds the lease; skipping this run', { runId });
    return finish();
  }
  try {
    await runUnderLease(deps, summary);
  } finally {
    await store.releaseLease(runId).catch((error: Error) => {
      // The lease expires on its own; a failed release only delays the next run.
      logger.warn('Could not release the poll lease', { error: error.message });
    });
  }
  finish();
  if (summary.status === 'partial' && summary.publishFailures > 0) {
    throw new PollIncompleteError(
      `${summary.publishFailures} alert(s) could not be published; the cursor was not advanced and the next run retries them`,
      summary,
    );
  }
  return summary;
}

async function runUnderLease(deps: PollDeps, summary: PollSummary): Promise<void> {
  const { source, store, logger, config } = deps;
  const safetyMs = config.poll.safetyMarginSeconds * 1000;
  const outOfTime = () => deps.remainingTimeMs() < safetyMs;

  const cursor = await store.getCursor();
  const plan = planWindow(cursor, deps.now(), config.poll);
  summary.window = iso(plan.window);
  summary.firstRun = plan.firstRun;
  if (plan.unreadableGap) {
    logger.error('Calls in this range are older than Plivo keeps them and were never checked', {
      gap: iso(plan.unreadableGap),
    });
  }

  // Everything that can fail before a single alert is sent happens first: a Plivo outage or
  // rejected credentials end the run here with no state touched.
  const listed = await source.listCalls(plan.window);
  summary.recordsSkipped = listed.skipped.length;
  for (const skipped of listed.skipped) {
    logger.warn('Skipped a call record that could not be understood', {
      reason: skipped.reason,
      callUuid: skipped.callUuid,
    });
  }
  summary.callsSeen = listed.calls.length;

  const pending = await store.listPendingInsights();
  const pendingByUuid = new Map(pending.map((p) => [p.call.callUuid, p]));
  const evaluatedBefore = await store.getEvaluatedCalls(
    listed.calls.map((c) => c.callUuid).filter((uuid) => !pendingByUuid.has(uuid)),
  );
  summary.callsAlreadyEvaluated = evaluatedBefore.size;

  const nowIso = deps.now().toISOString();
  const subjects: Subject[] = pending.map((p) => ({
    call: p.call,
    priorAttempts: p.attempts,
    priorErrors: p.errors ?? 0,
    firstSeenAt: p.firstSeenAt,
    wasPending: true,
  }));
  summary.pendingRetried = pending.length;
  for (const call of listed.calls) {
    if (pendingByUuid.has(call.callUuid) || evaluatedBefore.has(call.callUuid)) continue;
    subjects.push({ call, priorAttempts: 0, priorErrors: 0, firstSeenAt: nowIso, wasPending: false });
  }

  const outcomes = await mapConcurrent(
    subjects,
    config.plivo.insightsConcurrency,
    async (subject): Promise<InsightsOutcome> => {
      if (outOfTime()) return { kind: 'deferred' };
      try {
        const insights = await source.getInsights(subject.call.callUuid);
        return insights ? { kind: 'ready', insights } : { kind: 'not-ready' };
      } catch (error) {
        if (error instanceof FatalSourceError) throw error;
        return { kind: 'error', error: error as Error };
      }
    },
  );

  const evaluatedAt = deps.now().toISOString();
  // One instant for the whole run, so every finding of it sees the same silences.
  const silencedAt = new Date(evaluatedAt);
  const retentionSec = config.state.dedupRetentionDays * DAY_SECONDS;
  const expiresAtSec = Math.floor(deps.now().getTime() / 1000) + retentionSec;

  // Decide, per call, what is known now and what must be looked at again later.
  const toEvaluate: Array<{
    subject: Subject;
    evaluated: EvaluatedCall;
    done: boolean;
    /** Counters to record if the call has to be looked at again. */
    attempts: number;
    errors: number;
  }> = [];
  const stillPending: PendingInsightsItem[] = [];
  const maxErrors = config.poll.insightsMaxAttempts * INSIGHTS_ERROR_BUDGET_FACTOR;
  subjects.forEach((subject, index) => {
    const outcome = outcomes[index] as InsightsOutcome;
    let attempts = subject.priorAttempts;
    let errors = subject.priorErrors;
    const keep = (done: boolean, insights: CallInsights | null, gaveUp: boolean) => {
      if (!done)
        stillPending.push({ call: subject.call, attempts, errors, firstSeenAt: subject.firstSeenAt });
      toEvaluate.push({
        subject,
        evaluated: { call: subject.call, insights, insightsGaveUp: gaveUp },
        done,
        attempts,
        errors,
      });
    };
    if (outcome.kind === 'ready') {
      summary.insightsFetched += 1;
      keep(true, outcome.insights, false);
      return;
    }
    if (outcome.kind === 'deferred') {
      // Not attempted: keep it for the next run without spending one of its attempts.
      summary.insightsDeferredForTime += 1;
      keep(false, null, false);
      return;
    }
    if (outcome.kind === 'error') {
      // Plivo failing is not Plivo saying "not ready": an outage gets its own, larger budget,
      // so the insight-based alerts of its calls are not dropped after half an hour of 5xx.
      summary.insightsErrors += 1;
      errors += 1;
      logger.warn('Insights request failed; will look again next run', {
        callUuid: subject.call.callUuid,
        error: outcome.error.message,
        errors,
      });
    } else {
      summary.insightsNotReady += 1;
      attempts += 1;
    }
    const gaveUp = attempts >= config.poll.insightsMaxAttempts || errors >= maxErrors;
    if (gaveUp) {
      summary.insightsGaveUp += 1;
      logger.warn('Insights never became available; judging the call on its CDR alone', {
        callUuid: subject.call.callUuid,
        notReadyAnswers: attempts,
        failedRequests: errors,
      });
    }
    keep(gaveUp, null, gaveUp);
  });

  // Evaluate and notify. A call counts as done only when every one of its findings was
  // published (or had been before). Past the run's alert budget, findings are claimed and
  // folded into one catch-up summary instead of paging one by one.
  const failedCalls = new Set<string>();
  const overflow: Array<{ finding: Finding; dedupKey: string }> = [];
  const grouped: Array<{ finding: Finding; dedupKey: string }> = [];
  for (const item of toEvaluate) {
    const findings = evaluateRules([item.evaluated], config);
    for (const finding of findings) {
      summary.findings += 1;
      increment(summary.findingsByRule, finding.ruleId);
      if (outOfTime()) {
        failedCalls.add(finding.call.callUuid);
        continue;
      }
      // Silenced findings are settled before the budget check: they are never sent, so they
      // neither use up maxAlertsPerRun nor land in a catch-up summary.
      const silence = activeSilenceFor(finding, silencedAt, config.silences);
      const overBudget = summary.alertsPublished >= config.notifications.maxAlertsPerRun;
      const result = silence
        ? await recordSilenced(deps, finding, silence, expiresAtSec)
        : config.grouping.enabled
          ? await claimForGroup(deps, finding, expiresAtSec, grouped)
          : overBudget
            ? await claimForSummary(deps, finding, expiresAtSec, overflow)
            : await notifyOnce(deps, finding, {
                evaluatedAt,
                insightsGaveUp: item.evaluated.insightsGaveUp,
                expiresAtSec,
              });
      if (result === 'published') {
        summary.alertsPublished += 1;
        increment(summary.alertsPublishedByRule, finding.ruleId);
      } else if (result === 'claimed-for-group') {
        summary.findingsGrouped += 1;
      } else if (result === 'silenced') {
        summary.alertsSilenced += 1;
        increment(summary.alertsSilencedByRule, finding.ruleId);
      } else if (result === 'duplicate') summary.duplicatesSuppressed += 1;
      else if (result === 'in-progress') {
        summary.alertsInProgressElsewhere += 1;
        failedCalls.add(finding.call.callUuid);
      } else if (result === 'failed') {
        summary.publishFailures += 1;
        failedCalls.add(finding.call.callUuid);
      }
    }
  }
  if (config.grouping.enabled) await updateGroups(deps, grouped, { expiresAtSec, summary });
  if (overflow.length > 0) {
    await publishCatchUpSummary(deps, overflow, { evaluatedAt, expiresAtSec, summary, failedCalls });
  }

  // A call whose alert could not be sent is owed work: it joins the pending list (with its
  // insights attempts unchanged), so the watermark can move on while the call is retried.
  const pendingUuids = new Set(stillPending.map((p) => p.call.callUuid));
  for (const item of toEvaluate) {
    const uuid = item.subject.call.callUuid;
    if (failedCalls.has(uuid) && !pendingUuids.has(uuid)) {
      stillPending.push({
        call: item.subject.call,
        attempts: item.attempts,
        errors: item.errors,
        firstSeenAt: item.subject.firstSeenAt,
      });
      pendingUuids.add(uuid);
    }
  }

  // Save state, most conservative first: what is still owed is recorded before anything
  // that says work is finished, so a crash between writes only causes harmless repeats.
  if (stillPending.length > 0) await store.putPendingInsights(stillPending, expiresAtSec);
  const finished = toEvaluate.filter((item) => item.done && !failedCalls.has(item.subject.call.callUuid));
  // Windowed rules see each call once, when it is finished (a call waiting for insights would
  // otherwise be counted on every run that looks at it).
  await updateWindows(
    deps,
    finished.map((item) => item.evaluated),
    { expiresAtSec, summary },
  );
  if (finished.length > 0) {
    await store.markCallsEvaluated(
      finished.map((item) => item.subject.call.callUuid),
      expiresAtSec,
    );
  }
  const pendingResolved = finished
    .filter((item) => item.subject.wasPending)
    .map((item) => item.subject.call.callUuid);
  if (pendingResolved.length > 0) await store.deletePendingInsights(pendingResolved);

  // Every call of the window is now either finished or on the pending list.
  await store.saveCursor(plan.window.to.toISOString(), cursor?.version ?? null);
  summary.cursorAdvanced = true;
  summary.watermark = plan.window.to.toISOString();
  if (failedCalls.size > 0) summary.status = 'partial';

  const stoppedForTime = summary.insightsDeferredForTime > 0 || outOfTime();
  if (stoppedForTime) {
    logger.warn('Run stopped early to stay within its time limit; the next run continues', {
      deferred: summary.insightsDeferredForTime,
    });
  }
  summary.lagSeconds =
    summary.watermark === null
      ? null
      : Math.max(0, Math.round((deps.now().getTime() - Date.parse(summary.watermark)) / 1000));
}

/** Adds the chat form when the alert topic feeds Amazon Q Developer in chat applications. */
function forChannel(config: AlertConfig, message: AlertMessage): AlertMessage {
  return config.notifications.format === 'amazon-q-chat'
    ? { ...message, chat: toChatNotification(message) }
    : message;
}

type NotifyResult =
  | 'published'
  | 'duplicate'
  | 'in-progress'
  | 'failed'
  | 'claimed-for-summary'
  | 'claimed-for-group'
  | 'silenced';

/**
 * Records a silenced finding as notified without sending it (claim → complete, no publish).
 * A per-call alert is about that call at that time: once its silence ends, it must not go out
 * late, so the dedup record is what keeps later runs from sending it.
 */
async function recordSilenced(
  deps: PollDeps,
  finding: Finding,
  silence: ActiveSilence,
  expiresAtSec: number,
): Promise<NotifyResult> {
  const { store, logger } = deps;
  const dedupKey = alertDedupKey(finding);
  const nowMs = deps.now().getTime();
  const claim = await store.claimAlert(dedupKey, {
    nowMs,
    inProgressUntilMs: nowMs + Math.max(deps.remainingTimeMs(), 1000),
    expiresAtSec,
  });
  if (claim === 'already-sent') return 'duplicate';
  if (claim === 'in-progress') return 'in-progress';
  await store.completeAlert(dedupKey, {
    nowMs: deps.now().getTime(),
    messageId: `silenced:${silence.id}`,
    expiresAtSec,
  });
  logger.info('Alert silenced; recorded and not sent', {
    dedupKey,
    rule: finding.ruleId,
    severity: finding.severity,
    silence: silence.id,
    silenceKind: silence.kind,
    silenceEndsAt: silence.endsAt,
  });
  return 'silenced';
}

/**
 * Feeds finished calls into the enabled windowed rules, evaluates every live window (also those
 * without new calls, so a window that went quiet can clear), and sends each firing and
 * resolution once, claimed under (window, incident, sequence) like group notices. A notice a
 * silence holds back is retried on later runs; a held resolution keeps the window firing.
 */
async function updateWindows(
  deps: PollDeps,
  finished: readonly EvaluatedCall[],
  options: { expiresAtSec: number; summary: PollSummary },
): Promise<void> {
  const { store, logger, config } = deps;
  const enabled = WINDOWED_RULE_IDS.filter((id) => config.windowedRules[id].enabled);
  if (enabled.length === 0) return;
  const { summary, expiresAtSec } = options;
  const now = deps.now();
  const states = new Map((await store.listWindows()).map((w) => [w.id, w]));
  const observations = new Map<
    string,
    { ruleId: WindowedRuleId; labels: Record<string, string>; obs: Observation[] }
  >();
  for (const ruleId of enabled) {
    const rule = config.windowedRules[ruleId];
    for (const subject of finished) {
      const obs = observe(ruleId, subject, config);
      if (!obs) continue;
      const labels = windowLabels(subject, rule.groupBy);
      const id = windowIdOf(ruleId, labels);
      const entry = observations.get(id) ?? { ruleId, labels, obs: [] };
      entry.obs.push(obs);
      observations.set(id, entry);
    }
  }
  const ids = new Set([
    ...[...states.values()].filter((w) => enabled.includes(w.ruleId)).map((w) => w.id),
    ...observations.keys(),
  ]);
  for (const id of ids) {
    const known = states.get(id);
    const fresh = observations.get(id);
    const ruleId = (known?.ruleId ?? fresh?.ruleId) as WindowedRuleId;
    const rule = windowRuleFor(config, ruleId, known?.labels ?? fresh?.labels ?? {});
    if (!rule.enabled) continue; // switched off for this group by an override
    let state = addObservations(
      known ?? emptyWindow(id, ruleId, fresh?.labels ?? {}),
      fresh?.obs ?? [],
      now,
      rule,
    );
    const evaluation = evaluateWindow(state, rule);
    const step = stepWindow(state, evaluation, rule, now, config.grouping.repeatIntervalMinutes);
    state = step.state;
    if (step.notice) {
      const sent = await sendWindowNotice(deps, state, step.notice, rule, evaluation, expiresAtSec, summary);
      if (sent) state = afterWindowNotice(state, now);
      // A resolution that could not go out yet keeps the window firing, so it is retried.
      else if (step.notice === 'resolved') state = { ...state, firing: true };
    }
    await store.saveWindow(state, expiresAtSec);
    logger.debug('Windowed rule evaluated', {
      window: id,
      rule: ruleId,
      ...evaluation,
      firing: state.firing,
    });
  }
}

async function sendWindowNotice(
  deps: PollDeps,
  state: WindowState,
  notice: WindowNotice,
  rule: WindowRule,
  evaluation: WindowEvaluation,
  expiresAtSec: number,
  summary: PollSummary,
): Promise<boolean> {
  const { store, notifier, logger, config } = deps;
  const now = deps.now();
  const probe = {
    ruleId: state.ruleId,
    severity: rule.severity,
    call: {
      trunkDomain: state.labels.trunk_domain ?? null,
      fromCountry: state.labels.from_country ?? null,
      toCountry: state.labels.to_country ?? null,
      direction: (state.labels.direction as Call['direction'] | undefined) ?? null,
    },
  } as unknown as Finding;
  const silence = activeSilenceFor(probe, now, config.silences);
  if (silence) {
    logger.info('Windowed notice held back by a silence', { window: state.id, notice, silence: silence.id });
    return false;
  }
  const key = `zentrunk-alerts:window:${state.id}#${state.episode}#${state.notices + 1}`;
  const nowMs = now.getTime();
  const claim = await store.claimAlert(key, {
    nowMs,
    inProgressUntilMs: nowMs + Math.max(deps.remainingTimeMs(), 1000),
    expiresAtSec,
  });
  if (claim === 'in-progress') return false;
  if (claim === 'already-sent') return true;
  const message = forChannel(config, renderWindowAlert(state, notice, evaluation, rule, config, { now }));
  try {
    const { messageId } = await notifier.publish(message);
    await store.completeAlert(key, { nowMs: deps.now().getTime(), messageId, expiresAtSec });
    logger.info('Windowed notice published', { window: state.id, rule: state.ruleId, notice, messageId });
  } catch (error) {
    logger.error('Publishing a windowed notice failed; it will be retried next run', {
      window: state.id,
      error: (error as Error).message,
    });
    await store.releaseAlert(key).catch(() => {});
    summary.publishFailures += 1;
    return false;
  }
  summary.alertsPublished += 1;
  increment(summary.alertsPublishedByRule, state.ruleId);
  summary.windowNotices += 1;
  increment(summary.windowNoticesByKind, notice);
  return true;
}

/** Claims a finding for its group: it is counted there, and completed once the group is saved. */
async function claimForGroup(
  deps: PollDeps,
  finding: Finding,
  expiresAtSec: number,
  grouped: Array<{ finding: Finding; dedupKey: string }>,
): Promise<NotifyResult> {
  const result = await claimForSummary(deps, finding, expiresAtSec, grouped);
  return result === 'claimed-for-summary' ? 'claimed-for-group' : result;
}

/**
 * Folds this run's claimed findings into their groups, then walks every live group through
 * its lifecycle (first notice, update, reminder, resolution). Each notice is claimed under
 * its own key (group, incident, sequence number) before it is published, so a run retried
 * after a crash neither repeats nor skips it. Groups are saved before their findings' claims
 * are completed: a crash in between can count a call twice, never lose it.
 */
async function updateGroups(
  deps: PollDeps,
  grouped: Array<{ finding: Finding; dedupKey: string }>,
  options: { expiresAtSec: number; summary: PollSummary },
): Promise<void> {
  const { store, notifier, logger, config } = deps;
  const { summary, expiresAtSec } = options;
  const grouping = config.grouping;
  const now = deps.now();
  const groups = new Map((await store.listGroups()).map((g) => [g.id, g]));
  const changed = new Set<string>();

  const byGroup = new Map<string, { labels: Record<string, string>; findings: Finding[]; keys: string[] }>();
  for (const { finding, dedupKey } of grouped) {
    const labels = groupLabels(finding, grouping.groupBy);
    const id = groupIdOf(finding.ruleId, labels);
    const entry = byGroup.get(id) ?? { labels, findings: [], keys: [] };
    entry.findings.push(finding);
    entry.keys.push(dedupKey);
    byGroup.set(id, entry);
  }
  for (const [id, entry] of byGroup) {
    groups.set(
      id,
      addFindings(groups.get(id) ?? null, entry.findings, entry.labels, now, grouping.sampleSize),
    );
    changed.add(id);
  }

  for (const [id, group] of groups) {
    let state = group;
    if (isOverUnannounced(state, now, grouping)) {
      groups.set(id, { ...state, status: 'resolved' });
      changed.add(id);
      continue;
    }
    const notice = nextNotice(state, now, grouping);
    if (!notice) continue;
    // A silence holds the notice back; the lifecycle resumes once it ends (so a resolution is
    // only ever sent for an incident that was announced).
    const silence = activeSilenceFor(state.sample, now, config.silences);
    if (silence) {
      logger.info('Group notice held back by a silence', { group: id, notice, silence: silence.id });
      continue;
    }
    const noticeKey = `zentrunk-alerts:group:${id}#${state.episode}#${state.notices + 1}`;
    const nowMs = now.getTime();
    const claim = await store.claimAlert(noticeKey, {
      nowMs,
      inProgressUntilMs: nowMs + Math.max(deps.remainingTimeMs(), 1000),
      expiresAtSec,
    });
    if (claim === 'in-progress') continue;
    if (claim === 'claimed') {
      const message = forChannel(
        config,
        renderGroupAlert(state, notice, { deploymentName: config.notifications.deploymentName, now }),
      );
      let messageId: string;
      try {
        ({ messageId } = await notifier.publish(message));
      } catch (error) {
        logger.error('Publishing a group notice failed; it will be retried next run', {
          group: id,
          notice,
          error: (error as Error).message,
        });
        await store.releaseAlert(noticeKey).catch(() => {});
        summary.publishFailures += 1;
        continue;
      }
      await store.completeAlert(noticeKey, { nowMs: deps.now().getTime(), messageId, expiresAtSec });
      summary.alertsPublished += 1;
      increment(summary.alertsPublishedByRule, state.ruleId);
      summary.groupNotices += 1;
      increment(summary.groupNoticesByKind, notice);
      logger.info('Group notice published', { group: id, notice, count: state.count, messageId });
    }
    state = afterNotice(state, notice, now);
    groups.set(id, state);
    changed.add(id);
  }

  for (const id of changed) {
    const group = groups.get(id);
    if (group) await store.saveGroup(group, expiresAtSec);
  }
  const nowMs = deps.now().getTime();
  for (const [id, entry] of byGroup) {
    for (const key of entry.keys) {
      await store.completeAlert(key, { nowMs, messageId: `group:${id}`, expiresAtSec });
    }
  }
}

/** Claims a finding past the alert budget; it is sent (and completed) with the summary. */
async function claimForSummary(
  deps: PollDeps,
  finding: Finding,
  expiresAtSec: number,
  overflow: Array<{ finding: Finding; dedupKey: string }>,
): Promise<NotifyResult> {
  const dedupKey = alertDedupKey(finding);
  const nowMs = deps.now().getTime();
  const claim = await deps.store.claimAlert(dedupKey, {
    nowMs,
    inProgressUntilMs: nowMs + Math.max(deps.remainingTimeMs(), 1000),
    expiresAtSec,
  });
  if (claim === 'already-sent') return 'duplicate';
  if (claim === 'in-progress') return 'in-progress';
  overflow.push({ finding, dedupKey });
  return 'claimed-for-summary';
}

/** One message for every claimed finding past the budget; all complete or all are released. */
async function publishCatchUpSummary(
  deps: PollDeps,
  overflow: Array<{ finding: Finding; dedupKey: string }>,
  options: { evaluatedAt: string; expiresAtSec: number; summary: PollSummary; failedCalls: Set<string> },
): Promise<void> {
  const { store, notifier, logger, config } = deps;
  const { summary } = options;
  const message = forChannel(
    config,
    renderCatchUpSummary(
      overflow.map((o) => o.finding),
      {
        deploymentName: config.notifications.deploymentName,
        runId: deps.runId,
        evaluatedAt: options.evaluatedAt,
        alreadySent: summary.alertsPublished,
      },
    ),
  );
  let messageId: string;
  try {
    ({ messageId } = await notifier.publish(message));
  } catch (error) {
    logger.error('Publishing the catch-up summary failed; its findings will be retried next run', {
      findings: overflow.length,
      error: (error as Error).message,
    });
    await Promise.all(overflow.map((o) => store.releaseAlert(o.dedupKey).catch(() => {})));
    summary.publishFailures += overflow.length;
    for (const o of overflow) options.failedCalls.add(o.finding.call.callUuid);
    return;
  }
  const nowMs = deps.now().getTime();
  for (const o of overflow) {
    await store.completeAlert(o.dedupKey, { nowMs, messageId, expiresAtSec: options.expiresAtSec });
  }
  summary.findingsSummarized += overflow.length;
  summary.catchUpSummaries += 1;
  logger.warn('Findings past the alert budget went out as one catch-up summary', {
    findings: overflow.length,
    maxAlertsPerRun: config.notifications.maxAlertsPerRun,
    messageId,
  });
}

/**
 * Claim → publish → complete (the Powertools idempotency pattern). The claim's in-progress
 * expiry is this run's remaining time, so a claim left by a run that died can be taken over
 * by the next one. The only window for a duplicate is a crash after the notifier accepted
 * the message and before `completeAlert` was written: then exactly that one message repeats.
 */
async function notifyOnce(
  deps: PollDeps,
  finding: Finding,
  options: { evaluatedAt: string; insightsGaveUp: boolean; expiresAtSec: number },
): Promise<NotifyResult> {
  const { store, notifier, logger, config } = deps;
  const message = forChannel(
    deps.config,
    renderFindingAlert(finding, {
      deploymentName: config.notifications.deploymentName,
      maskPhoneNumbers: config.notifications.maskPhoneNumbers,
      evaluatedAt: options.evaluatedAt,
      insightsGaveUp: options.insightsGaveUp,
    }),
  );
  const nowMs = deps.now().getTime();
  const claim = await store.claimAlert(message.dedupKey, {
    nowMs,
    inProgressUntilMs: nowMs + Math.max(deps.remainingTimeMs(), 1000),
    expiresAtSec: options.expiresAtSec,
  });
  if (claim === 'already-sent') return 'duplicate';
  if (claim === 'in-progress') return 'in-progress';
  let messageId: string;
  try {
    ({ messageId } = await notifier.publish(message));
  } catch (error) {
    logger.error('Publishing an alert failed; it will be retried next run', {
      dedupKey: message.dedupKey,
      error: (error as Error).message,
    });
    await store.releaseAlert(message.dedupKey).catch(() => {
      // If the release fails too, the claim expires with this run's time and is taken over.
    });
    return 'failed';
  }
  await store.completeAlert(message.dedupKey, {
    nowMs: deps.now().getTime(),
    messageId,
    expiresAtSec: options.expiresAtSec,
  });
  logger.info('Alert published', {
    dedupKey: message.dedupKey,
    rule: finding.ruleId,
    severity: finding.severity,
    messageId,
  });
  return 'published';
}
