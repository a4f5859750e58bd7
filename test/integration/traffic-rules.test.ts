/**
 * The traffic rules end to end, as `backtest` replays them: the poll use case itself on a
 * simulated clock every 10 minutes, over the sandbox's 14 days of seasonal demo traffic with its
 * injected events (a trunk that stops, a 70 % drop, a slow decline, a night-time premium-rate
 * burst), on the shipped default config, the baseline built from the replayed history alone.
 * The same replay at the shipped 1-minute schedule makes the README's table (bench section 8).
 */
import { replay, type ReplayResult } from '../../cli/backtest/replay';
import type { WouldSend } from '../../cli/backtest/memory-adapters';
import type { CallInsights } from '../../functions/core/call';
import { alertConfigSchema, type AlertConfigInput } from '../../functions/core/config/schema';
import type { CallSource } from '../../functions/core/ports';
import { type SeasonalEvent, type SeasonalTraffic, seasonalTraffic } from '../../sandbox/seasonal-traffic';
import { toEvaluated } from '../../sandbox/traffic';
import {
  ACCOUNT_KEY,
  fromStored,
  settleOf,
  type TrafficHot,
} from '../../functions/core/traffic/traffic-state';
import type { MemoryStateStore } from '../../functions/adapters/memory/memory-state-store';

const MIN = 60_000;
const TO = new Date('2026-12-03T00:00:00.000Z');
const FROM = new Date(TO.getTime() - 14 * 24 * 60 * MIN);
/**
 * Every 10 minutes: the shipped 1-minute schedule is bench section 8's (a 14-day replay takes
 * ~35 s there); here the same behaviour in a quarter of the runs.
 */
const SCHEDULE_MINUTES = 10;
const TRAFFIC_RULES = new Set(['traffic-drop', 'traffic-surge', 'spend', 'new-destination']);

let traffic: SeasonalTraffic;
let calls: ReturnType<typeof toEvaluated>['call'][];
let insights: Map<string, CallInsights>;
let result: ReplayResult;
let event: (kind: SeasonalEvent['kind']) => SeasonalEvent;
/** A silence of the spend rule over the burst's first 20 minutes: its page is held, then sent. */
let spendSilence: { startsAt: string; endsAt: string };

const trafficPages = (r: ReplayResult) => r.messages.filter((m) => TRAFFIC_RULES.has(m.rule));
const trunkOf = (m: WouldSend) => m.labels.trunk_domain ?? 'account';
const at = (m: WouldSend) => Date.parse(m.at);

beforeAll(async () => {
  traffic = seasonalTraffic({ seed: 1, from: FROM, to: TO });
  const evaluated = traffic.calls.map(toEvaluated);
  calls = evaluated.map((e) => e.call);
  insights = new Map(evaluated.flatMap((e) => (e.insights ? [[e.call.callUuid, e.insights] as const] : [])));
  event = (kind) => traffic.events.find((e) => e.kind === kind) as SeasonalEvent;
  const burst = event('premium-rate-burst');
  spendSilence = {
    startsAt: burst.start.toISOString(),
    endsAt: new Date(burst.start.getTime() + 20 * MIN).toISOString(),
  };
  const input: AlertConfigInput = {
    silences: {
      rules: [
        {
          id: 'burst-spend',
          matchers: { rule: ['spend'] },
          ...spendSilence,
          comment: 'test: held, then sent',
        },
      ],
    },
  };
  result = await replay({
    calls,
    insights,
    config: alertConfigSchema.parse(input),
    from: FROM,
    to: TO,
    scheduleMinutes: SCHEDULE_MINUTES,
  });
}, 120_000);

