/**
 * The seasonal demo traffic: a week's rhythm per trunk and direction over 14 days, and four
 * injected events that the volume and spend rules of issue #17 are to be measured on. Each
 * event is checked against the same traffic without it (events: 'none'), call by call.
 */
import { normalizeCall } from '../../../functions/adapters/plivo/payload-schemas';
import { type PlivoSandbox, renderCdr, startPlivoSandbox } from '../../../sandbox/plivo-sandbox';
import {
  type Direction,
  PREMIUM_RATE_COUNTRY,
  SEASONAL_TRUNKS,
  type SeasonalEvent,
  type SeasonalTraffic,
  type SeasonalTrunk,
  describeSeasonalEvents,
  seasonalDemo,
  seasonalTraffic,
  weeklyProfile,
} from '../../../sandbox/seasonal-traffic';
import type { SandboxCall } from '../../../sandbox/traffic';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A Thursday afternoon (UTC). */
const NOW = new Date('2026-12-03T16:00:00Z');
const FROM = new Date(NOW.getTime() - 14 * DAY);

let demo: SeasonalTraffic;
/** The same 14 days without the events. */
let plain: SeasonalTraffic;

beforeAll(() => {
  demo = seasonalDemo(NOW);
  plain = seasonalTraffic({ seed: 1, from: FROM, to: NOW, events: 'none' });
});

const trunk = (domain: string) => SEASONAL_TRUNKS.find((t) => t.domain === domain) as SeasonalTrunk;
const [ACME, GLOBEX, INITECH] = SEASONAL_TRUNKS as [SeasonalTrunk, SeasonalTrunk, SeasonalTrunk];
const eventOf = (kind: SeasonalEvent['kind']) => demo.events.find((e) => e.kind === kind) as SeasonalEvent;
/** The trunk's local time of an instant, as a Date read with getUTC*. */
const local = (t: SeasonalTrunk, ms: number) => new Date(ms + t.utcOffsetMinutes * MIN);
const endsIn = (c: SandboxCall, from: number, to: number) =>
  c.endTime.getTime() >= from && c.endTime.getTime() < to;
const on = (
  calls: readonly SandboxCall[],
  e: SeasonalEvent,
  from = e.start.getTime(),
  to = e.end.getTime(),
) =>
  calls.filter(
    (c) =>
      c.trunkId === e.trunkId &&
      (e.direction === 'both' || c.direction === e.direction) &&
      endsIn(c, from, to),
  );
/** Every field of every call, in order: one string each (jest's deep equality is slow on 10,000s of objects). */
const digest = (calls: readonly SandboxCall[]) => calls.map((c) => JSON.stringify(c));
const within = (x: number, lo: number, hi: number) => x >= lo && x <= hi;
/** |x - mean| within k standard deviations of a Poisson count. */
const poissonClose = (x: number, mean: number, k = 4) => Math.abs(x - mean) <= k * Math.sqrt(mean) + 1;

