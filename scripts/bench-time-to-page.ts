/**
 * Time to page and Plivo requests per call, for `npm run bench` (section 7). Simulated time: the
 * real poll use case (functions/core/poll/poll-use-case.ts) runs at every schedule tick of a
 * simulated clock (test/support/simulated-time.ts), driven from one timer to the next, with
 *
 *   - the real Plivo client, its rate limiter at the shipped budget, and its retries;
 *   - the Plivo sandbox answering in-process (sandbox/plivo-sandbox.ts `fetch`), each request
 *     taking a round trip of 80–150 ms on the simulated clock (half before the sandbox answers);
 *     CDRs listed from their `cdrReadyAt`, Insights answering 404 until their `insightsReadyAt`;
 *   - the in-memory state store (functions/adapters/memory), each request taking STORE_MS;
 *   - a notifier that takes PUBLISH_MS and records the simulated time SNS accepted each message.
 *
 * So a run lasts what its requests, the rate limit, and its store and SNS calls take; a run
 * starts on its tick, or is skipped when the previous one is still going (the lease).
 *
 * Traffic: Poisson arrivals (counts per 10 minutes drawn from a Poisson law, end times uniform
 * within), the sandbox's own call generator (sandbox/traffic.ts), a known share of bad calls per
 * rule class, and packet-loss spikes over trunks. Each call's alerts are known in advance (the
 * poller's rules run on the whole call), and each page is matched to its call.
 */
import { fileURLToPath } from 'node:url';
import { JsonLogger } from '../functions/adapters/logging/json-logger';
import { MemoryStateStore } from '../functions/adapters/memory/memory-state-store';
import { PlivoClient } from '../functions/adapters/plivo/plivo-client';
import type { AlertConfig } from '../functions/core/config/schema';
import { poll, type PollSummary } from '../functions/core/poll/poll-use-case';
import type { AlertMessage, Notifier, StateStore } from '../functions/core/ports';
import { evaluateRules } from '../functions/core/rules/evaluate-rules';
import { observe } from '../functions/core/windowed/observe';
import {
  addObservations,
  afterWindowNotice,
  emptyWindow,
  evaluateWindow,
  stepWindow,
} from '../functions/core/windowed/window';
import { windowRuleFor } from '../functions/core/windowed/window-rule';
import { readConfigJson } from '../functions/core/config/load-config';
import { parseProjectConfig, runtimeConfigOf } from '../lib/config/project-config';
import { startPlivoSandbox } from '../sandbox/plivo-sandbox';
import {
  CDR_RULES,
  DEFAULT_TRUNKS,
  generateTraffic,
  mulberry32,
  type SandboxCall,
  type SandboxTrunk,
  toEvaluated,
} from '../sandbox/traffic';
import { SimulatedTime } from '../test/support/simulated-time';
import { minutesSeconds, type Spread, spreadOf } from './percentiles';

const MIN = 60_000;
const PROD_CONFIG = fileURLToPath(new URL('../config/prod.json', import.meta.url));
const AUTH_ID = 'MABENCHTTP000000000001';
const AUTH_TOKEN = 'bench-token-not-secret';
/** Plivo's measured round trips (as sections 4 and 5). */
const LATENCY = { minMs: 80, maxMs: 150 };
/** Assumed: one DynamoDB request of the state store, one SNS publish. */
const STORE_MS = 10;
const PUBLISH_MS = 30;
const START = Date.parse('2026-11-20T12:00:00Z');
/** The windowed rule whose spikes are measured. */
const SPIKE_RULE = 'packet-loss-spike' as const;

export interface TimeToPageOptions {
  quick: boolean;
  /** CDRs are listed this many seconds after the call ends (uniform in [min, max]). */
  cdrDelaySec: readonly [number, number];
  /** The share of CDRs written LATE_CDR_MINUTES late (inside the overlap). */
  lateCdrShare: number;
  /** Only the requests-per-call table. */
  requestsOnly: boolean;
}

// ---------------------------------------------------------------------------------------------
// Traffic

interface TrafficSpec {
  seed: number;
  /** Calls end in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  callsPerSecond: number;
  trunks: readonly SandboxTrunk[];
  cdrDelaySec: readonly [number, number];
  /** Share of CDRs that appear minutes late (LATE_CDR_MINUTES), inside the poller's overlap. */
  lateCdrShare: number;
  insightsDelayMs: number;
  /** Shares of calls made bad for a CDR-only rule and for an Insights rule. */
  badShare: { cdr: number; insights: number };
  spikes: { durationMs: number; gapMs: readonly [number, number]; lossShare: number } | null;
}

/** Late CDRs appear 1 to 10 minutes after the call ended: inside the 15-minute overlap. */
const LATE_CDR_MINUTES = [1, 10] as const;