describe('traffic rules on 14 days of seasonal traffic (10-minute schedule, shipped defaults)', () => {
  it('pages the trunk that stops, within two schedule intervals of its window settling', () => {
    const stop = event('trunk-stop');
    const page = trafficPages(result).find(
      (m) => m.rule === 'traffic-drop' && m.notice === 'firing' && trunkOf(m) === stop.trunkDomain,
    );
    expect(page).toBeDefined();
    // The first 15-minute window wholly inside the stop ends 15 minutes in; it settles after
    // the settle time (2 minutes here: CDRs are on time) and 5 minutes of forMinutes.
    const delay = (at(page as WouldSend) - stop.start.getTime()) / MIN;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(15 + 2 + 5 + 2 * SCHEDULE_MINUTES);
    // One outage, one page: the account's calls dropped too, but the trunk's page says why.
    const accountPages = trafficPages(result).filter(
      (m) =>
        trunkOf(m) === 'account' && at(m) >= stop.start.getTime() && at(m) <= stop.end.getTime() + 60 * MIN,
    );
    expect(accountPages.map((m) => m.subject)).toEqual([]);
  });

  it('pages the 70 % drop, and a stop or drop resolves once the calls are back', () => {
    const drop = event('traffic-drop');
    const pages = trafficPages(result).filter(
      (m) => m.rule === 'traffic-drop' && trunkOf(m) === drop.trunkDomain,
    );
    const firing = pages.find((m) => m.notice === 'firing');
    expect(firing).toBeDefined();
    expect(at(firing as WouldSend)).toBeGreaterThan(drop.start.getTime());
    expect(at(firing as WouldSend)).toBeLessThan(drop.end.getTime());
    const resolved = pages.find((m) => m.notice === 'resolved');
    expect(resolved).toBeDefined();
    expect(at(resolved as WouldSend)).toBeGreaterThan(drop.end.getTime());
    expect(at(resolved as WouldSend) - drop.end.getTime()).toBeLessThan(60 * MIN);
  });

  it('pages the premium-rate burst as a new destination and a surge within minutes; spend waits for its silence', () => {
    const burst = event('premium-rate-burst');
    const firsts = new Map<string, WouldSend>();
    for (const m of trafficPages(result)) {
      if (m.notice === 'firing' && trunkOf(m) === burst.trunkDomain && !firsts.has(m.rule)) {
        if (at(m) >= burst.start.getTime() && at(m) < burst.end.getTime()) firsts.set(m.rule, m);
      }
    }
    const delay = (rule: string) => (at(firsts.get(rule) as WouldSend) - burst.start.getTime()) / MIN;
    expect([...firsts.keys()].sort()).toEqual(['new-destination', 'spend', 'traffic-surge']);
    expect(delay('new-destination')).toBeLessThanOrEqual(SCHEDULE_MINUTES);
    expect(delay('traffic-surge')).toBeLessThanOrEqual(10 + SCHEDULE_MINUTES);
    // Held while the silence lasted, sent on the first run after it ended.
    expect(at(firsts.get('spend') as WouldSend)).toBe(Date.parse(spendSilence.endsAt));
    expect(firsts.get('new-destination')?.subject).toContain('ST (');
    expect(firsts.get('new-destination')?.labels.to_country).toBe('ST');
  });

  it('sends nothing else: no page on nights, weekends, the first week, or the slow-decline day', () => {
    const windows = traffic.events.map((e) => ({
      e,
      from: e.start.getTime(),
      to: e.end.getTime() + 60 * MIN,
    }));
    const unexplained = trafficPages(result).filter((m) => {
      if (m.notice !== 'firing') return false;
      const explained = windows.some(
        ({ e, from, to }) =>
          e.kind !== 'slow-decline' &&
          at(m) >= from &&
          at(m) <= to &&
          (trunkOf(m) === e.trunkDomain || trunkOf(m) === 'account'),
      );
      return !explained;
    });
    expect(unexplained.map((m) => `${m.at} ${m.subject}`)).toEqual([]);
  });

  it('keeps each incident to one firing, at most one update, and its resolution', () => {
    const byIncident = new Map<string, string[]>();
    for (const m of trafficPages(result)) {
      byIncident.set(m.dedupKey, [...(byIncident.get(m.dedupKey) ?? []), m.notice]);
    }
    expect(byIncident.size).toBeGreaterThanOrEqual(5);
    for (const [key, notices] of byIncident) {
      // Episodes of one key follow each other: firing, (update), resolved, firing...
      const episodes = notices
        .join(' ')
        .split(/(?=firing)/)
        .map((s) => s.trim());
      for (const episode of episodes) {
        expect({ key, episode }).toEqual({
          key,
          episode: expect.stringMatching(/^firing( update)?( resolved)?$/),
        });
      }
    }
  });
});

