/**
 * The traffic rules at the end of a run (updateTraffic), against the in-memory store: what the
 * run reports about the account's traffic for the dashboard.
 */
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { parseConfig } from '../../../functions/core/config/load-config';
import { updateTraffic, viewTraffic } from '../../../functions/core/poll/notify-traffic';
import { emptySummary, type PollDeps } from '../../../functions/core/poll/run-context';
import type { SendContext } from '../../../functions/core/poll/send-notice';
import type { AlertMessage } from '../../../functions/core/ports';
import {
  ACCOUNT_KEY,
  countInto,
  DAY_MS,
  HOUR_MS,
  observeLateness,
  toStored,
  type TrafficHot,
  type TrafficProfile,
} from '../../../functions/core/traffic/traffic-state';
import { learntTraffic, trafficCalls } from '../../support/traffic';

const MIN = 60_000;
// A Monday, 00:00 UTC.
const T0 = Date.parse('2026-11-02T00:00:00.000Z');

/** The account's items after 120 calls an hour from T0 to `toMs`; calls listed a minute after they ended. */
function learnt(toMs: number, nowMs: number): { hot: TrafficHot; profile: TrafficProfile } {
  const { hot, profile } = learntTraffic(ACCOUNT_KEY, T0, toMs, 120);
  // A settle time of 2 minutes (its minimum).
  return { hot: observeLateness(hot, new Array(200).fill(MIN), nowMs), profile };
}

async function runAt(
  nowMs: number,
  items: Array<TrafficHot | TrafficProfile>,
  config: Record<string, unknown> = {},
) {
  const store = new MemoryStateStore(() => nowMs);
  await store.saveCursor(new Date(nowMs - 15_000).toISOString(), null);
  for (const item of items) await store.saveTraffic(toStored(item), Math.floor(nowMs / 1000) + 3600);
  const sent: AlertMessage[] = [];
  const deps: PollDeps = {
    source: {
      listCalls: async () => ({ calls: [], skipped: [], pages: 0 }),
      countCalls: async () => 0,
      getInsights: async () => null,
    },
    store,
    notifier: {
      publish: async (message) => {
        sent.push(message);
        return { messageId: `m-${sent.length}` };
      },
    },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    config: parseConfig(config, 'test'),
    now: () => new Date(nowMs),
    remainingTimeMs: () => 60_000,
    runId: 'run-1',
  };
  const ctx: SendContext = {
    deps,
    summary: emptySummary('run-1'),
    silencedAt: new Date(nowMs),
    expiresAtSec: Math.floor(nowMs / 1000) + 3600,
  };
  await updateTraffic(ctx);
  return { summary: ctx.summary, sent };
}

describe("the account's traffic in the run summary (the dashboard's graphs)", () => {
  it("reports the calls and spend of the account's last settled traffic-drop window, and what the baseline expects there", async () => {
    // A week of 120 calls an hour (60 outbound, 1 cent each), then nothing from Monday 10:00.
    const nowMs = T0 + 7 * DAY_MS + 10 * HOUR_MS + 32 * MIN;
    const { hot, profile } = learnt(T0 + 7 * DAY_MS + 10 * HOUR_MS, nowMs);
    const { summary } = await runAt(nowMs, [hot, profile]);
    // Settled to 10:30 (2 minutes of settle time); the window is traffic-drop's 15 minutes.
    expect(summary.trafficAccount).toEqual({
      from: new Date(T0 + 7 * DAY_MS + 10 * HOUR_MS + 15 * MIN).toISOString(),
      to: new Date(T0 + 7 * DAY_MS + 10 * HOUR_MS + 30 * MIN).toISOString(),
      calls: 0,
      expectedCalls: 30,
      spend: 0,
      expectedSpend: 0.15,
    });
    expect(summary.trafficJudged).toBeGreaterThan(0);
  });

  it('counts the calls of a window as the baseline learns them; expects nothing before it has a day of history', async () => {
    // The first ten hours, then calls up to 10:30 counted and not folded yet.
    const nowMs = T0 + 10 * HOUR_MS + 32 * MIN;
    const first = learnt(T0 + 10 * HOUR_MS, nowMs);
    const hot = countInto(
      first.hot,
      trafficCalls(ACCOUNT_KEY, T0 + 10 * HOUR_MS, T0 + 11 * HOUR_MS, 120).slice(0, 60),
      {},
      DAY_MS,
    );
    const { summary } = await runAt(nowMs, [hot, first.profile]);
    expect(summary.trafficAccount).toEqual({
      from: new Date(T0 + 10 * HOUR_MS + 15 * MIN).toISOString(),
      to: new Date(T0 + 10 * HOUR_MS + 30 * MIN).toISOString(),
      calls: 30,
      expectedCalls: null,
      spend: 0.15,
      expectedSpend: null,
    });
  });

  it('reports nothing when no traffic rule is on, or the account has no traffic counted yet', async () => {
    const nowMs = T0 + 7 * DAY_MS + 10 * HOUR_MS + 32 * MIN;
    const { hot, profile } = learnt(T0 + 7 * DAY_MS + 10 * HOUR_MS, nowMs);
    const off = Object.fromEntries(
      ['traffic-drop', 'traffic-surge', 'spend', 'new-destination'].map((id) => [id, { enabled: false }]),
    );
    expect((await runAt(nowMs, [hot, profile], { trafficRules: off })).summary.trafficAccount).toBeNull();
    expect((await runAt(nowMs, [])).summary.trafficAccount).toBeNull();
  });
});

