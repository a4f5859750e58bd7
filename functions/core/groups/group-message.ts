import { utc } from '../time';
import { asciiSubject } from '../alert-message';
import type { AlertMessage } from '../ports';
import { cutText, labelAttributes, mapStrings, plainLine } from '../untrusted-text';
import type { GroupState } from './group';
import type { GroupNotice } from './lifecycle';

const WORDS: Record<GroupNotice, string> = {
  firing: 'FIRING',
  update: 'GROWING',
  reminder: 'STILL FIRING',
  resolved: 'RESOLVED',
};

/**
 * One message about a whole incident. Every notice of a group carries the same alert key
 * (`zentrunk-alerts:group:<id>`), so a pager deduplicates them into one incident and a chat
 * tool threads them; the resolution closes it.
 */
export function renderGroupAlert(
  raw: GroupState,
  notice: GroupNotice,
  options: {
    deploymentName: string;
    now: Date;
    /** Share of this run's calls given Insights (below 1 when the Plivo budget forced sampling). */
    insightsCoverage?: number;
  },
): AlertMessage {
  // Labels and the sample finding come from CDRs: one plain line each, in every form.
  const state = mapStrings(raw, plainLine);
  const dedupKey = `zentrunk-alerts:group:${raw.id}`;
  const where = Object.entries(state.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const severity = notice === 'resolved' ? 'RESOLVED' : state.severity.toUpperCase();
  const calls = `${state.count} call${state.count === 1 ? '' : 's'}`;
  const subject = asciiSubject(
    `[${options.deploymentName} ${severity}] ${state.ruleId}: ${calls}${notice === 'resolved' ? ' (over)' : ''} | ${Object.values(state.labels).join(' | ')}`,
  );
  const threshold = state.sample.threshold;
  const worst = state.worst
    ? `${state.worst.value}${state.worst.unit ? ` ${state.worst.unit}` : ''} (call ${state.worst.callUuid})`
    : 'n/a';
  const overview = [
    `${WORDS[notice]}: ${state.ruleId} on ${where}`,
    '',
    notice === 'resolved'
      ? `No new call has tripped this rule here since ${utc(state.lastCallAt ?? state.lastSeenAt)}; the incident is over.`
      : `${calls} tripped ${state.ruleId} (${state.sample.measured.metric} ${threshold.comparison} ${threshold.value}${threshold.unit ? ` ${threshold.unit}` : ''}) since ${utc(state.firstCallAt ?? state.firstSeenAt)}.`,
    '',
    `Where:       ${where}`,
    `Calls:       ${state.count}, ended ${utc(state.firstCallAt ?? state.firstSeenAt)} to ${utc(state.lastCallAt ?? state.lastSeenAt)}`,
    `Worst:       ${worst}`,
    `Example:     ${state.sample.headline} (call ${state.sample.call.callUuid})`,
    ...coverageLines(options.insightsCoverage),
    `Recent calls:`,
    ...state.samples.map((uuid) => `  ${uuid}`),
  ].join('\n');
  const nextSteps = notice === 'resolved' ? [] : state.sample.nextSteps;
  const text = [
    overview,
    '',
    ...(nextSteps.length === 0 ? [] : ['What to check next:', ...nextSteps.map((step) => `  - ${step}`), '']),
    `Alert key: ${dedupKey} (incident ${state.episode}, notice ${state.notices + 1}). Updates and the resolution carry the same key.`,
  ].join('\n');
  const shortText = cutText(
    `${severity} ${state.ruleId}: ${calls} on ${Object.values(state.labels).join('/')}${
      notice === 'resolved' ? ' - over' : ''
    }`,
    160,
  );
  const attributes: Record<string, string> = {
    severity: state.severity,
    rule: state.ruleId,
    state: notice === 'resolved' ? 'resolved' : 'firing',
    ...labelAttributes(state.labels),
  };
  return {
    dedupKey,
    subject,
    text,
    overview,
    nextSteps,
    shortText,
    json: {
      version: 1,
      kind: 'group',
      notice,
      state: attributes.state,
      dedupKey,
      rule: state.ruleId,
      severity: state.severity,
      labels: state.labels,
      count: state.count,
      firstSeenAt: state.firstSeenAt,
      lastSeenAt: state.lastSeenAt,
      firstCallAt: state.firstCallAt ?? null,
      lastCallAt: state.lastCallAt ?? null,
      worst: state.worst,
      threshold,
      sampleCalls: state.samples,
      incident: state.episode,
      insightsCoverage: options.insightsCoverage ?? 1,
    },
    attributes,
  };
}

/** Said whenever not every call got Insights: a count of Insights-based findings is then a sample. */
export function coverageLines(coverage: number | undefined): string[] {
  if (coverage === undefined || coverage >= 1) return [];
  return [
    `Insights:    fetched for ${Math.round(coverage * 1000) / 10} % of this run's calls: calls arrived faster than the Plivo budget allows, so calls of incidents in progress came first, then a random sample. CDR rules (hangups, STIR, answer ratio) saw every call; Insights-based counts are from the sample.`,
  ];
}
