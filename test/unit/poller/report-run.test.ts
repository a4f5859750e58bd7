import { PollerMetrics } from '../../../functions/adapters/logging/emf-metrics';
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { parseConfig } from '../../../functions/core/config/load-config';
import { PollIncompleteError } from '../../../functions/core/poll/poll-use-case';
import { emptySummary } from '../../../functions/core/poll/run-context';
import type { AlertMessage } from '../../../functions/core/ports';
import { reportRun } from '../../../functions/poller/report-run';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function deps(format: 'standard' | 'amazon-q-chat') {
  const sent: AlertMessage[] = [];
  const metrics: string[] = [];
  const powertools = new PollerMetrics({ write: (line) => metrics.push(line) });
  return {
    sent,
    metrics,
    // What the handler's logMetrics middleware does when the invocation ends.
    publish: () => powertools.publishStoredMetrics(),
    deps: {
      store: new MemoryStateStore(),
      opsNotifier: { publish: async (m: AlertMessage) => (sent.push(m), { messageId: 'ops' }) },
      logger: silent,
      config: parseConfig({ notifications: { format }, operations: { failingAlertMinutes: 5 } }, 'test'),
      metrics: powertools,
      now: () => new Date('2026-11-20T12:00:00Z'),
    },
  };
}

describe('reportRun', () => {
  const failure = new PollIncompleteError('1 notice(s) could not be published', emptySummary('r'));

  it('reports a failed run as PollFailed and tells operations once the streak is long enough', async () => {
    const h = deps('standard');
    await expect(reportRun(h.deps, { summary: null, error: failure })).resolves.toMatchObject({
      ok: false,
      kind: 'alerts-not-publishing',
    });
    h.publish();
    expect(h.metrics.some((l) => (JSON.parse(l) as { PollFailed?: number }).PollFailed === 1)).toBe(true);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.chat).toBeUndefined();
  });

  it('sends operations messages in the chat form when the topic feeds chat', async () => {
    const h = deps('amazon-q-chat');
    await reportRun(h.deps, { summary: null, error: failure });
    expect(h.sent[0]?.chat).toBeDefined();
  });

  it('says nothing about health for a run that found the lease held', async () => {
    const h = deps('standard');
    const summary = { ...emptySummary('r'), status: 'skipped-lease-held' as const };
    await expect(reportRun(h.deps, { summary, error: null })).resolves.toBeNull();
    expect(h.sent).toHaveLength(0);
  });
});
