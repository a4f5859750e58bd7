/** The demo traffic is the same every run: it depends on the seed, not on the clock. */
import { demoTraffic, seededTraffic } from '../../../sandbox/traffic';

const offsets = (calls: ReturnType<typeof demoTraffic>, now: Date) =>
  calls.map((c) => [c.callUuid, c.scenario, now.getTime() - c.endTime.getTime()]);

describe('seeded demo traffic', () => {
  it('gives the same calls at any time for the same seed, only moved in time', () => {
    const monday = new Date('2026-11-23T09:00:00.000Z');
    const later = new Date('2027-02-11T17:42:13.000Z');
    expect(offsets(demoTraffic(later), later)).toEqual(offsets(demoTraffic(monday), monday));
    expect(demoTraffic(later, 2).map((c) => c.callUuid)).not.toEqual(
      demoTraffic(later).map((c) => c.callUuid),
    );
  });

  it('keeps every call before now, in whole seconds, when now has milliseconds', () => {
    const now = new Date('2026-11-23T09:00:00.750Z');
    const calls = demoTraffic(now);
    expect(Math.max(...calls.map((c) => c.endTime.getTime()))).toBeLessThan(now.getTime());
    expect(calls.every((c) => c.endTime.getTime() % 1000 === 0)).toBe(true);
  });

  it('seededTraffic fills [from, to) with calls that depend on the window length only', () => {
    const a = seededTraffic({
      seed: 7,
      from: new Date('2026-11-23T09:00:00Z'),
      to: new Date('2026-11-23T09:10:00Z'),
      callsPerMinute: 6,
    });
    const b = seededTraffic({
      seed: 7,
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-01T00:10:00Z'),
      callsPerMinute: 6,
    });
    expect(a.map((c) => c.callUuid)).toEqual(b.map((c) => c.callUuid));
    for (const c of a) {
      expect(
        c.endTime >= new Date('2026-11-23T09:00:00Z') && c.endTime < new Date('2026-11-23T09:10:00Z'),
      ).toBe(true);
    }
  });
});
