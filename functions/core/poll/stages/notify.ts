import { alertDedupKey, renderFindingAlert } from '../../alert-message';
import { renderCatchUpSummary } from '../../catch-up-summary';
import type { AlertConfig } from '../../config/schema';
import type { Finding } from '../../finding';
import type { Logger } from '../../ports';
import { activeSilenceFor } from '../../silences';
import { updateGroups } from '../notify-groups';
import type { PollSummary } from '../run-context';
import {
  claimWithoutSending,
  type Notice,
  type SendContext,
  type SendResult,
  sendNotice,
} from '../send-notice';
import type { BatchFinding } from './evaluate';

/** Findings one catch-up summary carries (~65 bytes of key each, stored with the summary). */
export const MAX_FINDINGS_PER_SUMMARY = 500;

export interface NotifyContext {
  config: AlertConfig;
  summary: PollSummary;
  logger: Logger;
  runId: string;
  /** Only when the run must stop now: findings already computed are sent even past its plan. */
  mustStop: () => boolean;
  /** Alerts this run may send one by one (see alert-budget.ts); beyond: a catch-up summary. */
  alertsAllowed: number;
  send: SendContext;
}

/** What the run's notices share across its batches. */
export interface NotifyPlan {
  /** Findings a summary still in the outbox stands for: retried as that summary. */
  ownedByOutbox: ReadonlySet<string>;
  /** The instant the run's alerts name as evaluated. */
  evaluatedAt: string;
}

type Claimed = Array<{ finding: Finding; dedupKey: string }>;

/**
 * Sends each finding of the batch once. A call counts as done only when every one of its
 * findings was published (or had been before). Past the run's alert budget, findings are claimed
 * and folded into one catch-up summary instead of paging one by one; with grouping on, they are
 * counted into their alert groups. Returns the calls whose notices are still owed.
 */
export async function notifyFindings(
  ctx: NotifyContext,
  plan: NotifyPlan,
  findings: readonly BatchFinding[],
): Promise<Set<string>> {
  const { config, summary, send } = ctx;
  const failedCalls = new Set<string>();
  const overflow: Claimed = [];
  const grouped: Claimed = [];
  for (const { finding, insightsGaveUp } of findings) {
    if (ctx.mustStop()) {
      failedCalls.add(finding.call.callUuid);
      continue;
    }
    // Silenced findings are settled before grouping and the budget: they are never sent,
    // so they neither count into a group, use up the alert budget nor land in a summary.
    if (plan.ownedByOutbox.has(alertDedupKey(finding))) {
      // Carried by a summary still in the outbox: it is retried as that summary.
      summary.alertsInProgressElsewhere += 1;
      failedCalls.add(finding.call.callUuid);
      continue;
    }
    const silenced = activeSilenceFor(finding, send.silencedAt, config.silences) !== null;
    const overBudget = summary.alertsPublished >= ctx.alertsAllowed;
    let result: SendResult | 'claimed';
    if (!silenced && config.grouping.enabled) {
      result = await claimWithoutSending(send, finding, grouped);
      if (result === 'claimed') summary.findingsGrouped += 1;
    } else if (!silenced && overBudget) {
      result = await claimWithoutSending(send, finding, overflow);
    } else {
      result = await sendNotice(send, findingNotice(config, finding, plan.evaluatedAt, insightsGaveUp));
    }
    if (result === 'in-progress' || result === 'failed') failedCalls.add(finding.call.callUuid);
  }
  if (config.grouping.enabled) await updateGroups(send, grouped);
  // One summary per MAX_FINDINGS_PER_SUMMARY findings: what a summary covers is stored with
  // it (outbox, dead letter), and a DynamoDB item holds at most 400 KB.
  for (let start = 0; start < overflow.length; start += MAX_FINDINGS_PER_SUMMARY) {
    const chunk = overflow.slice(start, start + MAX_FINDINGS_PER_SUMMARY);
    summary.catchUpParts += 1;
    const id = summary.catchUpParts > 1 ? `${ctx.runId}-${summary.catchUpParts}` : ctx.runId;
    const result = await sendNotice(
      send,
      catchUpNotice(config, id, chunk, plan.evaluatedAt, summary.alertsPublished),
    );
    if (result === 'failed' || result === 'in-progress') {
      for (const o of chunk) failedCalls.add(o.finding.call.callUuid);
    } else if (result === 'published') {
      ctx.logger.warn('Findings past the alert budget went out as one catch-up summary', {
        findings: chunk.length,
        alertBudget: config.notifications.alertBudget,
      });
    }
  }
  return failedCalls;
}

/** A per-call alert: claimed under `rule#call_uuid`, recorded not sent while silenced. */
function findingNotice(
  config: AlertConfig,
  finding: Finding,
  evaluatedAt: string,
  insightsGaveUp: boolean,
): Notice {
  return {
    key: alertDedupKey(finding),
    kind: 'alert',
    ruleId: finding.ruleId,
    silenceSubject: finding,
    whenSilenced: 'record',
    render: () =>
      renderFindingAlert(finding, {
        deploymentName: config.notifications.deploymentName,
        maskPhoneNumbers: config.notifications.maskPhoneNumbers,
        evaluatedAt,
        insightsGaveUp,
      }),
    logFields: { severity: finding.severity, callUuid: finding.call.callUuid },
  };
}

/**
 * One message for every claimed finding past the budget. What it covers is part of its own
 * record (an outbox entry written before the publish), so a run dying after SNS accepted it
 * repeats at most this one summary, never the single alerts it stands for.
 */
function catchUpNotice(
  config: AlertConfig,
  id: string,
  overflow: Claimed,
  evaluatedAt: string,
  alreadySent: number,
): Notice {
  return {
    key: `zentrunk-alerts:catch-up#${id}`,
    kind: 'catch-up-summary',
    ruleId: 'catch-up-summary',
    silenceSubject: null,
    whenSilenced: 'record',
    render: () =>
      renderCatchUpSummary(
        overflow.map((o) => o.finding),
        {
          deploymentName: config.notifications.deploymentName,
          runId: id,
          evaluatedAt,
          alreadySent,
        },
      ),
    covers: overflow.map((o) => o.dedupKey),
    outbox: true,
    logFields: { findings: overflow.length },
  };
}
