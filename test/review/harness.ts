/**
 * Review harness: drives countTraffic + updateTraffic the way a run does (calls first listed
 * this run counted, then the run's end), against the in-memory store, over simulated time.
 */
import { MemoryStateStore } from '../../functions/adapters/memory/memory-state-store';
import type { Call } from '../../functions/core/call';
import { parseConfig } from '../../functions/core/config/load-config';
import { countTraffic, updateTraffic } from '../../functions/core/poll/notify-traffic';
import { emptySummary, type PollDeps, type PollSummary } from '../../functions/core/poll/run-context';
import type { SendContext } from '../../functions/core/poll/send-notice';
import type { AlertMessage } from '../../functions/core/ports';
import {
  fromStored,
  HOUR_MS,
  type TrafficHot,
  type TrafficProfile,
} from '../../functions/core/traffic/traffic-state';
import { makeCall } from '../support/calls';

export const MIN = 60_000;
export const DAY_MS = 24 * HOUR_MS;
export { HOUR_MS };

export interface Sent {
  atMs: number;
  rule: string;
  notice: string;
  key: string;
  subject: string;
  message: AlertMessage;
}

/** One source of calls: `perHour(hourStartMs)` calls each hour, evenly spread. */
export interface Stream {
  trunk: string;
  perHour: (hourMs: number) => number;
  direction?: (i: number) => 'inbound' | 'outbound';
  toCountry?: string;
  totalAmount?: number;
  toNumber?: string;
  /** The part of each hour the calls are spread over (fractions), default the whole hour. */
  within?: [number, number];
}

/** Calls of `streams` whose end time lies in [fromMs, toMs). */
export function callsBetween(streams: readonly Stream[], fromMs: number, toMs: number): Call[] {
  const out: Call[] = [];
  for (const s of streams) {
    for (let h = Math.floor(fromMs / HOUR_MS) * HOUR_MS; h < toMs; h += HOUR_MS) {
      const n = s.perHour(h);
      for (let i = 0; i < n; i += 1) {
        const [a, b] = s.within ?? [0, 1];
        const end = h + Math.floor(a * HOUR_MS + (i * (b - a) * HOUR_MS) / n);
        if (end < fromMs || end >= toMs) continue;
        out.push(
          makeCall({
            trunkDomain: s.trunk,
            endTime: new Date(end).toISOString(),
            direction: s.direction ? s.direction(i) : i % 2 === 0 ? 'outbound' : 'inbound',
            totalAmount: s.totalAmount ?? 0.01,
            toCountry: s.toCountry ?? 'US',
            ...(s.toNumber ? { toNumber: s.toNumber } : {}),
          }),
        );
      }
    }
  }
  return out;
}

export function simulator(configInput: Record<string, unknown> = {}, scheduleIntervalMs = 5 * MIN) {
  let nowMs = 0;
  const store = new MemoryStateStore(() => nowMs);
  const config = parseConfig(configInput, 'test');
  const sent: Sent[] = [];
  const writes: Array<{ atMs: number; id: string }> = [];
  let lastSummary: PollSummary | null = null;
  /** When set and true for a message, the channel refuses it (a transient SNS failure). */
  const channel: { fails?: (message: AlertMessage) => boolean; failed: AlertMessage[] } = { failed: [] };
  const metered = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'saveTraffic') {
        return (item: { id: string }, exp: number) => {
          writes.push({ atMs: nowMs, id: item.id });
          return target.saveTraffic(item as never, exp);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as MemoryStateStore;

  /** One run at `atMs`: counts `listed` (first listed now), moves the watermark, judges. */
  async function run(atMs: number, listed: readonly Call[], watermarkMs = atMs - 15_000) {
    nowMs = atMs;
    const cursor = await store.getCursor();
    await store.saveCursor(new Date(watermarkMs).toISOString(), cursor?.version ?? null);
    const deps: PollDeps = {
      source: {
        listCalls: async () => ({ calls: [], skipped: [], pages: 0 }),
        countCalls: async () => 0,
        getInsights: async () => null,
      },
      store: metered,
      notifier: {
        publish: async (message) => {
          if (channel.fails?.(message)) {
            channel.failed.push(message);
            throw new Error('SNS: service unavailable');
          }
          const json = message.json as Record<string, unknown>;
          sent.push({
            atMs,
            rule: String(json.rule),
            notice: String(json.notice),
            key: message.dedupKey,
            subject: message.subject,
            message,
          });
          return { messageId: `m-${sent.length}` };
        },
      },
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      config,
      now: () => new Date(nowMs),
      remainingTimeMs: () => 60_000,
      runId: `run-${atMs}`,
      scheduleIntervalMs,
    };
    const ctx: SendContext = {
      deps,
      summary: emptySummary(`run-${atMs}`),
      silencedAt: new Date(nowMs),
      expiresAtSec: Math.floor(nowMs / 1000) + 3600,
    };
    await countTraffic(ctx, listed);
    await updateTraffic(ctx);
    lastSummary = ctx.summary;
    return ctx.summary;
  }

  // Calls generated but not yet written by Plivo (listed by a later run), across runSpan calls.
  let pending: Call[] = [];
  const carried: { generatedTo?: number } = {};

  /**
   * Runs every `stepMs` over [fromMs, toMs); each run lists the calls that ended in the previous
   * step and were written by then (`writtenAt(endMs)`: when Plivo writes the CDR, default 30 s late).
   */
  async function runSpan(
    streams: readonly Stream[] | ((ms: number) => readonly Stream[]),
    fromMs: number,
    toMs: number,
    stepMs = scheduleIntervalMs,
    writtenAt: (endMs: number) => number = (e) => e + 30_000,
  ) {
    let generatedTo = carried.generatedTo ?? fromMs - stepMs;
    for (let t = fromMs; t < toMs; t += stepMs) {
      const s = typeof streams === 'function' ? streams(t) : streams;
      pending.push(...callsBetween(s, generatedTo, t));
      generatedTo = t;
      const listed = pending.filter((c) => writtenAt(Date.parse(c.endTime as string)) <= t - 15_000);
      pending = pending.filter((c) => writtenAt(Date.parse(c.endTime as string)) > t - 15_000);
      await run(t, listed);
    }
    carried.generatedTo = generatedTo;
  }

  async function items() {
    const list = await store.listTraffic();
    const hot = new Map<string, TrafficHot>();
    const profiles = new Map<string, TrafficProfile>();
    for (const item of list) {
      const d = fromStored(item);
      if (d?.kind === 'hot') hot.set(d.key, d);
      else if (d?.kind === 'profile') profiles.set(d.key, d);
    }
    return { hot, profiles, raw: list };
  }

  return { store, config, sent, writes, run, runSpan, items, channel, summary: () => lastSummary };
}

/** A compact view of what was sent, for failure output. */
export const show = (sent: readonly Sent[]) =>
  sent.map((s) => `${new Date(s.atMs).toISOString()} ${s.notice} ${s.rule} ${s.key.split(':').pop()}`);
