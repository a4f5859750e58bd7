import { parseConfig } from '../../../functions/core/config/load-config';
import { planReadRange } from '../../../functions/core/poll/plan-read-range';

const poll = parseConfig({}).poll;
const now = new Date('2026-11-22T12:00:00.500Z');
const minutes = (n: number) => n * 60_000;

describe('planReadRange', () => {
  it('looks back a bounded time on the first run, never 30 days', () => {
    const plan = planReadRange(null, now, poll);
    expect(plan.firstRun).toBe(true);
    expect(plan.range.to.toISOString()).toBe('2026-11-22T11:59:45.000Z');
    expect(plan.range.from.toISOString()).toBe('2026-11-22T11:00:00.000Z');
  });

  it('starts the overlap before the watermark and ends settleSeconds (15 by default) before now', () => {
    const plan = planReadRange({ watermark: '2026-11-22T11:55:00.000Z', version: 3 }, now, poll);
    expect(plan.range.from.toISOString()).toBe('2026-11-22T11:40:00.000Z');
    expect(plan.range.to.toISOString()).toBe('2026-11-22T11:59:45.000Z');
    expect(plan.freshFrom.toISOString()).toBe('2026-11-22T11:55:00.000Z');
    const unsettled = planReadRange({ watermark: '2026-11-22T11:55:00.000Z', version: 3 }, now, {
      ...poll,
      settleSeconds: 0,
    });
    expect(unsettled.range.to.toISOString()).toBe('2026-11-22T12:00:00.000Z');
  });

  it('reads no new part while the watermark is within the settle time of now; never moves back', () => {
    const plan = planReadRange({ watermark: '2026-11-22T11:59:50.000Z', version: 3 }, now, poll);
    expect(plan.range.to.toISOString()).toBe('2026-11-22T11:59:45.000Z');
    expect(plan.freshFrom.toISOString()).toBe('2026-11-22T11:59:45.000Z');
  });

  it('works off a backlog one bounded window at a time', () => {
    const watermark = '2026-11-21T12:00:00.000Z';
    const plan = planReadRange({ watermark, version: 1 }, now, poll);
    expect(plan.range.to.getTime() - Date.parse(watermark)).toBe(minutes(poll.maxWindowMinutes));
  });

  it('never asks for more than Plivo keeps and reports the gap', () => {
    const watermark = new Date(now.getTime() - minutes(120 * 24 * 60)).toISOString();
    const plan = planReadRange({ watermark, version: 1 }, now, poll);
    expect(plan.unreadableGap).not.toBeNull();
    expect(now.getTime() - plan.range.from.getTime()).toBeLessThan(minutes(90 * 24 * 60));
    expect(plan.range.to.getTime()).toBeGreaterThan(plan.range.from.getTime());
  });

  it('reads nothing rather than past now when there is no overlap and the watermark is at this second', () => {
    const at = new Date('2026-11-22T12:00:00.700Z');
    const plan = planReadRange({ watermark: '2026-11-22T12:00:00.000Z', version: 1 }, at, {
      ...poll,
      overlapMinutes: 0,
    });
    expect(plan.range.from.toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect(plan.range.to.toISOString()).toBe('2026-11-22T12:00:00.000Z');
  });

  it('treats a watermark in the future as now', () => {
    const plan = planReadRange({ watermark: '2026-11-22T13:00:00.000Z', version: 1 }, now, poll);
    expect(plan.range.to.getTime()).toBeGreaterThan(plan.range.from.getTime());
    expect(plan.range.to.getTime()).toBeLessThanOrEqual(now.getTime() + 1000);
  });
});
