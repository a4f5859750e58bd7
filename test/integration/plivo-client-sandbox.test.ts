/**
 * The real Plivo client against the sandbox's answers that must not be taken at face value:
 * each fault switch off (the normal answer) and on (what the client does about it).
 */
import { PlivoClient, type PlivoClientOptions } from '../../functions/adapters/plivo/plivo-client';
import { PlivoCallRefusedError, PlivoUnavailableError } from '../../functions/adapters/plivo/plivo-errors';
import type { AlertConfig } from '../../functions/core/config/schema';
import type { ReadRange, Logger } from '../../functions/core/ports';
import { type PlivoSandbox, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import {
  ALERTING_INCIDENTS,
  generateTraffic,
  QUIET_INCIDENTS,
  type SandboxCall,
} from '../../sandbox/traffic';

const AUTH_ID = 'MACLIENTSANDBOX0000001';
const AUTH_TOKEN = 'client-sandbox-token-7c1d9e03';
const NOW = new Date('2024-06-01T12:00:00Z');
const MIN = 60_000;
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * MIN);

/** 90 minutes of traffic and every incident that is not malformed, all visible at NOW. */
const CALLS: SandboxCall[] = generateTraffic({
  seed: 23,
  from: minutesAgo(100),
  to: minutesAgo(10),
  callsPerMinute: 1,
  incidents: [...ALERTING_INCIDENTS.filter((k) => k !== 'late-cdr'), ...QUIET_INCIDENTS],
});
const WINDOW: ReadRange = { from: minutesAgo(95), to: minutesAgo(15) };
const inWindow = (c: SandboxCall, slackMs = 0) =>
  c.endTime.getTime() >= WINDOW.from.getTime() - slackMs &&
  c.endTime.getTime() < WINDOW.to.getTime() + slackMs;
const uuids = (list: Array<{ callUuid: string | null }>) => list.map((c) => c.callUuid).sort();
const expected = (p: (c: SandboxCall) => boolean) =>
  CALLS.filter(p)
    .map((c) => c.callUuid)
    .sort();

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let sandbox: PlivoSandbox;

beforeEach(async () => {
  sandbox = await startPlivoSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN, calls: CALLS, now: () => NOW });
});
afterEach(() => sandbox.close());

function client(
  config: Partial<AlertConfig['plivo']> = {},
  extra: Partial<PlivoClientOptions> = {},
): PlivoClient {
  let clock = NOW.getTime();
  return new PlivoClient({
    baseUrl: sandbox.baseUrl,
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    config: {
      maxRequestsPer5s: 300,
      insightsConcurrency: 4,
      requestTimeoutMs: 5000,
      maxAttempts: 3,
      callFilters: {},
      ...config,
    },
    logger: silent,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    random: () => 0.5,
    ...extra,
  });
}

it('the window has enough calls for several pages, and calls just outside it on both sides', () => {
  expect(CALLS.filter((c) => inWindow(c)).length).toBeGreaterThan(60);
  expect(CALLS.some((c) => c.endTime < WINDOW.from && inWindow(c, 150_000))).toBe(true);
  expect(CALLS.some((c) => c.endTime >= WINDOW.to && inWindow(c, 150_000))).toBe(true);
});

describe('end_time outside the requested window', () => {
  it('off: every call of the window, nothing skipped', async () => {
    const result = await client().listCalls(WINDOW);
    expect(uuids(result.calls)).toEqual(expected((c) => inWindow(c)));
    expect(result.skipped).toEqual([]);
  });

  it('on (the filter widened by 150 s): the same calls; the others skipped with the reason', async () => {
    sandbox.faults.endTimeFilterSlackSeconds = 150;
    const result = await client().listCalls(WINDOW);
    expect(uuids(result.calls)).toEqual(expected((c) => inWindow(c)));
    expect(uuids(result.skipped)).toEqual(expected((c) => inWindow(c, 150_000) && !inWindow(c)));
    for (const s of result.skipped) expect(s.reason).toMatch(/outside the requested window/);
  });
});

describe('meta.total_count understated while meta.next leads on', () => {
  it('off: every call', async () => {
    const result = await client().listCalls(WINDOW);
    expect(uuids(result.calls)).toEqual(expected((c) => inWindow(c)));
  });

  it.each(['url', 'boolean'] as const)(
    'on (25 short, meta.next as %s): still every call, by following meta.next',
    async (style) => {
      sandbox.settings.metaNext = style;
      sandbox.faults.totalCountShortBy = 25;
      const result = await client().listCalls(WINDOW);
      expect(uuids(result.calls)).toEqual(expected((c) => inWindow(c)));
    },
  );
});

describe('oversized bodies', () => {
  it('off: no body refused', async () => {
    const c = client();
    await c.listCalls(WINDOW);
    expect(c.stats().invalidBodies).toBe(0);
  });

  it('on (every 2nd answer 5 MiB): refused and retried, every call still listed', async () => {
    sandbox.faults.oversizedBodyEvery = 2;
    // One page at a time: the fault hits every 2nd request in arrival order, and with pages
    // asked for ahead which page's attempts those are depends on timing (all three of one
    // page's attempts can be hit).
    const c = client({}, { listPagesAhead: 0 });
    const result = await c.listCalls(WINDOW);
    expect(uuids(result.calls)).toEqual(expected((c) => inWindow(c)));
    expect(c.stats().invalidBodies).toBeGreaterThanOrEqual(2);
    expect(sandbox.requests.filter((r) => r.fault === 'oversized').length).toBe(c.stats().invalidBodies);
  });

  it('on for every answer: PlivoUnavailableError after the retries, naming the size', async () => {
    sandbox.faults.oversizedBodyEvery = 1;
    const error = await client()
      .listCalls(WINDOW)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlivoUnavailableError);
    expect((error as Error).message).toMatch(/response body larger than \d+ bytes/);
  });
});

describe("one call's Insights refused for good", () => {
  const ready = () => CALLS.filter((c) => c.insightsReadyAt !== null && c.insightsReadyAt <= NOW);

  it('off: the insights', async () => {
    const [call] = ready() as [SandboxCall];
    await expect(client().getInsights(call.callUuid)).resolves.toMatchObject({ callUuid: call.callUuid });
  });

  it.each([400, 403, 410])(
    'on (%i): PlivoCallRefusedError for that call, once; the others served',
    async (status) => {
      const [refused, other] = ready() as [SandboxCall, SandboxCall];
      sandbox.faults.insightsStatusByCall = { [refused.callUuid]: status };
      const c = client();
      const error = await c.getInsights(refused.callUuid).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoCallRefusedError);
      expect(error).toMatchObject({ status, callUuid: refused.callUuid });
      expect(c.stats().requests).toBe(1);
      await expect(c.getInsights(other.callUuid)).resolves.toMatchObject({ callUuid: other.callUuid });
    },
  );
});