interface Spike {
  trunkDomain: string;
  startMs: number;
  endMs: number;
}

/** Arrivals of a Poisson process of rate `mean` in one unit of time (exponential gaps). */
function poissonCount(random: () => number, mean: number): number {
  let n = 0;
  for (let t = -Math.log(1 - random()); t < mean; t += -Math.log(1 - random())) n += 1;
  return n;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

const uniform = (random: () => number, [min, max]: readonly [number, number]) => min + (max - min) * random();

/** `count` trunks shaped as the sandbox's three (country, numbers), each its own domain. */
function manyTrunks(count: number): SandboxTrunk[] {
  return Array.from({ length: count }, (_, i) => {
    const base = DEFAULT_TRUNKS[i % DEFAULT_TRUNKS.length] as SandboxTrunk;
    const n = String(i).padStart(3, '0');
    return { ...base, domain: `t${n}-${base.domain}`, id: `${base.id.slice(0, -3)}${n}`, weight: 1 };
  });
}

function buildTraffic(spec: TrafficSpec): { calls: SandboxCall[]; spikes: Spike[] } {
  const random = mulberry32(spec.seed);
  const chunkMs = 10 * MIN;
  const calls: SandboxCall[] = [];
  for (let from = spec.fromMs, i = 0; from < spec.toMs; from += chunkMs, i += 1) {
    const to = Math.min(spec.toMs, from + chunkMs);
    const n = poissonCount(random, (spec.callsPerSecond * (to - from)) / 1000);
    calls.push(
      ...generateTraffic({
        seed: spec.seed * 10_000 + i,
        from: new Date(from),
        to: new Date(to),
        callsPerMinute: n / ((to - from) / MIN),
        trunks: spec.trunks,
        incidents: 'none',
      }),
    );
  }

  const spikes: Spike[] = [];
  if (spec.spikes) {
    const { durationMs, gapMs } = spec.spikes;
    for (const trunk of spec.trunks) {
      let start = spec.fromMs + uniform(random, [0, gapMs[1]]);
      while (start + durationMs <= spec.toMs) {
        spikes.push({ trunkDomain: trunk.domain, startMs: start, endMs: start + durationMs });
        start += durationMs + uniform(random, gapMs);
      }
    }
  }
  const spikesOf = groupBy(spikes, (s) => s.trunkDomain);

  for (const c of calls) {
    const endMs = c.endTime.getTime();
    c.cdrReadyAt = new Date(
      random() < spec.lateCdrShare
        ? endMs + Math.round(uniform(random, LATE_CDR_MINUTES) * MIN)
        : endMs + Math.round(uniform(random, spec.cdrDelaySec) * 1000),
    );
    c.insightsReadyAt = new Date(endMs + spec.insightsDelayMs);
    const answered = c.answerTime !== null;
    const u = random();
    if (u < spec.badShare.cdr) {
      if (c.stirVerification === 'Verified' && random() < 0.5) {
        c.stirVerification = 'Not Verified';
        c.attestation = 'B';
      } else if (answered) {
        Object.assign(c, { hangupCauseCode: 3020, hangupCauseName: 'rtp_timeout', hangupSource: 'zentrunk' });
      } else {
        Object.assign(c, {
          hangupCauseCode: 5180,
          hangupCauseName: 'cps_limit_reached',
          hangupSource: 'zentrunk',
        });
      }
    } else if (u < spec.badShare.cdr + spec.badShare.insights && answered) {
      if (random() < 0.5) c.qualityScore = 2.6;
      else c.jitterMs = 41;
    }
    if (spec.spikes && answered) {
      const inSpike = spikesOf.get(c.trunkDomain)?.some((s) => endMs >= s.startMs && endMs < s.endMs);
      if (inSpike && random() < spec.spikes.lossShare) {
        c.packetLossPct = Math.round(uniform(random, [1.2, 6]) * 100) / 100;
      }
    }
  }
  calls.sort((a, b) => a.endTime.getTime() - b.endTime.getTime() || a.callUuid.localeCompare(b.callUuid));
  return { calls, spikes };
}

// ---------------------------------------------------------------------------------------------
// The simulation

type RequestKind = 'counts' | 'listPages' | 'insights' | 'insightsAgain';
type RequestCounts = Record<RequestKind, number>;
const noRequests = (): RequestCounts => ({ counts: 0, listPages: 0, insights: 0, insightsAgain: 0 });
const totalOf = (r: RequestCounts) => r.counts + r.listPages + r.insights + r.insightsAgain;

interface RunInfo {
  startMs: number;
  endMs: number;
  summary: PollSummary | null;
  error: string | null;
  requests: RequestCounts;
}

interface Published {
  atMs: number;
  message: AlertMessage;
}

interface SimResult {
  runs: RunInfo[];
  /** Ticks whose run was skipped: the previous run was still going. */
  skipped: number;
  published: Published[];
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `work` to its end on simulated time: whenever nothing is left to do but wait, the clock
 * jumps to the next timer (a round trip ending, the rate limiter's wait, a backoff).
 */
async function drive<T>(time: SimulatedTime, work: Promise<T>): Promise<T> {
  let settled = false;
  const done = work.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  for (;;) {
    // Two turns of the event loop: every promise chain a timer released has run by then.
    await turn();
    await turn();
    if (settled) break;
    const due = time.nextDue();
    if (due === null) throw new Error('simulation stalled: the run waits on something the clock cannot move');
    time.advance(Math.max(0, due - time.now()));
  }
  await done;
  return work;
}

/** Each call of the store answers STORE_MS later on the simulated clock (a DynamoDB round trip). */
function withLatency(store: StateStore, sleep: (ms: number) => Promise<void>): StateStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise
          ? result.then((r: unknown) => sleep(STORE_MS).then(() => r))
          : result;
      };
    },
  });
}

