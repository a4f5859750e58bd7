/** When an owed call is asked for its Insights again (stages/owed-calls.ts lookAgainDue). */
import { LOOK_AGAIN_MAX_MS, lookAgainDue } from '../../../functions/core/poll/stages/owed-calls';
import type { PendingInsightsItem } from '../../../functions/core/ports';
import { makeCall } from '../../support/calls';

const MIN = 60_000;
const END = Date.parse('2026-11-20T12:00:00Z');
const HOUR = 60 * MIN;

function owed(
  lastLookedMinutesAfterEnd: number | null,
  extra: Partial<PendingInsightsItem> = {},
): PendingInsightsItem {
  return {
    call: makeCall({ callUuid: 'c1', endTime: new Date(END).toISOString() }),
    attempts: 1,
    firstSeenAt: new Date(END).toISOString(),
    ...(lastLookedMinutesAfterEnd === null
      ? {}
      : { lastLookedAt: new Date(END + lastLookedMinutesAfterEnd * MIN).toISOString() }),
    ...extra,
  };
}

const dueAt = (item: PendingInsightsItem, minutesAfterEnd: number, waitLeftMs = HOUR) =>
  lookAgainDue(item, END + minutesAfterEnd * MIN, MIN, waitLeftMs);

describe('lookAgainDue', () => {
  it('asks a young call again at the next 1-minute run', () => {
    expect(dueAt(owed(1), 2)).toBe(true);
  });

  it('waits half the call age at the last ask, at most LOOK_AGAIN_MAX_MS', () => {
    // Asked at 6 minutes: next at 9 (half a run early counts as on time).
    expect(dueAt(owed(6), 8)).toBe(false);
    expect(dueAt(owed(6), 8.5)).toBe(true);
    // Asked at 40 minutes: never more than 4 minutes later.
    expect(LOOK_AGAIN_MAX_MS).toBe(4 * MIN);
    expect(dueAt(owed(40), 43)).toBe(false);
    expect(dueAt(owed(40), 44)).toBe(true);
  });

  it('asks the last time when the wait is up, however the asks were spaced', () => {
    expect(dueAt(owed(40), 42, 2 * MIN)).toBe(true);
  });

  it('is due at once without a time of the last ask, with Insights to send, or with an ask in the future', () => {
    expect(dueAt(owed(null), 0.5)).toBe(true);
    expect(dueAt(owed(40, { insights: { callUuid: 'c1' } as PendingInsightsItem['insights'] }), 41)).toBe(
      true,
    );
    // A skewed or corrupt time a year ahead must not hold the call until then.
    expect(dueAt(owed(365 * 24 * 60), 41)).toBe(true);
    expect(dueAt(owed(40, { lastLookedAt: 'not a time' }), 41)).toBe(true);
  });
});
