/**
 * Plivo's count only sizes a run's work: a count Plivo refuses (say a 400 on limit=1) must not
 * stop the alerts; Plivo being down still ends the run, visibly, before any state moves.
 */
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { parseConfig } from '../../../functions/core/config/load-config';
import { FatalSourceError, SourceUnavailableError } from '../../../functions/core/errors';
import { poll } from '../../../functions/core/poll/poll-use-case';
import type { AlertMessage, ReadRange } from '../../../functions/core/ports';
import { MemoryCallSource } from '../../../cli/backtest/memory-adapters';
import { makeCall } from '../../support/calls';

const NOW = new Date('2024-01-15T15:00:00.000Z');
const calls = Array.from({ length: 30 }, (_, i) =>
  makeCall({
    endTime: new Date(NOW.getTime() - 30 * 60_000 + i * 10_000).toISOString(),
    hangupSource: 'zentrunk',
    hangupCauseCode: 3020,
    hangupCauseName: 'rtp_timeout',
  }),
);

class CountRefused extends MemoryCallSource {
  constructor(private readonly error: Error) {
    super(calls, new Map());
  }
  override async countCalls(_range: ReadRange): Promise<number | null> {
    throw this.error;
  }
}

async function run(error: Error) {
  const store = new MemoryStateStore(() => NOW.getTime());
  const sent: AlertMessage[] = [];
  const warnings: string[] = [];
  const result = poll({
    source: new CountRefused(error),
    store,
    notifier: { publish: async (m) => (sent.push(m), { messageId: `m${sent.length}` }) },
    logger: { debug: () => {}, info: () => {}, warn: (m) => void warnings.push(m), error: () => {} },
    config: parseConfig({ notifications: { alertBudget: { maxAlerts: 100 } } }, 'test'),
    now: () => NOW,
    remainingTimeMs: () => 240_000,
    runId: 'run-1',
  });
  return { result, store, sent, warnings };
}

it('reads the range in slices of at most 5 minutes when Plivo refuses to count it, and alerts on every call', async () => {
  const { result, store, sent, warnings } = await run(new FatalSourceError('Plivo answered 400 to limit=1'));
  const summary = await result;
  expect(summary.callsInRange).toBeNull();
  // A range with no count is sized by time: never one slice however long the range.
  expect(summary.slices).toBe(
    Math.ceil(
      (Date.parse(summary.readRange?.to ?? '') - Date.parse(summary.readRange?.from ?? '')) / (5 * 60_000),
    ),
  );
  expect(summary.slices).toBeGreaterThan(1);
  expect(sent).toHaveLength(30);
  expect(warnings).toContain(
    'Plivo did not count the calls in a range; reading it in slices of at most 5 minutes',
  );
  expect(await store.getCursor()).not.toBeNull();
});

it('still ends the run, with no state moved, when Plivo is down', async () => {
  const { result, store, sent } = await run(new SourceUnavailableError('Plivo 503 after 5 attempts'));
  await expect(result).rejects.toThrow('Plivo 503 after 5 attempts');
  expect(sent).toEqual([]);
  expect(await store.getCursor()).toBeNull();
});