/** SNS: accepts each message PUBLISH_MS after it was sent, and remembers when. */
class TimedNotifier implements Notifier {
  readonly sent: Published[] = [];
  constructor(
    private readonly time: SimulatedTime,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}
  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    await this.sleep(PUBLISH_MS);
    this.sent.push({ atMs: this.time.now(), message });
    return { messageId: `sim-${this.sent.length}` };
  }
}

async function simulate(options: {
  calls: readonly SandboxCall[];
  config: AlertConfig;
  intervalMs: number;
  timeoutMs: number;
  startMs: number;
  endMs: number;
  seed: number;
}): Promise<SimResult> {
  const time = new SimulatedTime(options.startMs);
  const sleep = (ms: number) => new Promise<void>((resolve) => time.setTimeout(resolve, ms));
  const now = () => new Date(time.now());
  const sandbox = await startPlivoSandbox({
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    calls: options.calls,
    now,
  });
  const latency = mulberry32(options.seed);
  const counts = noRequests();
  const asked = new Set<string>();
  const plivoFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const insights = /\/Call\/([^/]+)\/Insights\/$/.exec(url.pathname);
    if (insights) {
      const uuid = insights[1] as string;
      if (asked.has(uuid)) counts.insightsAgain += 1;
      else counts.insights += 1;
      asked.add(uuid);
    } else if (url.searchParams.get('limit') === '1') counts.counts += 1;
    else counts.listPages += 1;
    const roundTrip = LATENCY.minMs + latency() * (LATENCY.maxMs - LATENCY.minMs);
    await sleep(roundTrip / 2);
    const response = await sandbox.fetch(input, init);
    await sleep(roundTrip / 2);
    return response;
  };
  const logger = new JsonLogger({ write: () => {}, level: 'error' });
  const client = new PlivoClient({
    baseUrl: sandbox.baseUrl,
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    config: options.config.plivo,
    logger,
    fetch: plivoFetch,
    now: time.now,
    sleep,
    random: mulberry32(options.seed + 1),
  });
  const store = withLatency(new MemoryStateStore(time.now), sleep);
  const notifier = new TimedNotifier(time, sleep);
  const runs: RunInfo[] = [];
  let skipped = 0;
  try {
    for (let tick = options.startMs; tick < options.endMs; tick += options.intervalMs) {
      if (time.now() > tick) {
        skipped += 1;
        continue;
      }
      time.advance(tick - time.now());
      const before = { ...counts };
      const deadline = tick + options.timeoutMs;
      let summary: PollSummary | null = null;
      let error: string | null = null;
      try {
        summary = await drive(
          time,
          poll({
            source: client,
            store,
            notifier,
            logger,
            config: options.config,
            now,
            remainingTimeMs: () => deadline - time.now(),
            runId: `sim-${runs.length}`,
            scheduleIntervalMs: options.intervalMs,
          }),
        );
      } catch (e) {
        error = (e as Error).message;
      }
      const requests = noRequests();
      for (const k of Object.keys(requests) as RequestKind[]) requests[k] = counts[k] - before[k];
      runs.push({ startMs: tick, endMs: time.now(), summary, error, requests });
    }
  } finally {
    await sandbox.close();
  }
  return { runs, skipped, published: notifier.sent };
}

// ---------------------------------------------------------------------------------------------
// Time to page

type CallClass = 'cdr' | 'insights';

interface Sample {
  /** From the call's end to SNS accepting the page; null: never paged. */
  ms: number | null;
  /** The same if runs took no time, at the same ticks (per call: the first tick once its data is there). */
  instantMs: number | null;
  viaSummary: boolean;
}

