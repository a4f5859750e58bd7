/**
 * The traffic rules at the end of a run (updateTraffic), against the in-memory store: what the
 * run reports about the account's traffic for the dashboard.
 */
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { parseConfig } from '../../../functions/core/config/load-config';
import { updateTraffic } from '../../../functions/core/poll/notify-traffic';
import { emptySummary, type PollDeps } from '../../../functions/core/poll/run-context';
import type { SendContext } from '../../../functions/core/poll/send-notice';
import type { AlertMessage } from '../../../functions/core/ports';
import {
  ACCOUNT_KEY,
  countInto,
  DAY_MS,
  emptyHot,
  emptyProfile,
  fold,
  HOUR_MS,
  observeLateness,
  toStored,
  type TrafficHot,
  type TrafficProfile,
} from '../../../functions/core/traffic/traffic-state';
import { makeCall } from '../../support/calls';

const MIN = 60_000;
// A Monday, 00:00 UTC.
const T0 = Date.parse('2026-11-02T00:00:00.000Z');
const TRUNK = 'acme.zt.plivo.com';

/** `perHour` calls each hour of [fromMs, toMs), evenly spread, directions alternating, 1 cent each outbound. */
function callsAt(fromMs: number, toMs: number, perHour: number) {
  const out = [];
  for (let h = fromMs; h < toMs; h += HOUR_MS) {
    for (let i = 0; i < perHour; i += 1) {
      out.push(
        makeCall({
          trunkDomain: TRUNK,
          endTime: new Date(h + Math.floor((i * HOUR_MS) / perHour)).toISOString(),
          direction: i % 2 === 0 ? 'outbound' : 'inbound',
          totalAmount: 0.01,
        }),
      );
    }
  }
  return out;
}

/** The account's items after calls from T0 to `toMs` at `perHour`, folded hour by hour as runs would. */
function learnt(toMs: number, perHour: number, nowMs: number): { hot: TrafficHot; profile: TrafficProfile } {
  let hot = emptyHot(ACCOUNT_KEY);
  let profile = emptyProfile(ACCOUNT_KEY, T0);
  for (let h = T0; h < toMs; h += HOUR_MS) {
    hot = countInto(hot, callsAt(h, h + HOUR_MS, perHour), profile.known, 30 * DAY_MS);
    ({ hot, profile } = fold(hot, profile, h + HOUR_MS));
  }
  // Calls listed a minute after they ended: a settle time of 2 minutes (its minimum).
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
    const { hot, profile } = learnt(T0 + 7 * DAY_MS + 10 * HOUR_MS, 120, nowMs);
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
    const first = learnt(T0 + 10 * HOUR_MS, 120, nowMs);
    const hot = countInto(
      first.hot,
      callsAt(T0 + 10 * HOUR_MS, T0 + 11 * HOUR_MS, 120).slice(0, 60),
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
    const { hot, profile } = learnt(T0 + 7 * DAY_MS + 10 * HOUR_MS, 120, nowMs);
    const off = Object.fromEntries(
      ['traffic-drop', 'traffic-surge', 'spend', 'new-destination'].map((id) => [id, { enabled: false }]),
    );
    expect((await runAt(nowMs, [hot, profile], { trafficRules: off })).summary.trafficAccount).toBeNull();
    expect((await runAt(nowMs, [])).summary.trafficAccount).toBeNull();
  });
});