describe('no extra Plivo request', () => {
  it('asks Plivo exactly the same with the traffic rules on and off (a day of seasonal traffic)', async () => {
    const day = { from: new Date(TO.getTime() - 24 * 60 * MIN), to: TO };
    const dayCalls = calls.filter((c) => Date.parse(c.endTime as string) >= day.from.getTime());
    const requests = async (on: boolean) => {
      const counts = { list: 0, count: 0, insights: 0 };
      const off = { enabled: false };
      const config = alertConfigSchema.parse(
        on
          ? {}
          : {
              trafficRules: { 'traffic-drop': off, 'traffic-surge': off, spend: off, 'new-destination': off },
            },
      );
      const r = await replay({
        calls: dayCalls,
        insights,
        config,
        ...day,
        scheduleMinutes: 5,
        wrapSource: (source: CallSource): CallSource => ({
          listCalls: (range) => ((counts.list += 1), source.listCalls(range)),
          countCalls: (range) => ((counts.count += 1), source.countCalls(range)),
          getInsights: (id) => ((counts.insights += 1), source.getInsights(id)),
        }),
      });
      return { counts, trafficPages: trafficPages(r).length };
    };
    const on = await requests(true);
    const off = await requests(false);
    expect(on.counts).toEqual(off.counts);
    expect(on.counts.insights).toBeGreaterThan(dayCalls.length * 0.9);
    expect(off.trafficPages).toBe(0);
  }, 60_000);
});

describe('settle time, measured from how late CDRs arrive', () => {
  /**
   * Two days of seasonal traffic (no event) from a Plivo that, from the 30th hour on, writes 9
   * CDRs in 10 twenty to 22 minutes after the call ended (the overlap is 30 minutes here, so the
   * poller still finds each, late): until written, a call is neither listed nor counted. The
   * newest settled minutes then hold a tenth of their calls unless the settle time covers the
   * lateness.
   */
  const lateReplay = async (settle: { minMinutes: number; maxMinutes: number }) => {
    const to = new Date(TO.getTime() - 5 * 24 * 60 * MIN);
    const from = new Date(to.getTime() - 2 * 24 * 60 * MIN);
    const two = seasonalTraffic({ seed: 3, from, to, events: 'none' }).calls.map(toEvaluated);
    const lateFrom = from.getTime() + 30 * 60 * MIN;
    const writtenAt = (uuid: string, endMs: number) => {
      const h = Number.parseInt(uuid.replace(/-/g, '').slice(-6), 16) / 0xffffff;
      return h < 0.9 && endMs >= lateFrom ? endMs + 20 * MIN + h * 2.2 * MIN : endMs;
    };
    const written = new Map(
      two.map((e) => [e.call.callUuid, writtenAt(e.call.callUuid, Date.parse(e.call.endTime as string))]),
    );
    let store: MemoryStateStore | undefined;
    const r = await replay({
      calls: two.map((e) => e.call),
      insights: new Map(),
      insightsNeverAsked: true,
      config: alertConfigSchema.parse({
        poll: { overlapMinutes: 30 },
        trafficRules: { settle, 'traffic-surge': { windowMinutes: 30 }, spend: { windowMinutes: 30 } },
      }),
      from,
      to,
      scheduleMinutes: 5,
      wrapStore: (s) => (store = s),
      wrapSource: (source, now) => {
        const visible = (c: { callUuid: string }) => (written.get(c.callUuid) ?? 0) <= now().getTime();
        return {
          listCalls: async (range) => {
            const listed = await source.listCalls(range);
            const calls = listed.calls.filter(visible);
            return { ...listed, calls, reportedTotal: calls.length };
          },
          countCalls: async (range) => (await source.listCalls(range)).calls.filter(visible).length,
          getInsights: (id) => source.getInsights(id),
        };
      },
    });
    const account = (await (store as MemoryStateStore).listTraffic())
      .map(fromStored)
      .find((t) => t?.kind === 'hot' && t.key === ACCOUNT_KEY) as TrafficHot;
    return {
      drops: trafficPages(r).filter((m) => m.rule === 'traffic-drop'),
      settle: settleOf(account, settle),
    };
  };

  it('is measured from the calls (the 30-minute bin here), and no late CDR looks like a drop', async () => {
    const { drops, settle } = await lateReplay({ minMinutes: 2, maxMinutes: 30 });
    expect(settle).toMatchObject({ measured: true, ms: 30 * MIN });
    expect(drops.map((m) => `${m.at} ${m.subject}`)).toEqual([]);
  }, 60_000);

  it('guessed too short instead (1 minute), the same CDRs page drops that are not there', async () => {
    const { drops, settle } = await lateReplay({ minMinutes: 1, maxMinutes: 1 });
    expect(settle.ms).toBe(MIN);
    expect(drops.filter((m) => m.notice === 'firing').length).toBeGreaterThan(0);
  }, 60_000);
});
