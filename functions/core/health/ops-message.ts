import { asciiSubject } from '../alert-message';
import type { AlertMessage } from '../ports';
import { cutText, mapStrings, plainLine } from '../untrusted-text';
import type { FailureKind, HealthState } from './run-health';

const ADVICE: Record<FailureKind, string[]> = {
  'plivo-credentials-rejected': [
    "Plivo rejected the Auth ID / Auth Token. Check them in the Plivo console (API Keys) and update the account's secret (stack output PlivoCredentialsSecretArn, or the account's entry in PlivoAccountSecretArns).",
    'No calls are being checked until this is fixed.',
  ],
  'plivo-credentials-missing': [
    'The poller has no usable Plivo credentials for this account: its secret is unreadable, still the placeholder, or not {"authId", "authToken"} (the reason says which). Plivo has not been asked.',
    'Set them: aws secretsmanager put-secret-value --secret-id <stack output PlivoCredentialsSecretArn, or the account\'s entry in PlivoAccountSecretArns> --secret-string \'{"authId":"...","authToken":"..."}\'. The next run reads them; no redeploy.',
    'No calls are being checked until this is fixed.',
  ],
  'plivo-unavailable': [
    'Plivo kept failing after retries (HTTP 5xx, 429 or timeouts). Check status.plivo.com.',
    'Nothing is lost: the cursor has not moved, and the poller catches up when Plivo answers again.',
  ],
  'config-invalid': [
    'The poller cannot start: fix the configuration named in the reason and redeploy (cdk deploy validates it first).',
  ],
  'invocation-invalid': [
    'A run was started for a Plivo account the deployed config does not watch, or with an event the poller cannot read (the reason says which); it polled nothing.',
    'From a schedule rule: the deployed rules and config disagree. Run `cdk deploy` from the config in use, which rebuilds one rule per account. From a manual invocation: send {} or {"plivoAccount": "<a watched account>"}.',
  ],
  'state-store-failing': [
    'The DynamoDB state table is failing (throttling, permissions or a missing table). Check the table and the function role.',
  ],
  'alerts-not-publishing': [
    'Alerts are being found but SNS refuses them. Check the topic, its KMS key policy and the function role.',
    'The alerts are kept and retried every run until they go out; one that SNS refuses for good (InvalidParameter) is set aside as a dead letter after notifications.deadLetterAfterRejections runs, and named in its own message.',
  ],
  'falling-behind': [
    'The poller is working off a backlog slower than calls arrive. Check Plivo throttling (PlivoThrottled metric) and the function duration.',
    'Consider raising plivo.maxRequestsPer5s or the function timeout.',
  ],
  'unexpected-error': ['Read the poller logs for this run (CloudWatch Logs of the poller function).'],
};

/** The operations notification for a failing streak or its recovery. */
export function renderHealthMessage(
  kind: 'failing' | 'recovered',
  state: HealthState,
  previous: HealthState | null,
  options: { deploymentName: string; now: Date },
): AlertMessage {
  // The reason is an error message, which may quote what Plivo or AWS answered: one plain line.
  const about = mapStrings(kind === 'failing' ? state : (previous ?? state), plainLine);
  const failure = about.kind ?? 'unexpected-error';
  const dedupKey = `zentrunk-alerts:operations:${options.deploymentName}`;
  const subject =
    kind === 'failing'
      ? asciiSubject(`[${options.deploymentName} CRITICAL] alerter not working: ${failure}`)
      : asciiSubject(`[${options.deploymentName} RESOLVED] alerter working again (was ${failure})`);
  const text =
    kind === 'failing'
      ? [
          `CRITICAL: the Zentrunk alerter cannot do its job (${failure}).`,
          '',
          `Reason:    ${about.reason ?? 'unknown'}`,
          `Since:     ${about.since ?? options.now.toISOString()} (${about.consecutiveFailures} failed run(s) in a row)`,
          '',
          'What to do:',
          ...ADVICE[failure].map((line) => `  - ${line}`),
          '',
          `Alert key: ${dedupKey}. A recovery message follows when runs succeed again.`,
        ].join('\n')
      : [
          `RESOLVED: the Zentrunk alerter is working again (it was failing: ${failure}).`,
          '',
          `Was failing since ${about.since ?? 'unknown'}: ${about.reason ?? 'unknown'}`,
          `Recovered at ${options.now.toISOString()}. Missed calls are checked as the poller catches up.`,
          '',
          `Alert key: ${dedupKey}`,
        ].join('\n');
  return {
    dedupKey,
    subject,
    text,
    nextSteps: kind === 'failing' ? ADVICE[failure] : [],
    shortText: cutText(
      kind === 'failing'
        ? `CRITICAL zentrunk alerter not working: ${failure}. ${about.reason ?? ''}`
        : `RESOLVED zentrunk alerter working again (was ${failure})`,
      160,
    ),
    json: {
      version: 1,
      kind: 'operations',
      state: kind === 'failing' ? 'firing' : 'resolved',
      dedupKey,
      failure,
      reason: about.reason,
      since: about.since,
      consecutiveFailures: about.consecutiveFailures,
      at: options.now.toISOString(),
    },
    attributes: {
      severity: 'critical',
      rule: 'poller-health',
      state: kind === 'failing' ? 'firing' : 'resolved',
    },
  };
}