interface PageTimes {
  cdr: Sample[];
  insights: Sample[];
  windowed: Sample[];
  /** Windowed firings that matched no spike (a spike that fired twice, a false alarm). */
  otherFirings: number;
  /** Spikes an ideal observer of every call would not have seen cross the threshold. */
  spikesUndetectable: number;
}

const firstTickAtOrAfter = (ms: number, startMs: number, intervalMs: number) =>
  startMs + Math.ceil((ms - startMs) / intervalMs) * intervalMs;

/** Who was paged when: each per-call finding (alone or in a catch-up summary), each window firing. */
function pagesOf(published: readonly Published[]) {
  const perCall = new Map<string, { atMs: number; viaSummary: boolean }>();
  const firings = new Map<string, number[]>();
  const note = (rule: unknown, uuid: unknown, atMs: number, viaSummary: boolean) => {
    const key = `${String(rule)}#${String(uuid)}`;
    if (!perCall.has(key)) perCall.set(key, { atMs, viaSummary });
  };
  for (const { atMs, message } of published) {
    const json = message.json;
    if (json.kind === 'call-finding') {
      note(json.rule, (json.call as { callUuid?: unknown } | undefined)?.callUuid, atMs, false);
    } else if (json.kind === 'catch-up-summary') {
      for (const entry of (json.calls as Array<{ rule: unknown; callUuid: unknown }>) ?? []) {
        note(entry.rule, entry.callUuid, atMs, true);
      }
    } else if (json.kind === 'windowed' && json.rule === SPIKE_RULE && json.notice === 'firing') {
      const trunk = String((json.labels as Record<string, string> | undefined)?.trunk_domain);
      firings.set(trunk, [...(firings.get(trunk) ?? []), atMs]);
    }
  }
  return { perCall, firings };
}