describe('the traffic rules as status and explain show them (viewTraffic)', () => {
  const TRUNK = 'acme.zt.plivo.com';
  const nowMs = T0 + 7 * DAY_MS + 10 * HOUR_MS + 32 * MIN;
  const config = parseConfig({}, 'test');

  it('judges the account first, then each trunk, as the next run would, from the stored items', () => {
    const account = learnt(T0 + 7 * DAY_MS + 10 * HOUR_MS, nowMs);
    const acme = learntTraffic(TRUNK, T0, T0 + 7 * DAY_MS + 10 * HOUR_MS, 120);
    const firing = {
      ...acme.hot,
      incidents: {
        'traffic-drop': {
          firing: true,
          since: new Date(nowMs - 10 * MIN).toISOString(),
          episode: 1,
          notices: 1,
          updates: 0,
          peak: 0,
          lastNotifiedAt: new Date(nowMs - 10 * MIN).toISOString(),
        },
      },
    };
    // A trunk first seen 5 hours ago, and an item that cannot be read.
    const young = learntTraffic('globex.zt.plivo.com', nowMs - 5 * HOUR_MS - 32 * MIN, nowMs - 32 * MIN, 10);
    const items = [firing, acme.profile, young.hot, young.profile, account.hot, account.profile].map(
      toStored,
    );
    const view = viewTraffic(
      config,
      [...items, { id: 'hot:x', version: 1, kind: 'hot' }],
      nowMs,
      nowMs - 15_000,
    );

    expect(view.unreadable).toBe(1);
    expect(view.edges.settle).toMatchObject({ ms: 2 * MIN, measured: true, samples: 200 });
    expect(view.keys.map((k) => k.key)).toEqual([ACCOUNT_KEY, TRUNK, 'globex.zt.plivo.com']);
    const [star, trunk, globex] = view.keys;
    // The account: the rules of trunks and the account only; traffic-drop breaching, not firing.
    expect(star?.judgements.map((j) => j.ruleId)).toEqual(['traffic-drop', 'traffic-surge', 'spend']);
    expect(star?.judgements[0]).toMatchObject({
      judgement: {
        state: 'breach',
        note: '0 calls in the settled 15 minutes to 10:30 UTC, 30 expected (weekly baseline)',
      },
      incident: null,
    });
    expect(trunk?.historyDays).toBeCloseTo(7 + 10 / 24);
    expect(trunk?.judgements.find((j) => j.ruleId === 'traffic-drop')).toMatchObject({
      severity: 'critical',
      incident: { firing: true, since: new Date(nowMs - 10 * MIN).toISOString() },
    });
    expect(globex?.historyDays).toBeCloseTo(5 / 24);
    expect(globex?.judgements.map((j) => [j.ruleId, j.judgement.note])).toEqual([
      ['traffic-drop', 'learning: less than a day of history'],
      ['traffic-surge', 'learning: less than a week of history for this hour (no hourly cap set)'],
      ['spend', 'learning: less than a week of history for this hour (no hourly cap set)'],
      ['new-destination', 'learning the countries called: 0.2 of 7 days of history'],
    ]);

    // One trunk only (explain); the settled hours folded first, as the run folds them.
    const later = viewTraffic(config, items, nowMs + HOUR_MS, nowMs + HOUR_MS, (key) => key === TRUNK);
    expect(later.keys.map((k) => k.key)).toEqual([TRUNK]);
    expect(later.keys[0]?.historyDays).toBeCloseTo(7 + 11 / 24);
  });

  it('shows only the rules the config has on', () => {
    const { hot, profile } = learntTraffic(TRUNK, T0, T0 + 7 * DAY_MS + 10 * HOUR_MS, 120);
    const view = viewTraffic(
      parseConfig(
        { trafficRules: { spend: { enabled: false }, 'new-destination': { enabled: false } } },
        'test',
      ),
      [toStored(hot), toStored(profile)],
      nowMs,
      null,
    );
    expect(view.keys[0]?.judgements.map((j) => j.ruleId)).toEqual(['traffic-drop', 'traffic-surge']);
  });
});
