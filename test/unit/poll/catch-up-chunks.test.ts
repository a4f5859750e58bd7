/**
 * A backlog of findings past the alert budget goes out as catch-up summaries of at most
 * MAX_FINDINGS_PER_SUMMARY findings each: what a summary covers is stored with it, and a
 * DynamoDB item holds at most 400 KB. The in-memory store (same contract as DynamoDB's) keeps
 * this fast.
 */
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { parseConfig } from '../../../functions/core/config/load-config';
import { MAX_FINDINGS_PER_SUMMARY, poll } from '../../../functions/core/poll/poll-use-case';
import type { AlertMessage } from '../../../functions/core/ports';
import { MemoryCallSource } from '../../../cli/backtest/memory-adapters';
import { makeCall } from '../../support/calls';

const NOW = new Date('2024-01-15T15:00:00.000Z');

it('splits a backlog of 1,200 findings into summaries of at most 500, each covering its own findings once', async () => {
  const calls = Array.from({ length: 1200 }, (_, i) =>
    makeCall({
      endTime: new Date(NOW.getTime() - 30 * 60_000 + i * 1000).toISOString(),
      hangupSource: 'zentrunk',
      hangupCauseCode: 3020,
      hangupCauseName: 'rtp_timeout',
    }),
  );
  const store = new MemoryStateStore(() => NOW.getTime());
  const sent: AlertMessage[] = [];
  const summary = await poll({
    source: new MemoryCallSource(calls, new Map()),
    store,
    notifier: { publish: async (m) => (sent.push(m), { messageId: `m${sent.length}` }) },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    config: parseConfig(
      { notifications: { alertBudget: { maxAlerts: 2 } }, poll: { firstRunLookbackMinutes: 60 } },
      'test',
    ),
    now: () => NOW,
    remainingTimeMs: () => 240_000,
    runId: 'run-1',
  });
  expect(summary.findings).toBe(1200);
  expect(summary.alertsPublished).toBe(2);
  expect(summary.findingsSummarized).toBe(1198);
  // The run works in slices (three or four here, at the default budget) and sends each
  // slice's overflow when the slice is done: summaries of at most 500, numbered in the run
  // (the first carries the run id alone, as the only summary of a run does).
  const summaries = sent.filter((m) => m.json.kind === 'catch-up-summary');
  expect(summaries.length).toBe(summary.catchUpSummaries);
  expect(summaries.length).toBeGreaterThanOrEqual(3);
  expect(summaries.length).toBeLessThanOrEqual(summary.slices + Math.floor(1198 / 500));
  expect(summaries.map((m) => m.dedupKey)).toEqual(
    summaries.map((_, i) => `zentrunk-alerts:catch-up#run-1${i === 0 ? '' : `-${i + 1}`}`),
  );
  const sizes = summaries.map((m) => m.json.findings as number);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(1198);
  // No call in two summaries (of the sample each lists, up to 200 calls).
  const listed = summaries.flatMap((m) =>
    (m.json.calls as Array<{ callUuid: string }>).map((c) => c.callUuid),
  );
  expect(new Set(listed).size).toBe(listed.length);
  expect(MAX_FINDINGS_PER_SUMMARY).toBe(500);
  expect(await store.listOutbox()).toEqual([]);
  // Every finding is recorded as sent: a second run sends nothing.
  const again = await poll({
    source: new MemoryCallSource(calls, new Map()),
    store,
    notifier: { publish: async (m) => (sent.push(m), { messageId: 'x' }) },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    config: parseConfig({ notifications: { alertBudget: { maxAlerts: 2 } } }, 'test'),
    now: () => new Date(NOW.getTime() + 5 * 60_000),
    remainingTimeMs: () => 240_000,
    runId: 'run-2',
  });
  expect(again.alertsPublished + again.catchUpSummaries).toBe(0);
});
