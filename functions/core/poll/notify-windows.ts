import type { EvaluatedCall } from '../call';
import { WINDOWED_RULE_IDS, type WindowedRuleId } from '../config/schema';
import type { SilenceSubject } from '../silences';
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
import { runIntervalMs } from '../schedule';
import { renderWindowAlert } from '../windowed/window-message';
import { type WindowRule, windowRuleFor } from '../windowed/window-rule';
import { insightsCoverage } from './run-context';
import { isSettled, type SendContext, sendNotice } from './send-notice';

/**
 * Feeds finished calls into the enabled windowed rules, evaluates every live window (also those
 * without new calls, so a window that went quiet can clear), and sends each firing and
 * resolution once, claimed under (window, incident, sequence) like group notices. A notice a
 * silence holds back is retried on later runs; a held resolution keeps the window firing.
 */
export async function updateWindows(ctx: SendContext, finished: readonly EvaluatedCall[]): Promise<void> {
  const { deps, expiresAtSec } = ctx;
  const { store, logger, config } = deps;
  const enabled = WINDOWED_RULE_IDS.filter((id) => config.windowedRules[id].enabled);
  if (enabled.length === 0) return;
  const now = deps.now();
  const intervalMs = runIntervalMs(deps.scheduleIntervalMs);
  const states = new Map((await store.listWindows()).map((w) => [w.id, w]));
  const observations = collectObservations(enabled, finished, config);
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
    const step = stepWindow(state, evaluation, rule, {
      now,
      intervalMs,
      repeatIntervalMinutes: config.grouping.repeatIntervalMinutes,
    });
    state = step.state;
    if (step.notice) {
      const sent = await sendWindowNotice(ctx, state, step.notice, rule, evaluation);
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

/**
 * Adds finished calls to the windows of the enabled windowed rules and saves the windows that
 * got calls, without judging them: a run works in slices and saves each, so a call is in its
 * windows before it is recorded as evaluated; the run judges the windows once, at its end
 * (updateWindows): one evaluation per run, counting the run's schedule interval.
 */
export async function observeWindows(ctx: SendContext, finished: readonly EvaluatedCall[]): Promise<void> {
  const { deps, expiresAtSec } = ctx;
  const { store, config } = deps;
  const enabled = WINDOWED_RULE_IDS.filter((id) => config.windowedRules[id].enabled);
  if (enabled.length === 0 || finished.length === 0) return;
  const observations = collectObservations(enabled, finished, config);
  if (observations.size === 0) return;
  const now = deps.now();
  const states = new Map((await store.listWindows()).map((w) => [w.id, w]));
  for (const [id, fresh] of observations) {
    const known = states.get(id);
    const rule = windowRuleFor(config, fresh.ruleId, known?.labels ?? fresh.labels);
    if (!rule.enabled) continue;
    const state = addObservations(known ?? emptyWindow(id, fresh.ruleId, fresh.labels), fresh.obs, now, rule);
    await store.saveWindow(state, expiresAtSec);
  }
}

type Observed = Map<string, { ruleId: WindowedRuleId; labels: Record<string, string>; obs: Observation[] }>;

function collectObservations(
  enabled: readonly WindowedRuleId[],
  finished: readonly EvaluatedCall[],
  config: SendContext['deps']['config'],
): Observed {
  const observations: Observed = new Map();
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
  return observations;
}

/** True once the notice is settled (sent, sent before, or set aside). */
async function sendWindowNotice(
  ctx: SendContext,
  state: WindowState,
  notice: WindowNotice,
  rule: WindowRule,
  evaluation: WindowEvaluation,
): Promise<boolean> {
  const { config } = ctx.deps;
  const now = ctx.deps.now();
  const subject: SilenceSubject = { ruleId: state.ruleId, severity: rule.severity, labels: state.labels };
  const result = await sendNotice(ctx, {
    key: `zentrunk-alerts:window:${state.id}#${state.episode}#${state.notices + 1}`,
    kind: 'window',
    stage: notice,
    ruleId: state.ruleId,
    silenceSubject: subject,
    whenSilenced: 'hold',
    render: () =>
      renderWindowAlert(state, notice, evaluation, rule, config, {
        now,
        insightsCoverage: insightsCoverage(ctx.summary),
      }),
    logFields: { window: state.id },
  });
  return isSettled(result);
}
