import { asciiSubject } from '../alert-message';
import type { AlertConfig } from '../config/schema';
import type { AlertMessage } from '../ports';
import { cutText, labelAttributes, mapStrings, plainLine } from '../untrusted-text';
import { FIRES_BELOW, WINDOW_METRIC } from './observe';
import { WINDOWED_RULES } from './registry';
import type { WindowEvaluation, WindowNotice, WindowState } from './window';
import type { WindowRule } from './window-rule';

/** What on-call should check, per windowed rule (from its descriptor). */
const ADVICE = Object.fromEntries(WINDOWED_RULES.map((rule) => [rule.id, rule.advice])) as Record<
  WindowState['ruleId'],
  string[]
>;

function show(ruleId: WindowState['ruleId'], value: number | null, aggregate: string): string {
  if (value === null) return 'not enough calls';
  if (aggregate === 'share') return `${(value * 100).toFixed(1)} % of calls`;
  if (aggregate === 'count') return `${value} calls`;
  const { unit } = WINDOW_METRIC[ruleId];
  return `${aggregate} ${Number(value.toFixed(2))}${unit ? ` ${unit}` : ''}`;
}

/** Windowed rules that read Insights (the others read the CDR, which every call has). */
const INSIGHTS_RULES: ReadonlySet<string> = new Set(
  WINDOWED_RULES.filter((rule) => rule.reads === 'insights').map((rule) => rule.id),
);

/** A windowed rule's notice: one key per rule and group, firing then resolved. */
export function renderWindowAlert(
  raw: WindowState,
  notice: WindowNotice,
  evaluation: WindowEvaluation,
  rule: WindowRule,
  config: AlertConfig,
  options: { now: Date; insightsCoverage?: number },
): AlertMessage {
  // Labels come from CDRs (trunk, countries, carrier, caller-ID prefix): one plain line each.
  const state = mapStrings(raw, plainLine);
  const dedupKey = `zentrunk-alerts:window:${raw.id}`;
  const where = Object.entries(state.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const below = FIRES_BELOW.has(state.ruleId);
  const severity = notice === 'resolved' ? 'RESOLVED' : rule.severity.toUpperCase();
  const measured = show(state.ruleId, evaluation.value, rule.aggregate);
  const threshold = show(state.ruleId, evaluation.threshold, rule.aggregate);
  const { metric } = WINDOW_METRIC[state.ruleId];
  const subject = asciiSubject(
    `[${config.notifications.deploymentName} ${severity}] ${state.ruleId}: ${measured} ${notice === 'resolved' ? '(back to normal)' : `${below ? '<=' : '>='} ${threshold}`} | ${Object.values(state.labels).join(' | ')}`,
  );
  const overview = [
    `${notice === 'resolved' ? 'RESOLVED' : notice === 'reminder' ? 'STILL FIRING' : 'FIRING'}: ${state.ruleId} on ${where}`,
    '',
    `What:      ${metric}, ${rule.aggregate} over the last ${rule.windowMinutes} minutes: ${measured} (${evaluation.calls} calls, ${evaluation.hits} hits)`,
    `Threshold: ${below ? 'at or below' : 'at or above'} ${threshold}${rule.baseline.enabled && state.baseline !== null ? `, baseline ${show(state.ruleId, state.baseline, rule.aggregate)} x${rule.baseline.factor}` : ''}; clears past ${show(state.ruleId, rule.recoveryThreshold, rule.aggregate)}${rule.override ? ' (override for this group)' : ''}`,
    `Since:     ${state.firingSince ?? options.now.toISOString()}${state.peak !== null ? `, worst ${show(state.ruleId, state.peak, rule.aggregate)}` : ''}`,
    ...(INSIGHTS_RULES.has(state.ruleId) &&
    options.insightsCoverage !== undefined &&
    options.insightsCoverage < 1
      ? [
          `Sample:    computed on the ${evaluation.calls} calls with Insights; this run fetched Insights for ${Math.round(options.insightsCoverage * 1000) / 10} % of its calls (over the Plivo budget: calls of incidents first, then a random sample)`,
        ]
      : []),
  ].join('\n');
  const nextSteps = notice === 'resolved' ? [] : ADVICE[state.ruleId];
  const text = [
    overview,
    '',
    ...(nextSteps.length === 0 ? [] : ['What to check next:', ...nextSteps.map((a) => `  - ${a}`), '']),
    `Alert key: ${dedupKey} (incident ${state.episode}). The resolution carries the same key.`,
  ].join('\n');
  const state_ = notice === 'resolved' ? 'resolved' : 'firing';
  const attributes: Record<string, string> = {
    severity: rule.severity,
    rule: state.ruleId,
    state: state_,
    ...labelAttributes(state.labels),
  };
  return {
    dedupKey,
    subject,
    text,
    overview,
    nextSteps,
    shortText: cutText(
      `${severity} ${state.ruleId}: ${measured} on ${Object.values(state.labels).join('/')}`,
      160,
    ),
    json: {
      version: 1,
      kind: 'windowed',
      notice,
      state: state_,
      dedupKey,
      rule: state.ruleId,
      severity: rule.severity,
      labels: state.labels,
      value: evaluation.value,
      threshold: evaluation.threshold,
      aggregate: rule.aggregate,
      calls: evaluation.calls,
      hits: evaluation.hits,
      baseline: state.baseline,
      firingSince: state.firingSince,
      incident: state.episode,
      insightsCoverage: INSIGHTS_RULES.has(state.ruleId) ? (options.insightsCoverage ?? 1) : 1,
    },
    attributes,
  };
}
