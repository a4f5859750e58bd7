import { asciiSubject } from '../alert-message';
import type { AlertConfig } from '../config/schema';
import type { AlertMessage } from '../ports';
import { cutText, labelAttributes, mapStrings, plainLine } from '../untrusted-text';
import type { Judgement } from './define-traffic-rule';
import type { TrafficNotice } from './incident';
import { trafficRuleById } from './registry';
import type { TrafficRuleId } from './traffic-config';
import { ACCOUNT_KEY, type TrafficIncident } from './traffic-state';

/** A traffic rule's notice: one dedup key per rule and trunk (or the account), firing, update, resolved. */
export function renderTrafficAlert(
  input: {
    ruleId: TrafficRuleId;
    key: string;
    labels: Record<string, string>;
    incident: TrafficIncident;
    notice: TrafficNotice;
    judgement: Judgement;
    severity: string;
  },
  config: AlertConfig,
  now: Date,
): AlertMessage {
  const { ruleId, incident, notice } = input;
  // Trunk domains and countries come from CDRs: one plain line each.
  const labels = mapStrings({ ...input.labels, ...input.judgement.labels }, plainLine);
  const judgement = mapStrings(input.judgement, plainLine);
  const where = input.key === ACCOUNT_KEY ? 'the whole account' : `trunk ${labels.trunk_domain}`;
  const dedupKey = `zentrunk-alerts:traffic:${ruleId}:${plainLine(input.key)}`;
  const rule = trafficRuleById(ruleId);
  const severity = notice === 'resolved' ? 'RESOLVED' : input.severity.toUpperCase();
  const trunk = input.key === ACCOUNT_KEY ? 'account' : (labels.trunk_domain ?? input.key);
  const stage =
    notice === 'update'
      ? ' (worse)'
      : notice === 'resolved'
        ? judgement.detail.forgotten === true
          ? ''
          : ' (back to normal)'
        : '';
  // The trunk before the headline: a long subject is cut at its end, and the trunk must survive.
  const subject = asciiSubject(
    `[${config.notifications.deploymentName} ${severity}] ${ruleId} | ${trunk} | ${judgement.headline}${stage}`,
  );
  const overview = [
    `${notice === 'resolved' ? 'RESOLVED' : notice === 'update' ? 'WORSE' : 'FIRING'}: ${ruleId} on ${where}`,
    '',
    ...judgement.lines,
    `Since:     ${incident.since ?? now.toISOString()}`,
  ].join('\n');
  const nextSteps = notice === 'resolved' ? [] : rule.advice;
  const text = [
    overview,
    '',
    ...(nextSteps.length === 0 ? [] : ['What to do:', ...nextSteps.map((a) => `  - ${a}`), '']),
    `Alert key: ${dedupKey} (incident ${incident.episode}). The update and the resolution carry the same key.`,
  ].join('\n');
  const state = notice === 'resolved' ? 'resolved' : 'firing';
  return {
    dedupKey,
    subject,
    text,
    overview,
    nextSteps,
    shortText: cutText(
      `${severity}${notice === 'update' ? ' WORSE' : ''} ${ruleId} ${trunk}: ${judgement.headline}`,
      160,
    ),
    json: {
      version: 1,
      kind: 'traffic',
      notice,
      state,
      dedupKey,
      rule: ruleId,
      severity: input.severity,
      labels,
      value: judgement.value,
      ...judgement.detail,
      firingSince: incident.since,
      incident: incident.episode,
    },
    attributes: { severity: input.severity, rule: ruleId, state, ...labelAttributes(labels) },
  };
}
