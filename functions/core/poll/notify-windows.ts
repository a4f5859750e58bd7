import type { Call, EvaluatedCall } from '../call';
import { WINDOWED_RULE_IDS, type WindowedRuleId } from '../config/schema';
import { activeSilenceFor, type SilenceSubject } from '../silences';
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
import { claimForRun, forChannel, increment, type PollDeps, type PollSummary } from './run-context';

/**
 * Feeds finished calls into the enabled windowed rules, evaluates every live window (also those
 * without new calls, so a window that went quiet can clear), and sends each firing and
 * resolution once, claimed under (window, incident, sequence) like group notices. A notice a
 * silence holds back is retried on later runs; a held resolution keeps the window firing.
 */
export async function updateWindows(
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
    // A window with no calls left that is not firing has nothing new to keep: no write for it.
    const idle = known !== undefined && known.buckets.length === 0 && state.buckets.length === 0;
    if (!(idle && !state.firing && !known.firing)) await store.saveWindow(state, expiresAtSec);
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
  const subject: SilenceSubject = {
    ruleId: state.ruleId,
    severity: rule.severity,
    call: {
      trunkDomain: state.labels.trunk_domain ?? null,
      fromCountry: state.labels.from_country ?? null,
      toCountry: state.labels.to_country ?? null,
      direction: (state.labels.direction as Call['direction'] | undefined) ?? null,
    },
  };
  const silence = activeSilenceFor(subject, now, config.silences);
  if (silence) {
    logger.info('Windowed notice held back by a silence', { window: state.id, notice, silence: silence.id });
    return false;
  }
  const key = `zentrunk-alerts:window:${state.id}#${state.episode}#${state.notices + 1}`;
  const claim = await claimForRun(deps, key, expiresAtSec);
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