function pageTimes(options: {
  calls: readonly SandboxCall[];
  spikes: readonly Spike[];
  sim: SimResult;
  config: AlertConfig;
  intervalMs: number;
  startMs: number;
  /** The last tick simulated (exclusive). */
  endMs: number;
  /** Calls (and spikes) that ended/started in this span are measured. */
  measureFromMs: number;
  measureToMs: number;
}): PageTimes {
  const { calls, config, intervalMs, startMs } = options;
  const { perCall, firings } = pagesOf(options.sim.published);
  const out: PageTimes = { cdr: [], insights: [], windowed: [], otherFirings: 0, spikesUndetectable: 0 };
  const measured = (ms: number) => ms >= options.measureFromMs && ms < options.measureToMs;

  for (const c of calls) {
    const endMs = c.endTime.getTime();
    if (!measured(endMs)) continue;
    for (const finding of evaluateRules([toEvaluated(c)], config)) {
      const cls: CallClass = CDR_RULES.has(finding.ruleId) ? 'cdr' : 'insights';
      const readyMs =
        cls === 'cdr'
          ? c.cdrReadyAt.getTime()
          : Math.max(c.cdrReadyAt.getTime(), (c.insightsReadyAt as Date).getTime());
      const page = perCall.get(`${finding.ruleId}#${c.callUuid}`);
      out[cls].push({
        ms: page ? page.atMs - endMs : null,
        instantMs: firstTickAtOrAfter(readyMs, startMs, intervalMs) - endMs,
        viaSummary: page?.viaSummary ?? false,
      });
    }
  }

  // Windowed. A spike's reference moment is the end of the call after which its trunk's window
  // (the poller's own window code, fed every call the moment it ended) first crossed the
  // threshold: from then on a poller could know. The instant runs are the same window state
  // machine stepped at every tick with the calls whose data was there by then: what the poller
  // would page if a run took no time.
  const callsByTrunk = groupBy(calls, (c) => c.trunkDomain);
  const used = new Set<string>();
  for (const [trunk, trunkSpikes] of groupBy(options.spikes, (s) => s.trunkDomain)) {
    const labels = { trunk_domain: trunk };
    const rule = windowRuleFor(config, SPIKE_RULE, labels);
    const trunkCalls = callsByTrunk.get(trunk) ?? [];
    const observed = trunkCalls.map((c) => ({ c, obs: observe(SPIKE_RULE, toEvaluated(c), config) }));
    let state = emptyWindow('continuous', SPIKE_RULE, labels);
    const breaches: number[] = [];
    for (const { c, obs } of observed) {
      state = addObservations(state, obs ? [obs] : [], c.endTime, rule);
      if (obs?.hit && evaluateWindow(state, rule).breach) breaches.push(c.endTime.getTime());
    }
    const instantFirings = instantRuns(observed, rule, config, startMs, intervalMs, options.endMs);
    const times = firings.get(trunk) ?? [];
    trunkSpikes.forEach((spike, i) => {
      const nextStart = trunkSpikes[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
      const within = (t: number) => t >= spike.startMs && t < nextStart;
      const page = times.find(within);
      if (page !== undefined) used.add(`${trunk}@${page}`);
      if (!measured(spike.startMs)) return;
      const detectMs = breaches.find((t) => t >= spike.startMs && t < spike.endMs);
      if (detectMs === undefined) {
        out.spikesUndetectable += 1;
        return;
      }
      const instant = instantFirings.find(within);
      out.windowed.push({
        ms: page === undefined ? null : page - detectMs,
        instantMs: instant === undefined ? null : instant - detectMs,
        viaSummary: false,
      });
    });
  }
  for (const [trunk, times] of firings) {
    for (const t of times) if (!used.has(`${trunk}@${t}`)) out.otherFirings += 1;
  }
  return out;
}

/**
 * The firings of one trunk's window if every run took no time: at each tick, the calls whose
 * CDR and Insights were there by then are added, the window is evaluated and stepped (flap
 * control, recovery) by the poller's own code, and a firing is sent at once.
 */
function instantRuns(
  observed: ReadonlyArray<{ c: SandboxCall; obs: ReturnType<typeof observe> }>,
  rule: ReturnType<typeof windowRuleFor>,
  config: AlertConfig,
  startMs: number,
  intervalMs: number,
  endMs: number,
): number[] {
  const byReady = observed
    .map((o) => ({
      ...o,
      readyMs: Math.max(o.c.cdrReadyAt.getTime(), (o.c.insightsReadyAt as Date).getTime()),
    }))
    .sort((a, b) => a.readyMs - b.readyMs);
  const labels = { trunk_domain: observed[0]?.c.trunkDomain ?? '' };
  let state = emptyWindow('instant', SPIKE_RULE, labels);
  const fired: number[] = [];
  let next = 0;
  for (let tick = startMs; tick < endMs; tick += intervalMs) {
    const fresh: NonNullable<ReturnType<typeof observe>>[] = [];
    while (next < byReady.length && (byReady[next] as (typeof byReady)[number]).readyMs <= tick) {
      const { obs } = byReady[next] as (typeof byReady)[number];
      if (obs) fresh.push(obs);
      next += 1;
    }
    const now = new Date(tick);
    state = addObservations(state, fresh, now, rule);
    const step = stepWindow(state, evaluateWindow(state, rule), rule, {
      now,
      intervalMs,
      repeatIntervalMinutes: config.grouping.repeatIntervalMinutes,
    });
    state = step.state;
    if (step.notice) {
      if (step.notice === 'firing') fired.push(tick);
      state = afterWindowNotice(state, now);
    }
  }
  return fired;
}

// ---------------------------------------------------------------------------------------------
// Requests per call

interface RequestsPerCall {
  calls: number;
  runs: number;
  measured: RequestCounts;
  /** List and count requests of a poller that lists its whole overlap every run (modelled). */
  relistListing: number;
  /** List and count requests of a poller that lists each CDR once (one count a run, a page per 20). */
  onceListing: number;
}

function requestsPerCall(options: {
  calls: readonly SandboxCall[];
  sim: SimResult;
  config: AlertConfig;
  measureFromMs: number;
  measureToMs: number;
}): RequestsPerCall {
  const { sim, config } = options;
  const inSpan = (ms: number) => ms >= options.measureFromMs && ms < options.measureToMs;
  const measured = noRequests();
  let relist = 0;
  let runs = 0;
  const ends = options.calls.map((c) => c.endTime.getTime());
  const countEnding = (from: number, to: number, visibleAt: number) => {
    let n = 0;
    for (let i = lowerBound(ends, from); i < ends.length && (ends[i] as number) < to; i += 1) {
      if ((options.calls[i] as SandboxCall).cdrReadyAt.getTime() <= visibleAt) n += 1;
    }
    return n;
  };
  const overlapMs = config.poll.overlapMinutes * MIN;
  sim.runs.forEach((run, i) => {
    if (!inSpan(run.startMs)) return;
    runs += 1;
    for (const k of Object.keys(measured) as RequestKind[]) measured[k] += run.requests[k];
    // The same run, listing [previous run's start - overlap, this run's start): a count of each
    // part and a page per 20 calls listed.
    const previous = sim.runs[i - 1]?.startMs ?? run.startMs;
    const n = countEnding(second(previous) - overlapMs, second(run.startMs), run.startMs);
    relist += 2 + Math.ceil(n / 20);
  });
  const calls = options.calls.filter((c) => inSpan(c.endTime.getTime())).length;
  return { calls, runs, measured, relistListing: relist, onceListing: runs + calls / 20 };
}

const second = (ms: number) => Math.floor(ms / 1000) * 1000;

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// The section

interface Shipped {
  config: AlertConfig;
  scheduleMinutes: number;
  /** The Lambda timeout (ms) config/prod.json gives the function at a schedule of so many minutes. */
  timeoutMsAt: (minutes: number) => number;
}

/** config/prod.json: its runtime config with grouping off (every bad call pages on its own). */
function shipped(): Shipped {
  const raw = readConfigJson(PROD_CONFIG) as { deployment?: Record<string, unknown> };
  const project = parseProjectConfig(raw, PROD_CONFIG);
  const runtime = runtimeConfigOf(project);
  return {
    config: { ...runtime, grouping: { ...runtime.grouping, enabled: false } },
    scheduleMinutes: project.deployment.scheduleMinutes,
    // The deployment's own rule at another schedule: its timeout, or the default for that
    // interval; one set longer than the interval is cut to fit (the schema would refuse it).
    timeoutMsAt: (minutes) => {
      try {
        const at = parseProjectConfig(
          { ...raw, deployment: { ...raw.deployment, scheduleMinutes: minutes } },
          PROD_CONFIG,
        );
        return at.deployment.function.timeoutSeconds * 1000;
      } catch {
        return Math.min(project.deployment.function.timeoutSeconds, minutes * 60 - 10) * 1000;
      }
    },
  };
}

/** Prose for the terminal: words wrapped at `width`, each line indented as the section's. */
function wrap(text: string, width = 110, indent = '   '): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

const hoursText = (ms: number) => `${(ms / 60 / MIN).toFixed(1).replace(/\.0$/, '')} h`;
const BAD_SHARE = { cdr: 0.02, insights: 0.02 };

const pad = (text: string, width: number) => text.padEnd(width);
const cell = (spread: Spread) => `${minutesSeconds(spread.p50)} / ${minutesSeconds(spread.p95)}`;

type Cell = PageTimes & { runMs: Spread; skipped: number; errors: number; overran: number };

/**
 * Packet-loss spikes long enough for a poller at this schedule to page (flap control may need a
 * second breaching run after the window crossed), then quiet long enough for the window to clear
 * and resolve (the window, a run, a margin) before the trunk's next spike.
 */
function spikesAt(minutes: number): NonNullable<TrafficSpec['spikes']> {
  return {
    durationMs: (20 + 2 * minutes) * MIN,
    gapMs: [(20 + minutes) * MIN, (30 + minutes) * MIN],
    lossShare: 0.5,
  };
}

export async function runTimeToPageBench(options: TimeToPageOptions): Promise<void> {
  const s = shipped();
  const schedules = [...new Set([1, 5, 15, s.scheduleMinutes])].sort((a, b) => a - b);
  const label = (m: number) => `every ${m} min${m === s.scheduleMinutes ? ' (shipped)' : ''}`;
  const flap = s.config.windowedRules[SPIKE_RULE].for;
  const budget = s.config.notifications.alertBudget;
  const timeouts = schedules.map((m) => `${s.timeoutMsAt(m) / 1000} s`).join(', ');
  const started = performance.now();
  console.log(
    `\n7. Time to page and Plivo requests per call (the poll use case at every schedule tick, simulated time)`,
  );
  console.log(
    wrap(
      `config/prod.json with grouping off, so that every bad call pages on its own; its schedule is every ` +
        `${s.scheduleMinutes} min. A run lasts what it does: Plivo round trips of ${LATENCY.minMs}–${LATENCY.maxMs} ms through the ` +
        `client's rate limiter (maxRequestsPer5s ${s.config.plivo.maxRequestsPer5s}, ${s.config.plivo.insightsConcurrency} Insights in flight), ` +
        `${STORE_MS} ms a DynamoDB request and ${PUBLISH_MS} ms an SNS publish (both assumed). It starts on its tick ` +
        `(EventBridge's delay and cold starts not included), with the Lambda timeout the deployment gives it at each ` +
        `schedule (${timeouts}). CDRs appear ` +
        `${options.cdrDelaySec[0]}–${options.cdrDelaySec[1]} s after the call ends (--cdr-delay), ${options.lateCdrShare * 100} % of them ` +
        `${LATE_CDR_MINUTES[0]}–${LATE_CDR_MINUTES[1]} minutes late (inside the ${s.config.poll.overlapMinutes}-minute overlap).`,
    ),
  );

  // 1. Time to page.
  const rate = 2;
  const trunks = manyTrunks(80);
  // Slower schedules are cheaper to simulate and need longer for as many spikes: more hours.
  const baseMinutes = options.quick ? 90 : 180;
  const trafficMsAt = (minutes: number) =>
    Math.round((baseMinutes * Math.min(2, 1 + (minutes - 1) / 14)) / 10) * 10 * MIN;
  const measureFromMs = START + 20 * MIN;
  console.log(
    `\n${wrap(
      `Time to page: p50 / p95 (m:ss) from a call's end to SNS accepting its page. ${rate} calls/s (Poisson) over ` +
        `${trunks.length} trunks for ${schedules.map((m) => hoursText(trafficMsAt(m))).join(', ')} of simulated time, measured from ` +
        `minute 20: ${BAD_SHARE.cdr * 100} % of calls bad for a CDR-only rule (Zentrunk hangup, STIR not verified), ` +
        `${BAD_SHARE.insights * 100} % for an Insights rule (quality < 3, jitter >= 30 ms), and packet-loss spikes on each trunk in ` +
        `turn (half its answered calls at 1.2–6 % loss) for ${SPIKE_RULE}, which fires once its window has breached for ` +
        `${flap.breachMinutes} of the last ${flap.withinMinutes} minutes (judged once a run, each breaching run counting for its interval). ` +
        `A spike is timed from the end of the call after which its trunk's ` +
        `window first crossed the threshold. "instant": the same pages if runs took no time, at the same ticks (a ` +
        `call at the first tick after its data appeared; a spike by the same window code stepped at each tick). "in ` +
        `summaries": paged in a catch-up summary (past notifications.alertBudget, ${budget.maxAlerts} alerts per ${budget.perMinutes} minutes).`,
    )}`,
  );
  for (const insightsDelayMs of options.requestsOnly ? [] : [0, 2 * MIN]) {
    const results = new Map<number, Cell>();
    for (const minutes of schedules) {
      const intervalMs = minutes * MIN;
      const trafficMs = trafficMsAt(minutes);
      const { calls, spikes } = buildTraffic({
        seed: 7 + minutes,
        fromMs: START - 5 * MIN,
        toMs: START + trafficMs,
        callsPerSecond: rate,
        trunks,
        cdrDelaySec: options.cdrDelaySec,
        lateCdrShare: options.lateCdrShare,
        insightsDelayMs,
        badShare: BAD_SHARE,
        spikes: spikesAt(minutes),
      });
      const endMs = START + trafficMs + 2 * intervalMs + 10 * MIN;
      const sim = await simulate({
        calls,
        config: s.config,
        intervalMs,
        timeoutMs: s.timeoutMsAt(minutes),
        startMs: START,
        endMs,
        seed: minutes,
      });
      const times = pageTimes({
        calls,
        spikes,
        sim,
        config: s.config,
        intervalMs,
        startMs: START,
        endMs,
        measureFromMs,
        measureToMs: START + trafficMs,
      });
      results.set(minutes, {
        ...times,
        runMs: spreadOf(sim.runs.map((r) => r.endMs - r.startMs)),
        skipped: sim.skipped,
        overran: sim.runs.filter((r) => r.endMs - r.startMs > s.timeoutMsAt(minutes)).length,
        errors: sim.runs.filter((r) => r.error !== null).length,
      });
    }
    printTimeToPage(
      insightsDelayMs === 0
        ? 'Insights ready when the call ends'
        : 'Insights ready 2 minutes after the call ends (404 until then)',
      schedules,
      label,
      results,
    );
  }

  // 2. Requests per call.
  const warmMs = (options.quick ? 30 : 60) * MIN;
  const measureMs = (options.quick ? 60 : 120) * MIN;
  const hours = (ms: number) => `${ms / 60 / MIN}`;
  console.log(
    `\n${wrap(
      `Plivo requests per call in steady state: every request the poller made to Plivo (counts, list pages, ` +
        `Insights, Insights asked again after a 404, retries) in the runs of simulated hours ${hours(warmMs)}–` +
        `${hours(warmMs + measureMs)}, over the calls that ended then. Poisson calls over the sandbox's 3 trunks, bad ones ` +
        `as above, Insights ready when the call ends ("at once") or 2 minutes after it ("2 min": the "again" column, requests after a 404). ` +
        `Baselines on the same runs, with the Insights requests as measured: "re-list", a poller that lists its ` +
        `whole ${s.config.poll.overlapMinutes}-minute overlap again every run (2 counts and a page per 20 calls of the range, ` +
        `modelled); "list once", each CDR listed once (1 count a run and a page per 20 calls).`,
    )}`,
  );
  console.log(
    `   ${pad('schedule', 24)}${'Insights'.padStart(9)}${'calls/s'.padStart(8)}${'req/call'.padStart(10)}  ${'counts'.padStart(7)}${'lists'.padStart(7)}${'Insights'.padStart(9)}${'again'.padStart(7)}  ${'re-list'.padStart(9)}${'list once'.padStart(10)}`,
  );
  for (const insightsDelayMs of [0, 2 * MIN])
    for (const callsPerSecond of [1, 4]) {
      const { calls } = buildTraffic({
        seed: 11 + callsPerSecond,
        fromMs: START - 5 * MIN,
        toMs: START + warmMs + measureMs,
        callsPerSecond,
        trunks: DEFAULT_TRUNKS,
        cdrDelaySec: options.cdrDelaySec,
        lateCdrShare: options.lateCdrShare,
        insightsDelayMs,
        badShare: BAD_SHARE,
        spikes: null,
      });
      for (const minutes of schedules) {
        const sim = await simulate({
          calls,
          config: s.config,
          intervalMs: minutes * MIN,
          timeoutMs: s.timeoutMsAt(minutes),
          startMs: START,
          endMs: START + warmMs + measureMs,
          seed: 100 + minutes,
        });
        const r = requestsPerCall({
          calls,
          sim,
          config: s.config,
          measureFromMs: START + warmMs,
          measureToMs: START + warmMs + measureMs,
        });
        const per = (n: number) => (n / r.calls).toFixed(2);
        const insights = r.measured.insights + r.measured.insightsAgain;
        console.log(
          `   ${pad(label(minutes), 24)}${(insightsDelayMs === 0 ? 'at once' : '2 min').padStart(9)}${String(callsPerSecond).padStart(8)}${per(totalOf(r.measured)).padStart(10)}  ${per(r.measured.counts).padStart(7)}${per(r.measured.listPages).padStart(7)}${per(r.measured.insights).padStart(9)}${per(r.measured.insightsAgain).padStart(7)}  ${per(r.relistListing + insights).padStart(9)}${per(r.onceListing + insights).padStart(10)}`,
        );
      }
    }
  console.log(`   (section 7 took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

function printTimeToPage(
  title: string,
  schedules: readonly number[],
  label: (minutes: number) => string,
  results: ReadonlyMap<number, Cell>,
): void {
  const width = 25;
  console.log(`\n   ${title}`);
  console.log(`   ${pad('', 30)}${schedules.map((m) => pad(label(m), width)).join('')}`);
  const rows: Array<[string, (r: PageTimes) => Sample[]]> = [
    ['CDR-only rules, per call', (r) => r.cdr],
    ['Insights rules, per call', (r) => r.insights],
    [`windowed (${SPIKE_RULE})`, (r) => r.windowed],
  ];
  const get = (m: number) => results.get(m) as Cell;
  const row = (name: string, text: (m: number) => string) =>
    console.log(`   ${pad(name, 30)}${schedules.map((m) => pad(text(m), width)).join('')}`);
  for (const [name, of] of rows) {
    row(name, (m) => cell(spreadOf(of(get(m)).flatMap((x) => (x.ms === null ? [] : [x.ms])))));
    row('  instant', (m) =>
      cell(spreadOf(of(get(m)).flatMap((x) => (x.instantMs === null ? [] : [x.instantMs])))),
    );
    row('  samples (not paged)', (m) => {
      const all = of(get(m));
      const missed = all.filter((x) => x.ms === null).length;
      const instantMissed = all.filter((x) => x.instantMs === null).length;
      const summary = all.filter((x) => x.viaSummary).length;
      return (
        `${all.length} (${missed}${instantMissed > 0 ? `; instant ${instantMissed}` : ''})` +
        `${summary > 0 ? `, ${summary} in summaries` : ''}`
      );
    });
  }
  row(
    'run duration p50 / max',
    (m) => `${minutesSeconds(get(m).runMs.p50)} / ${minutesSeconds(get(m).runMs.max)}`,
  );
  const notes = schedules.flatMap((m) => {
    const r = get(m);
    const parts = [
      r.skipped > 0 ? `${r.skipped} ticks skipped (the previous run still going)` : '',
      r.errors > 0 ? `${r.errors} runs failed` : '',
      r.overran > 0 ? `${r.overran} runs outlasted the Lambda timeout (Lambda would have stopped them)` : '',
      r.otherFirings > 0
        ? `${r.otherFirings} firing${r.otherFirings === 1 ? '' : 's'} of a spike after its first (its window resolved, then fired again)`
        : '',
      r.spikesUndetectable > 0
        ? `${r.spikesUndetectable} spike${r.spikesUndetectable === 1 ? '' : 's'} never over the threshold`
        : '',
    ].filter(Boolean);
    return parts.length > 0 ? [`   ${m} min: ${parts.join('; ')}`] : [];
  });
  if (notes.length > 0) console.log(notes.join('\n'));
}
