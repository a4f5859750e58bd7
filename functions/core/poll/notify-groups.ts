import type { Finding } from '../finding';
import { groupIdOf, groupLabels } from '../groups/group';
import { renderGroupAlert } from '../groups/group-message';
import { addFindings, afterNotice, isOverUnannounced, nextNotice } from '../groups/lifecycle';
import { insightsCoverage } from './run-context';
import { isSettled, type SendContext, sendNotice } from './send-notice';

/**
 * Folds this run's claimed findings into their groups, then walks every live group through
 * its lifecycle (first notice, update, reminder, resolution). Each notice goes through the one
 * send path under its own key (group, incident, sequence number), so a run retried after a
 * crash neither repeats nor skips it; a notice not settled (held by a silence, refused, claimed
 * elsewhere) leaves the group where it was, so the next run sends it. Groups are saved before
 * their findings' claims are completed: a crash in between can count a call twice, never lose it.
 */
export async function updateGroups(
  ctx: SendContext,
  grouped: Array<{ finding: Finding; dedupKey: string }>,
): Promise<void> {
  const { deps, expiresAtSec } = ctx;
  const { store, config } = deps;
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
    const state = group;
    if (isOverUnannounced(state, now, grouping)) {
      groups.set(id, { ...state, status: 'resolved' });
      changed.add(id);
      continue;
    }
    const notice = nextNotice(state, now, grouping);
    if (!notice) continue;
    const result = await sendNotice(ctx, {
      key: `zentrunk-alerts:group:${id}#${state.episode}#${state.notices + 1}`,
      kind: 'group',
      stage: notice,
      ruleId: state.ruleId,
      // A silence holds the notice back; the lifecycle resumes once it ends (so a resolution
      // is only ever sent for an incident that was announced). Matched on the group's labels,
      // as a window's notice is, not on the call that happened to open it.
      silenceSubject: { ruleId: state.ruleId, severity: state.sample.severity, labels: state.labels },
      whenSilenced: 'hold',
      render: () =>
        renderGroupAlert(state, notice, {
          deploymentName: config.notifications.deploymentName,
          now,
          insightsCoverage: insightsCoverage(ctx.summary),
        }),
      logFields: { group: id, count: state.count },
    });
    if (!isSettled(result)) continue;
    groups.set(id, afterNotice(state, notice, now));
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
