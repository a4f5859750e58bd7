import { asciiSubject } from './alert-message';
import type { Severity } from './config/schema';
import type { Finding } from './finding';
import type { AlertMessage } from './ports';
import { cutText, mapStrings, plainLine } from './untrusted-text';

const SEVERITY_ORDER: Severity[] = ['critical', 'warning', 'info'];
const SAMPLE_LINES = 20;

function countBy(findings: Finding[], key: (f: Finding) => string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(key(f), (counts.get(key(f)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * One message standing in for the findings past a run's alert budget (a backlog after an
 * outage, or a large incident): counts by rule and trunk and a sample of calls, so on-call gets
 * one page instead of hundreds. Each finding in it is recorded as sent and never re-alerted.
 */
export function renderCatchUpSummary(
  raw: Finding[],
  options: { deploymentName: string; runId: string; evaluatedAt: string; alreadySent: number },
): AlertMessage {
  // CDR values (trunk, countries, headlines) are untrusted: one plain line each, everywhere.
  const findings = mapStrings(raw, plainLine);
  const worst = SEVERITY_ORDER.find((s) => findings.some((f) => f.severity === s)) ?? 'info';
  const byRule = countBy(findings, (f) => f.ruleId);
  const byTrunk = countBy(findings, (f) => f.call.trunkDomain ?? 'unknown trunk');
  const dedupKey = `zentrunk-alerts:catch-up#${options.runId}`;
  const ruleList = byRule.map(([rule, n]) => `${rule} ${n}`).join(', ');
  const subject = asciiSubject(
    `[${options.deploymentName} ${worst.toUpperCase()}] ${findings.length} more findings: ${ruleList}`,
  );
  const samples = findings.slice(0, SAMPLE_LINES).map((f) => {
    const route = `${f.call.fromCountry ?? '??'}->${f.call.toCountry ?? '??'}`;
    return `  ${f.severity.padEnd(8)} ${f.ruleId.padEnd(20)} ${f.call.callUuid}  ${f.call.trunkDomain ?? '-'}  ${route}  ${f.headline}`;
  });
  const nextSteps = [
    'Many findings at once usually mean one cause: look for a trunk, carrier or destination they share.',
    'If the poller was catching up after an outage, these calls may be hours old; check whether the problem persists.',
  ];
  const overview = [
    `${findings.length} more findings in this run, beyond the ${options.alreadySent} alert(s) sent one by one.`,
    'They are summarised here instead of paged one by one (notifications.alertBudget);',
    'each is recorded as notified and will not be alerted again.',
    '',
    'By rule:',
    ...byRule.map(([rule, n]) => `  ${rule}: ${n}`),
    '',
    'By trunk:',
    ...byTrunk.map(([trunk, n]) => `  ${trunk}: ${n}`),
    '',
    `Calls (first ${Math.min(SAMPLE_LINES, findings.length)} of ${findings.length}):`,
    ...samples,
  ].join('\n');
  const text = [
    overview,
    '',
    'What to do next:',
    ...nextSteps.map((step) => `  - ${step}`),
    '',
    `Alert key: ${dedupKey} (evaluated ${options.evaluatedAt})`,
  ].join('\n');
  return {
    dedupKey,
    subject,
    text,
    overview,
    nextSteps,
    shortText: cutText(
      `${worst.toUpperCase()} zentrunk: ${findings.length} more findings (${ruleList})`,
      160,
    ),
    json: {
      version: 1,
      kind: 'catch-up-summary',
      state: 'firing',
      dedupKey,
      severity: worst,
      findings: findings.length,
      byRule: Object.fromEntries(byRule),
      byTrunk: Object.fromEntries(byTrunk),
      // Bounded so the message stays far below SNS's 256 KB whatever the backlog.
      calls: findings
        .slice(0, 200)
        .map((f) => ({ rule: f.ruleId, callUuid: f.call.callUuid, severity: f.severity })),
      callsTruncated: findings.length > 200,
      evaluatedAt: options.evaluatedAt,
    },
    attributes: { severity: worst, rule: 'catch-up-summary', state: 'firing' },
  };
}
