/**
 * Bench section 8: the traffic rules (traffic-drop, traffic-surge, spend, new-destination) on
 * the sandbox's 14 days of seasonal demo traffic with its injected events, replayed as
 * `backtest` replays (the poll use case on a simulated clock, every schedule interval, in-memory
 * state), on the shipped default config at the shipped default schedule: when each event first
 * paged (delay from its start), every other traffic page (false pages), the state the baseline
 * keeps (bytes per trunk and for the account), what it writes, and what the rules cost a replay
 * (the same replay with them off is the baseline, measured in the same run). Then the writes at
 * the README's throughput (54 calls/s) for 30 minutes, against the run's other writes' figure.
 */
import { replay } from '../cli/backtest/replay';
import type { WouldSend } from '../cli/backtest/memory-adapters';
import type { MemoryStateStore } from '../functions/adapters/memory/memory-state-store';
import { alertConfigSchema, type AlertConfig } from '../functions/core/config/schema';
import type { CallSource, StateStore } from '../functions/core/ports';
import { DEFAULT_SCHEDULE_MINUTES } from '../lib/config/deployment-schema';
import { describeSeasonalEvents, SEASONAL_TRUNKS, seasonalTraffic } from '../sandbox/seasonal-traffic';
import { generateTraffic, toEvaluated } from '../sandbox/traffic';

const MIN = 60_000;
const RULES = new Set(['traffic-drop', 'traffic-surge', 'spend', 'new-destination']);
const OFF = { enabled: false };

/** A store that sums the write units of traffic items (1 per KB, rounded up, as DynamoDB bills a put). */
function meteredStore(writes: { items: number; units: number }) {
  return (store: MemoryStateStore): StateStore =>
    new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'saveTraffic') {
          return (item: Parameters<StateStore['saveTraffic']>[0], expiresAtSec: number) => {
            // pk, sk, version and expiresAt beside the body: ~60 bytes.
            const bytes = Buffer.byteLength(JSON.stringify(item)) + 60;
            writes.items += 1;
            writes.units += Math.ceil(bytes / 1024);
            return target.saveTraffic(item, expiresAtSec);
          };
        }
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as StateStore;
}

const minutes = (ms: number) =>
  `${Math.floor(ms / MIN)}:${String(Math.round((ms % MIN) / 1000)).padStart(2, '0')}`;

