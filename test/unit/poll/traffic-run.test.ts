/**
 * The traffic rules inside a poll run: each call is counted once however often the overlap is
 * read again, the counts are written once a run, and a run that fails still writes them.
 */
import { CountingNotifier, MemoryCallSource } from '../../../cli/backtest/memory-adapters';
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import { alertConfigSchema, type AlertConfigInput } from '../../../functions/core/config/schema';
import { poll } from '../../../functions/core/poll/poll-use-case';
import type { Logger, StateStore } from '../../../functions/core/ports';
import {
  ACCOUNT_KEY,
  countsIn,
  fromStored,
  type TrafficHot,
} from '../../../functions/core/traffic/traffic-state';
import { makeCall, makeInsights } from '../../support/calls';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const START = Date.parse('2026-11-02T10:00:00.000Z');
const MIN = 60_000;

/** 40 healthy calls a minute on two trunks for `minutes` from START. */
function calls(minutes: number) {
  return Array.from({ length: minutes * 40 }, (_, i) =>
    makeCall({
      trunkDomain: i % 2 === 0 ? 'a.zt.plivo.com' : 'b.zt.plivo.com',
      endTime: new Date(START + Math.floor((i * MIN) / 40)).toISOString(),
    }),
  );
}

async function accountCalls(store: StateStore): Promise<number> {
  const hot = (await store.listTraffic())
    .map(fromStored)
    .find((t) => t?.kind === 'hot' && t.key === ACCOUNT_KEY) as TrafficHot | undefined;
  if (!hot) return 0;
  const c = countsIn(hot, 0, Number.POSITIVE_INFINITY);
  return c.inbound + c.outbound;
}

function runner(all: ReturnType<typeof calls>, input: AlertConfigInput = {}) {
  let nowMs = START;
  const store = new MemoryStateStore(() => nowMs);
  const source = new MemoryCallSource(all, new Map(all.map((c) => [c.callUuid, makeInsights(c.callUuid)])));
  const config = alertConfigSchema.parse(input);
  const writes: string[] = [];
  const metered: StateStore = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'saveTraffic') {
        return (item: { id: string }, exp: number) => {
          writes.push(item.id);
          return target.saveTraffic(item as never, exp);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as StateStore;
  const runAt = async (ms: number, store_: StateStore = metered) => {
    nowMs = ms;
    return poll({
      source,
      store: store_,
      notifier: new CountingNotifier(() => nowMs),
      logger: silent,
      config,
      now: () => new Date(nowMs),
      remainingTimeMs: () => 50_000,
      runId: `run-${ms}`,
      scheduleIntervalMs: MIN,
    });
  };
  return { store, runAt, writes };
}

describe('traffic counting in a run', () => {
  it('counts each call once, though every run reads its overlap again, and writes each item once a run', async () => {
    const all = calls(30);
    const { store, runAt, writes } = runner(all, { poll: { firstRunLookbackMinutes: 5 } });
    await store.saveCursor(new Date(START).toISOString(), null);
    for (let m = 1; m <= 31; m += 1) {
      writes.length = 0;
      await runAt(START + m * MIN);
      // Two trunks and the account: a hot item each, and a profile each in the run that first sees it.
      expect(new Set(writes).size).toBe(writes.length);
    }
    expect(await accountCalls(store)).toBe(all.length);
  });

  /** The store, with listWindows failing from its `from`-th call on. */
  const windowsFailingFrom = (store: StateStore, from: number): StateStore => {
    let calls = 0;
    return new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'listWindows') {
          return () => {
            calls += 1;
            return calls >= from ? Promise.reject(new Error('DynamoDB is down')) : target.listWindows();
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as StateStore;
  };
  // A windowed rule on: its windows are read as each slice is saved, and again at the run's end.
  const windowed = { windowedRules: { 'zentrunk-hangup-share': { enabled: true } } };

  it('writes the counts of a run that fails after recording its calls as evaluated', async () => {
    const all = calls(10);
    const { store, runAt } = runner(all, windowed);
    await store.saveCursor(new Date(START).toISOString(), null);
    // The slice is saved; the run's end (windowed rules judged) fails.
    await expect(runAt(START + 11 * MIN, windowsFailingFrom(store, 2))).rejects.toThrow(/DynamoDB is down/);
    const evaluated = await store.getEvaluatedCalls({
      from: new Date(START),
      to: new Date(START + 11 * MIN),
    });
    expect(evaluated.size).toBe(all.length);
    expect(await accountCalls(store)).toBe(all.length);
  });

  it('counts nothing of a batch whose save failed: the next run redoes it and counts each call once', async () => {
    const all = calls(10);
    const { store, runAt } = runner(all, windowed);
    await store.saveCursor(new Date(START).toISOString(), null);
    await expect(runAt(START + 11 * MIN, windowsFailingFrom(store, 1))).rejects.toThrow(/DynamoDB is down/);
    expect(await accountCalls(store)).toBe(0);
    await runAt(START + 12 * MIN);
    expect(await accountCalls(store)).toBe(all.length);
  });
});
