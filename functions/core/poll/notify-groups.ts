import type { Finding } from '../finding';
import { groupIdOf, groupLabels } from '../groups/group';
import { renderGroupAlert } from '../groups/group-message';
import { addFindings, afterNotice, isOverUnannounced, nextNotice } from '../groups/lifecycle';
import { activeSilenceFor } from '../silences';
import {
  claimForRun,
  claimForSummary,
  forChannel,
  increment,
  type NotifyResult,
  type PollDeps,
  type PollSummary,
} from './run-context';

/** Claims a finding for its group: it is counted there, and completed once the group is saved. */
export async function claimForGroup(
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
export async function updateGroups(
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
    const claim = await claimForRun(deps, noticeKey, expiresAtSec);
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