export async function runTrafficBench(options: { scheduleMinutes?: number } = {}): Promise<void> {
  const scheduleMinutes = options.scheduleMinutes ?? DEFAULT_SCHEDULE_MINUTES;
  console.log(
    `\n8. Traffic rules: 14 days of seasonal demo traffic replayed every ${scheduleMinutes} min, shipped defaults`,
  );
  const to = new Date('2026-12-03T00:00:00.000Z');
  const from = new Date(to.getTime() - 14 * 24 * 60 * MIN);
  const traffic = seasonalTraffic({ seed: 1, from, to });
  const evaluated = traffic.calls.map(toEvaluated);
  const calls = evaluated.map((e) => e.call);
  const insights = new Map(
    evaluated.flatMap((e) => (e.insights ? [[e.call.callUuid, e.insights] as const] : [])),
  );
  console.log(
    `  ${calls.length.toLocaleString('en-US')} calls, ${SEASONAL_TRUNKS.length} trunks; events:\n${describeSeasonalEvents(
      traffic.events,
    )
      .map((l) => `    ${l}`)
      .join('\n')}`,
  );

  const run = async (config: AlertConfig, writes: { items: number; units: number }) => {
    let store: MemoryStateStore | undefined;
    const requests = { value: 0 };
    const counted = (source: CallSource): CallSource => ({
      listCalls: (range) => ((requests.value += 1), source.listCalls(range)),
      countCalls: (range) => ((requests.value += 1), source.countCalls(range)),
      getInsights: (id) => ((requests.value += 1), source.getInsights(id)),
    });
    const started = process.hrtime.bigint();
    const result = await replay({
      calls,
      insights,
      config,
      from,
      to,
      scheduleMinutes,
      wrapSource: counted,
      wrapStore: (s) => {
        store = s;
        return meteredStore(writes)(s);
      },
    });
    return {
      result,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
      store: store as MemoryStateStore,
      requests: requests.value,
    };
  };
  const onWrites = { items: 0, units: 0 };
  const on = await run(alertConfigSchema.parse({}), onWrites);
  const off = await run(
    alertConfigSchema.parse({
      trafficRules: { 'traffic-drop': OFF, 'traffic-surge': OFF, spend: OFF, 'new-destination': OFF },
    }),
    { items: 0, units: 0 },
  );
  const pages = on.result.messages.filter((m) => RULES.has(m.rule));
  const trunkOf = (m: WouldSend) => m.labels.trunk_domain ?? 'account';

  console.log('\n  Detection delay per injected event (from its start to the first page):');
  console.log(
    `  ${'event'.padEnd(20)} ${'trunk'.padEnd(32)} ${'rule'.padEnd(16)} ${'paged'.padEnd(22)} delay`,
  );
  const explained = new Set<WouldSend>();
  for (const e of traffic.events) {
    const mine = pages.filter(
      (m) =>
        Date.parse(m.at) >= e.start.getTime() &&
        Date.parse(m.at) <= e.end.getTime() + 60 * MIN &&
        (e.detectableBy as readonly string[]).includes(m.rule) &&
        (trunkOf(m) === e.trunkDomain || trunkOf(m) === 'account'),
    );
    for (const m of mine) explained.add(m);
    const firsts = new Map<string, WouldSend>();
    for (const m of mine)
      if (m.notice === 'firing' && !firsts.has(`${m.rule}|${trunkOf(m)}`))
        firsts.set(`${m.rule}|${trunkOf(m)}`, m);
    if (firsts.size === 0) {
      console.log(
        `  ${e.kind.padEnd(20)} ${e.trunkDomain.padEnd(32)} ${'-'.padEnd(16)} ${'no page'.padEnd(22)} -`,
      );
    }
    for (const m of firsts.values()) {
      console.log(
        `  ${e.kind.padEnd(20)} ${trunkOf(m).padEnd(32)} ${m.rule.padEnd(16)} ${m.at.slice(0, 16).replace('T', ' ').padEnd(22)} ${minutes(Date.parse(m.at) - e.start.getTime())}`,
      );
    }
  }
  const falsePages = pages.filter((m) => m.notice === 'firing' && !explained.has(m));
  console.log(`\n  Traffic pages outside the events (false pages): ${falsePages.length}`);
  for (const m of falsePages) console.log(`    ${m.at} ${m.subject}`);
  const notices: Record<string, number> = {};
  for (const m of pages) notices[m.notice] = (notices[m.notice] ?? 0) + 1;
  console.log(`  Traffic notices in all: ${JSON.stringify(notices)}`);

  console.log('\n  State kept by the baseline (the stored form, bytes):');
  for (const item of await on.store.listTraffic()) {
    console.log(`    ${item.id.padEnd(44)} ${String(Buffer.byteLength(JSON.stringify(item))).padStart(6)} B`);
  }
  const runs = on.result.runs;
  console.log(
    `  Traffic writes: ${onWrites.items.toLocaleString('en-US')} items, ${onWrites.units.toLocaleString('en-US')} write units over ${runs.toLocaleString('en-US')} runs (${(onWrites.units / runs).toFixed(2)} a run)`,
  );
  console.log(
    `  Plivo requests (list pages, counts, Insights, as the replay's source answers them): ${on.requests.toLocaleString('en-US')} with the traffic rules, ${off.requests.toLocaleString('en-US')} without (${(on.requests / calls.length).toFixed(3)} and ${(off.requests / calls.length).toFixed(3)} per call)`,
  );
  console.log(
    `  Replay time: ${(on.ms / 1000).toFixed(1)} s with the traffic rules, baseline ${(off.ms / 1000).toFixed(1)} s without (x${(on.ms / off.ms).toFixed(2)})`,
  );

  // At the README's throughput: what the baseline writes per 1,000 calls.
  const busyTo = new Date('2026-11-20T12:00:00.000Z');
  const busyFrom = new Date(busyTo.getTime() - 30 * MIN);
  const busy = generateTraffic({ seed: 8, from: busyFrom, to: busyTo, callsPerMinute: 54 * 60 }).map(
    toEvaluated,
  );
  const busyWrites = { items: 0, units: 0 };
  await replay({
    calls: busy.map((e) => e.call),
    insights: new Map(busy.flatMap((e) => (e.insights ? [[e.call.callUuid, e.insights] as const] : []))),
    config: alertConfigSchema.parse({}),
    from: busyFrom,
    to: busyTo,
    scheduleMinutes,
    wrapStore: meteredStore(busyWrites),
  });
  const perThousand = (busyWrites.units / busy.length) * 1000;
  console.log(
    `  At 54 calls/s for 30 min (${busy.length.toLocaleString('en-US')} calls on ${new Set(busy.map((e) => e.call.trunkDomain)).size} trunks, ${scheduleMinutes}-min runs, from a first run): traffic items ${busyWrites.units} write units = ${perThousand.toFixed(2)} per 1,000 calls (+${((perThousand / 20.1) * 100).toFixed(1)} % of section 5's 20.1 for the rest of a run's writes)`,
  );
}
