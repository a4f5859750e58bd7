/**
 * REVIEW 2: what on-call reads in a toll-fraud night (office trunk, maskPhoneNumbers on,
 * maxSpendPerHour 50; 150 outbound calls an hour to ST and CU from Tuesday 03:00 for 2 hours).
 *  1. The traffic-surge "(worse)" update says exactly what the firing said ("50 calls in 20 min,
 *     1 call expected"): the calls did not grow, the night's expected fell (1.49 -> 0.74), and
 *     `worse` compares observed/expected (surge.ts `value`, traffic-surge.ts `worse`).
 *  2. The update's SMS (shortText) is the firing's SMS word for word: no "(worse)"/"update"
 *     (traffic-message.ts shortText), so an SMS reader takes it for a second incident or a repeat.
 *  3. "Last 60 minutes: $14.57 ($14.57 an hour)" under "$15.70 in 20 min": the 60-minute figure
 *     is a rate scaled over 64.75 minutes (surge.ts lastHour), shown as the last hour's total, and
 *     smaller than the last 20 minutes'; and the same figure twice.
 *  4. The subject is cut at 99 characters with the trunk last: with a Plivo-style domain the
 *     update and resolution subjects lose it ("| 93667062664669..."), traffic-message.ts subject
 *     (the per-call alerts shorten the trunk instead: alert-message.ts fitSubject).
 */
import { DAY_MS, HOUR_MS, simulator, type Sent, type Stream } from '../review/harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = '93667062664669661.zt.plivo.com';
let sent: Sent[] = [];

beforeAll(async () => {
  const sim = simulator({
    notifications: { maskPhoneNumbers: true },
    trafficRules: { spend: { maxSpendPerHour: 50 } },
  });
  const fraudFrom = T0 + 8 * DAY_MS + 3 * HOUR_MS;
  const fraudTo = fraudFrom + 2 * HOUR_MS;
  const office = (h: number) => ((h / HOUR_MS) % 24 >= 8 && (h / HOUR_MS) % 24 < 18 ? 200 : 4);
  const streams = (t: number): Stream[] => [
    { trunk: TRUNK, perHour: office },
    ...(t >= fraudFrom && t < fraudTo
      ? [
          {
            trunk: TRUNK,
            perHour: () => 120,
            direction: () => 'outbound' as const,
            toCountry: 'ST',
            totalAmount: 1.5,
            toNumber: '+2392271234',
          },
          {
            trunk: TRUNK,
            perHour: () => 30,
            direction: () => 'outbound' as const,
            toCountry: 'CU',
            totalAmount: 1.1,
            toNumber: '+5372345678',
          },
        ]
      : []),
  ];
  await sim.runSpan(streams, T0, fraudTo + 2 * HOUR_MS, 5 * 60_000);
  sent = sim.sent.filter((s) => s.rule !== 'traffic-drop');
  for (const s of sent)
    console.log(
      `${new Date(s.atMs).toISOString()} ${s.notice}\nSUBJECT: ${s.subject}\nSMS: ${s.message.shortText}\n${s.message.overview}`,
    );
});

const of = (rule: string, notice: string) => sent.find((s) => s.rule === rule && s.notice === notice);

it('sends a surge update only when the calls grew', () => {
  const firing = of('traffic-surge', 'firing');
  const update = of('traffic-surge', 'update');
  expect(firing).toBeDefined();
  const observed = (s: Sent | undefined) =>
    s === undefined ? Number.POSITIVE_INFINITY : Number((s.message.json as Record<string, unknown>).observed);
  // No update, or one on more calls than the firing counted.
  expect(observed(update)).toBeGreaterThan(observed(firing));
});

it("tells an update's SMS from a firing's", () => {
  const updates = ['traffic-surge', 'spend', 'new-destination'].flatMap((rule) => {
    const update = of(rule, 'update');
    return of(rule, 'firing') && update ? [update.message.shortText] : [];
  });
  expect(updates.length).toBeGreaterThan(0);
  for (const text of updates) expect(text).toMatch(/worse|update/i);
});

it('never shows the last 60 minutes as less than the last 20 of them', () => {
  const firing = of('spend', 'firing') as Sent;
  const json = firing.message.json as Record<string, number>;
  expect(json.lastHour).toBeGreaterThanOrEqual(json.observed as number);
});

it('keeps the trunk identifiable in every subject', () => {
  for (const s of sent) expect(s.subject).toContain('93667062664669661');
});