describe('seasonal traffic: determinism', () => {
  const day = { from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-25T00:00:00Z') };

  it('gives the same calls for the same seed, others for another, and never uses Math.random', () => {
    const spy = jest.spyOn(Math, 'random');
    const a = seasonalTraffic({ seed: 5, ...day, events: 'none' });
    expect(a.calls.length).toBeGreaterThan(3000);
    expect(a.events).toEqual([]);
    expect(digest(seasonalTraffic({ seed: 5, ...day, events: 'none' }).calls)).toEqual(digest(a.calls));
    const other = new Set(seasonalTraffic({ seed: 6, ...day, events: 'none' }).calls.map((c) => c.callUuid));
    expect(a.calls.some((c) => other.has(c.callUuid))).toBe(false);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('gives the same calls at the same instants whatever the window: two windows make the whole', () => {
    const whole = seasonalTraffic({ seed: 5, ...day, events: 'none' }).calls;
    const cut = new Date('2026-11-24T09:37:13Z');
    const parts = [
      ...seasonalTraffic({ seed: 5, from: day.from, to: cut, events: 'none' }).calls,
      ...seasonalTraffic({ seed: 5, from: cut, to: day.to, events: 'none' }).calls,
    ];
    expect(digest(parts)).toEqual(digest(whole));
    for (const c of whole) expect(endsIn(c, day.from.getTime(), day.to.getTime())).toBe(true);
  });

  it('the demo is the 14 days before now with the default events', () => {
    expect(demo.calls.length).toBeGreaterThan(80_000);
    expect(demo.calls.length).toBeLessThan(150_000);
    expect(demo.calls[0]?.endTime.getTime()).toBeGreaterThanOrEqual(FROM.getTime());
    expect(demo.calls.at(-1)?.endTime.getTime()).toBeLessThan(NOW.getTime());
    expect(demo.events).toHaveLength(4);
    // The same instants as the traffic without events: only the events' calls differ (below).
    expect(demo.calls.slice(0, 100).map((c) => c.callUuid)).toEqual(
      plain.calls.slice(0, 100).map((c) => c.callUuid),
    );
  });
});

describe('seasonal traffic: the weekly rhythm', () => {
  /** Calls per minute of one trunk and direction, in local hours [fromHour, toHour) of the local days chosen. */
  function ratePerMinute(
    t: SeasonalTrunk,
    direction: Direction,
    days: 'weekday' | 'weekend',
    hours: [number, number],
  ) {
    const calls = plain.calls.filter((c) => c.trunkId === t.id && c.direction === direction);
    let count = 0;
    for (const c of calls) {
      const l = local(t, c.endTime.getTime());
      const weekend = l.getUTCDay() === 0 || l.getUTCDay() === 6;
      const hour = l.getUTCHours();
      if ((days === 'weekend') === weekend && hour >= hours[0] && hour < hours[1]) count += 1;
    }
    // Whole local days in the 14 days: 10 weekdays and 4 weekend days, give or take the ends.
    let minutes = 0;
    for (let ms = FROM.getTime(); ms < NOW.getTime(); ms += MIN) {
      const l = local(t, ms);
      const weekend = l.getUTCDay() === 0 || l.getUTCDay() === 6;
      if ((days === 'weekend') === weekend && l.getUTCHours() >= hours[0] && l.getUTCHours() < hours[1])
        minutes += 1;
    }
    return count / minutes;
  }

  it.each(SEASONAL_TRUNKS.map((t) => [t.domain, t] as const))(
    '%s: weekday business hours run many times the night, weekends well below weekdays (its local time)',
    (_, t) => {
      for (const direction of ['outbound', 'inbound'] as const) {
        const business = ratePerMinute(t, direction, 'weekday', [10, 16]);
        const night = ratePerMinute(t, direction, 'weekday', [1, 5]);
        const weekday = ratePerMinute(t, direction, 'weekday', [0, 24]);
        const weekend = ratePerMinute(t, direction, 'weekend', [0, 24]);
        expect({ direction, businessOverNight: business / night > 10 }).toEqual({
          direction,
          businessOverNight: true,
        });
        expect({ direction, weekendOverWeekday: within(weekend / weekday, 0.1, 0.4) }).toEqual({
          direction,
          weekendOverWeekday: true,
        });
        // The business-hours rate is near the trunk's peak (a few % of noise and the lunch dip).
        expect({
          direction,
          nearPeak: within(business / t.peakCallsPerMinute[direction], 0.8, 1.05),
        }).toEqual({
          direction,
          nearPeak: true,
        });
      }
    },
  );

  it('the profile is continuous over midnight and peaks on weekdays at 10:00-11:00', () => {
    const tuesday = Date.parse('2026-11-24T00:00:00Z');
    const saturday = Date.parse('2026-11-28T00:00:00Z');
    expect(weeklyProfile(tuesday - 1)).toBeCloseTo(weeklyProfile(tuesday), 4);
    expect(weeklyProfile(saturday - 1)).toBeCloseTo(weeklyProfile(saturday), 4);
    expect(weeklyProfile(tuesday + 10.5 * HOUR)).toBe(1);
    expect(weeklyProfile(saturday + 10.5 * HOUR)).toBeLessThan(0.25);
    expect(weeklyProfile(tuesday + 3 * HOUR)).toBeLessThan(0.05);
  });

  it('each trunk and direction makes the calls its rate expects over the 14 days, the big trunk the most', () => {
    const counts = new Map<string, number>();
    for (const c of plain.calls)
      counts.set(`${c.trunkDomain}|${c.direction}`, (counts.get(`${c.trunkDomain}|${c.direction}`) ?? 0) + 1);
    for (const t of SEASONAL_TRUNKS) {
      for (const direction of ['outbound', 'inbound'] as const) {
        const count = counts.get(`${t.domain}|${direction}`) ?? 0;
        const expected = plain.expectedCalls(t.domain, direction, FROM, NOW);
        expect({ trunk: t.domain, direction, close: poissonClose(count, expected) }).toEqual({
          trunk: t.domain,
          direction,
          close: true,
        });
      }
    }
    const acmeOut = counts.get(`${ACME.domain}|outbound`) ?? 0;
    expect(acmeOut).toBeGreaterThan(2 * (counts.get(`${GLOBEX.domain}|outbound`) ?? 0));
    expect(acmeOut).toBeGreaterThan(2 * (counts.get(`${ACME.domain}|inbound`) ?? 0));
  });

  it('healthy calls stay healthy: no call trips a per-call rule (as with generateTraffic)', () => {
    expect(demo.calls.filter((c) => c.expectedAlerts.length > 0)).toEqual([]);
    expect(demo.calls.every((c) => c.scenario === 'healthy' || c.scenario === 'premium-rate-burst')).toBe(
      true,
    );
  });
});

describe('seasonal traffic: the injected events', () => {
  const lastWeek = () => NOW.getTime() - 7 * DAY;

  it('come with a manifest: four events in the last 7 days, on whole local weekdays, for the rules meant to catch them', () => {
    expect(demo.events.map((e) => [e.kind, e.trunkDomain, e.direction])).toEqual([
      ['trunk-stop', ACME.domain, 'both'],
      ['traffic-drop', GLOBEX.domain, 'both'],
      ['slow-decline', INITECH.domain, 'both'],
      ['premium-rate-burst', ACME.domain, 'outbound'],
    ]);
    for (const e of demo.events) {
      expect(e.start.getTime()).toBeGreaterThanOrEqual(lastWeek());
      expect(e.end.getTime()).toBeLessThanOrEqual(NOW.getTime());
      expect([1, 2, 3, 4, 5]).toContain(local(trunk(e.trunkDomain), e.start.getTime()).getUTCDay());
    }
    expect(demo.events.map((e) => e.detectableBy)).toEqual([
      ['traffic-drop'],
      ['traffic-drop'],
      ['traffic-drop'],
      ['traffic-surge', 'spend', 'new-destination'],
    ]);
    const lines = describeSeasonalEvents(demo.events);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      '2026-11-27 14:30 -> 15:00 UTC (Fri 09:30 local) trunk-stop: acme.zt.plivo.com (both directions) ' +
        'stops for 30 min: no call ends or starts; 0 calls, 210 expected',
    );
    expect(lines[2]).toMatch(/^2026-11-30 18:30 -> 2026-12-01 18:30 UTC \(Tue 00:00 local\) slow-decline: /);
    expect(lines[3]).toMatch(/; 130 calls to ST, \$1,061\.34$/);
    expect(JSON.parse(JSON.stringify(demo.events))).toHaveLength(4);
  });

  it('touch only their own spans, trunks and directions: every other call is the same as without them', () => {
    const inScope = (c: SandboxCall) =>
      demo.events.some(
        (e) =>
          on([c], e).length > 0 ||
          (e.kind === 'trunk-stop' &&
            c.trunkId === e.trunkId &&
            c.initiationTime.getTime() >= e.start.getTime() &&
            c.initiationTime.getTime() < e.end.getTime()),
      );
    const outside = (calls: SandboxCall[]) => calls.filter((c) => !inScope(c)).map((c) => c.callUuid);
    expect(outside(demo.calls)).toEqual(outside(plain.calls));
    expect(outside(demo.calls).length).toBeGreaterThan(plain.calls.length - 3000);
  });

  it('a trunk stops for 30 minutes on a weekday morning: no call of it ends or starts then', () => {
    const e = eventOf('trunk-stop');
    expect(e.end.getTime() - e.start.getTime()).toBe(30 * MIN);
    const start = local(ACME, e.start.getTime());
    expect(start.toISOString().slice(11, 16)).toBe('09:30');
    const ofTrunk = demo.calls.filter((c) => c.trunkId === e.trunkId);
    expect(on(ofTrunk, e)).toEqual([]);
    expect(
      ofTrunk.filter(
        (c) =>
          c.initiationTime.getTime() >= e.start.getTime() && c.initiationTime.getTime() < e.end.getTime(),
      ),
    ).toEqual([]);
    expect(e).toMatchObject({ calls: 0, share: { atStart: 0, atEnd: 0 } });
    // A weekday morning: without the stop there would be a couple of hundred calls.
    expect(e.expectedCalls).toBeGreaterThan(150);
    expect(poissonClose(on(plain.calls, e).length, e.expectedCalls)).toBe(true);
    // And the trunk is busy on both sides of it.
    expect(on(ofTrunk, e, e.start.getTime() - 30 * MIN, e.start.getTime()).length).toBeGreaterThan(100);
    expect(on(ofTrunk, e, e.end.getTime() + 30 * MIN, e.end.getTime() + 60 * MIN).length).toBeGreaterThan(
      100,
    );
  });

  it('a trunk drops by 70 % for an hour: the calls left are about 30 % of those it would have made', () => {
    const e = eventOf('traffic-drop');
    expect(e.end.getTime() - e.start.getTime()).toBe(HOUR);
    const without = on(plain.calls, e);
    const left = on(demo.calls, e);
    // The calls left are some of those without the drop, kept each with a chance of 0.3.
    const uuids = new Set(without.map((c) => c.callUuid));
    expect(left.every((c) => uuids.has(c.callUuid))).toBe(true);
    const n = without.length;
    expect(Math.abs(left.length / n - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / n));
    expect(e.calls).toBe(left.length);
    expect(poissonClose(n, e.expectedCalls)).toBe(true);
    // Business hours (14:00 local): enough calls that the drop stands out.
    expect(e.expectedCalls).toBeGreaterThan(150);
  });

  it('a trunk declines over a day, linearly to 40 %: each quarter of the day keeps less', () => {
    const e = eventOf('slow-decline');
    expect(e.end.getTime() - e.start.getTime()).toBe(DAY);
    expect(local(INITECH, e.start.getTime()).toISOString().slice(11, 16)).toBe('00:00');
    expect(e.share).toEqual({ atStart: 1, atEnd: 0.4 });
    const shares = [0, 1, 2, 3].map((q) => {
      const from = e.start.getTime() + q * 6 * HOUR;
      const without = on(plain.calls, e, from, from + 6 * HOUR).length;
      const left = on(demo.calls, e, from, from + 6 * HOUR).length;
      // The share falls from 1 to 0.4: on average 1 - 0.6 (q + 0.5) / 4 in quarter q (the rate is
      // not flat within a quarter, so allow for that as well as for chance).
      const mean = 1 - (0.6 * (q + 0.5)) / 4;
      expect({
        q,
        close: Math.abs(left / without - mean) < 0.08 + 4 * Math.sqrt((mean * (1 - mean)) / without),
      }).toEqual({
        q,
        close: true,
      });
      return left / without;
    });
    expect(shares[3]).toBeLessThan(shares[1] as number);
    expect(shares[2]).toBeLessThan(shares[0] as number);
    expect(within(e.calls / e.expectedCalls, 0.55, 0.85)).toBe(true);
  });

  it('a night-time burst of outbound calls to a premium-rate country the trunk never called', () => {
    const e = eventOf('premium-rate-burst');
    const start = local(ACME, e.start.getTime());
    expect(start.getUTCHours()).toBeLessThan(5);
    expect(e.end.getTime() - e.start.getTime()).toBe(45 * MIN);
    const premium = demo.calls.filter((c) => c.toCountry === PREMIUM_RATE_COUNTRY);
    // Only then, only there: the country appears in no other call of any trunk, in either traffic.
    expect(
      plain.calls.some((c) => c.toCountry === PREMIUM_RATE_COUNTRY || c.fromCountry === PREMIUM_RATE_COUNTRY),
    ).toBe(false);
    expect(premium.every((c) => endsIn(c, e.start.getTime(), e.end.getTime()))).toBe(true);
    expect(premium.every((c) => c.trunkId === ACME.id && c.direction === 'outbound')).toBe(true);
    expect(premium.every((c) => c.scenario === 'premium-rate-burst' && c.answerTime !== null)).toBe(true);
    expect(poissonClose(premium.length, 3 * 45)).toBe(true);
    expect(e.burst).toEqual({
      country: PREMIUM_RATE_COUNTRY,
      calls: premium.length,
      ratePerMinute: premium[0]?.ratePerMinute,
      totalAmount: Number(premium.reduce((s, c) => s + c.totalAmount, 0).toFixed(2)),
    });
    // A high rate: far above anything the trunk pays otherwise.
    const others = demo.calls.filter((c) => c.scenario !== 'premium-rate-burst');
    const maxOther = Math.max(...others.map((c) => c.ratePerMinute));
    expect(e.burst?.ratePerMinute).toBeGreaterThan(20 * maxOther);
    // Outbound calls and spend many times the night's usual, and the same span a week before.
    expect(e.calls).toBeGreaterThan(10 * e.expectedCalls);
    const weekBefore = on(demo.calls, e, e.start.getTime() - 7 * DAY, e.end.getTime() - 7 * DAY);
    const spend = (calls: SandboxCall[]) => calls.reduce((s, c) => s + c.totalAmount, 0);
    expect(spend(on(demo.calls, e))).toBeGreaterThan(100 * Math.max(spend(weekBefore), 0.01));
  });

  it('explicit events: a drop of the inbound calls only leaves the outbound ones alone', () => {
    const day = { from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-25T00:00:00Z') };
    const spec = {
      kind: 'traffic-drop' as const,
      trunk: ACME.domain,
      direction: 'inbound' as const,
      start: new Date('2026-11-24T14:00:00Z'),
      end: new Date('2026-11-24T16:00:00Z'),
      share: 0,
    };
    const dropped = seasonalTraffic({ seed: 9, ...day, events: [spec] });
    const base = seasonalTraffic({ seed: 9, ...day, events: 'none' });
    const [e] = dropped.events as [SeasonalEvent];
    expect(e).toMatchObject({ direction: 'inbound', calls: 0 });
    const outbound = (t: SeasonalTraffic) =>
      on(t.calls, { ...e, direction: 'outbound' }).map((c) => c.callUuid);
    expect(outbound(dropped)).toEqual(outbound(base));
    expect(outbound(base).length).toBeGreaterThan(300);
    expect(() => seasonalTraffic({ seed: 9, ...day })).toThrow(/at least 14 days/);
    expect(() =>
      seasonalTraffic({ seed: 9, ...day, events: [{ ...spec, trunk: 'nope.zt.plivo.com' }] }),
    ).toThrow(/unknown trunk/);
  });
});

describe('seasonal traffic in the sandbox', () => {
  let sandbox: PlivoSandbox;
  const AUTH_ID = 'MASEASONAL0000000000001';
  const AUTH_TOKEN = 'seasonal-token-not-a-secret';
  beforeAll(async () => {
    sandbox = await startPlivoSandbox({
      authId: AUTH_ID,
      authToken: AUTH_TOKEN,
      calls: demo.calls,
      now: () => NOW,
      rateLimit: { requests: 100_000, windowMs: 5000 },
    });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const plivoTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  async function list(query: Record<string, string>): Promise<{ total: number; objects: unknown[] }> {
    const objects: unknown[] = [];
    let total = 0;
    for (let offset = 0; ; offset += 20) {
      const params = new URLSearchParams({ ...query, limit: '20', offset: String(offset) });
      const response = await fetch(`${sandbox.baseUrl}/v1/Account/${AUTH_ID}/Zentrunk/Call/?${params}`, {
        headers: { authorization: `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64')}` },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { meta: { total_count: number }; objects: unknown[] };
      total = body.meta.total_count;
      objects.push(...body.objects);
      if (offset + 20 >= total) return { total, objects };
    }
  }

  it('serves the burst, and the normaliser reads its calls: São Tomé, outbound, premium total_rate and total_amount', async () => {
    const e = eventOf('premium-rate-burst');
    const { total, objects } = await list({
      end_time__gte: plivoTime(e.start),
      end_time__lt: plivoTime(e.end),
      trunk_id: ACME.id,
      call_direction: 'outbound',
    });
    expect(objects).toHaveLength(total);
    expect(total).toBe(e.calls);
    const parsed = objects.map((o) => normalizeCall(o));
    expect(parsed.every((p) => p.ok)).toBe(true);
    const premium = parsed.flatMap((p) =>
      p.ok && p.call.toCountry === PREMIUM_RATE_COUNTRY ? [p.call] : [],
    );
    expect(premium).toHaveLength(e.burst?.calls ?? -1);
    expect(
      premium.every((c) => c.direction === 'outbound' && c.ratePerMinute === e.burst?.ratePerMinute),
    ).toBe(true);
    expect(Number(premium.reduce((s, c) => s + (c.totalAmount ?? 0), 0).toFixed(2))).toBe(
      e.burst?.totalAmount,
    );
  });

  it('lists nothing for the stopped trunk during its stop', async () => {
    const e = eventOf('trunk-stop');
    const { total } = await list({
      end_time__gte: plivoTime(e.start),
      end_time__lt: plivoTime(e.end),
      trunk_id: ACME.id,
    });
    expect(total).toBe(0);
  });

  it('every sampled call renders as a CDR the normaliser reads back as the same call, amounts as decimal strings', () => {
    const sample = demo.calls.filter((_, i) => i % 50 === 0);
    expect(sample.length).toBeGreaterThan(1500);
    for (const call of sample) {
      const cdr = renderCdr(call);
      expect(cdr.total_amount).toMatch(/^\d+\.\d{5}$/);
      expect(cdr.total_rate).toMatch(/^\d+\.\d{5}$/);
      const parsed = normalizeCall(cdr);
      if (!parsed.ok) throw new Error(`${call.callUuid}: ${parsed.reason}`);
      expect(parsed.call).toMatchObject({
        callUuid: call.callUuid,
        direction: call.direction,
        trunkDomain: call.trunkDomain,
        toCountry: call.toCountry,
        endTime: call.endTime.toISOString(),
        totalAmount: Number(call.totalAmount.toFixed(5)),
        ratePerMinute: call.ratePerMinute,
      });
    }
  });
});
