/**
 * The Plivo sandbox over real HTTP with plain fetch: what a client sees.
 */
import {
  OVERSIZED_BODY_BYTES,
  startPlivoSandbox,
  type PlivoSandbox,
  type PlivoSandboxOptions,
} from '../../sandbox/plivo-sandbox';
import {
  ALERTING_INCIDENTS,
  QUIET_INCIDENTS,
  generateTraffic,
  type SandboxCall,
} from '../../sandbox/traffic';
import { waitFor } from '../support/wait-for';

const AUTH_ID = 'MATEST00000000000001';
const AUTH_TOKEN = 'test-token-not-a-secret';
const NOW = new Date('2024-06-01T12:00:00Z');
const LIST = `/v1/Account/${AUTH_ID}/Zentrunk/Call/`;

const basic = (id: string, token: string) => `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`;
const plivoTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

interface Response {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

let sandbox: PlivoSandbox;
let clock: Date;

async function start(options: Partial<PlivoSandboxOptions> = {}): Promise<PlivoSandbox> {
  clock = NOW;
  sandbox = await startPlivoSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN, now: () => clock, ...options });
  return sandbox;
}

afterEach(async () => {
  await sandbox?.close();
});

async function get(
  path: string,
  query: Record<string, string | number> = {},
  init: { auth?: string | null; method?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  const headers: Record<string, string> = {};
  const auth = init.auth === undefined ? basic(AUTH_ID, AUTH_TOKEN) : init.auth;
  if (auth !== null) headers.Authorization = auth;
  const res = await fetch(`${sandbox.baseUrl}${path}${qs ? `?${qs}` : ''}`, {
    method: init.method ?? 'GET',
    headers,
    signal: init.signal,
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Non-JSON bodies are part of what is under test; callers look at `text`.
  }
  return { status: res.status, headers: res.headers, text, body };
}

type Meta = { limit: number; offset: number; total_count: number; next: unknown; previous: unknown };
const meta = (r: Response) => r.body.meta as Meta;
const objects = (r: Response) => r.body.objects as Array<Record<string, unknown>>;

async function listAll(query: Record<string, string | number> = {}): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (let offset = 0; ; offset += 20) {
    const r = await get(LIST, { ...query, limit: 20, offset });
    expect(r.status).toBe(200);
    out.push(...objects(r));
    if (offset + 20 >= meta(r).total_count) return out;
  }
}

const uuidsOf = (objs: Array<Record<string, unknown>>) => objs.map((o) => o.call_uuid as string).sort();
const uuidsWhere = (calls: SandboxCall[], p: (c: SandboxCall) => boolean) =>
  calls
    .filter(p)
    .map((c) => c.callUuid)
    .sort();

/** The filter selected exactly the expected calls, and the expectation is neither empty nor everything. */
async function expectFilter(
  calls: SandboxCall[],
  query: Record<string, string | number>,
  p: (c: SandboxCall) => boolean,
) {
  const expected = uuidsWhere(calls, p);
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(calls.length);
  expect(uuidsOf(await listAll(query))).toEqual(expected);
}

/** 90 minutes of traffic plus every non-malformed incident, all CDRs visible at NOW. */
function filterTraffic(): SandboxCall[] {
  return generateTraffic({
    seed: 11,
    from: minutesAgo(100),
    to: minutesAgo(10),
    callsPerMinute: 1,
    incidents: [...ALERTING_INCIDENTS.filter((k) => k !== 'late-cdr'), ...QUIET_INCIDENTS],
  });
}

describe('authentication', () => {
  it('answers 401 with a Plivo error body without or with wrong credentials, 200 with the right ones', async () => {
    await start({ calls: filterTraffic() });
    const none = await get(LIST, {}, { auth: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ api_id: expect.any(String), error: expect.any(String) });
    expect((await get(LIST, {}, { auth: basic(AUTH_ID, 'wrong') })).status).toBe(401);
    expect((await get(LIST, {}, { auth: basic('MAOTHER0000000000000', AUTH_TOKEN) })).status).toBe(401);
    expect((await get(LIST, {}, { auth: 'Bearer abc' })).status).toBe(401);
    const otherAccount = await get('/v1/Account/MAOTHER0000000000000/Zentrunk/Call/');
    expect(otherAccount.status).toBe(401);
    const ok = await get(LIST);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toEqual(expect.any(String));
  });

  it('answers 404 on unknown paths and 405 on other methods', async () => {
    await start();
    expect((await get(`/v1/Account/${AUTH_ID}/Call/`)).status).toBe(404);
    const post = await get(LIST, {}, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('list calls: paging', () => {
  it('pages 95 calls by 20, newest first, with meta and URL links', async () => {
    const calls = generateTraffic({
      seed: 5,
      from: minutesAgo(105),
      to: minutesAgo(10),
      callsPerMinute: 1,
      incidents: 'none',
    });
    expect(calls).toHaveLength(95);
    await start({ calls });
    const pages = [];
    for (let offset = 0; offset < 100; offset += 20) pages.push(await get(LIST, { offset, limit: 20 }));
    expect(pages.map((p) => objects(p).length)).toEqual([20, 20, 20, 20, 15]);
    expect(pages.map((p) => meta(p).total_count)).toEqual([95, 95, 95, 95, 95]);
    expect(pages.map((p) => meta(p).offset)).toEqual([0, 20, 40, 60, 80]);
    expect(meta(pages[0] as Response)).toEqual({
      limit: 20,
      offset: 0,
      total_count: 95,
      previous: null,
      next: `${LIST}?offset=20&limit=20`,
    });
    expect(meta(pages[4] as Response).next).toBeNull();
    expect(meta(pages[4] as Response).previous).toBe(`${LIST}?offset=60&limit=20`);
    const all = pages.flatMap(objects);
    expect(uuidsOf(all)).toEqual(uuidsWhere(calls, () => true));
    // Newest first, over the whole listing (variants differ, end_time is named the same in all).
    const ends = all.map((o) => o.end_time as string);
    expect(ends).toEqual([...ends].sort().reverse());
    // Default limit is 20; an offset past the end is an empty page.
    expect(objects(await get(LIST))).toHaveLength(20);
    expect(objects(await get(LIST, { offset: 500 }))).toEqual([]);
  });

  it('renders meta.next as booleans (legacy) or always null when told to', async () => {
    await start({ calls: filterTraffic(), metaNext: 'boolean' });
    const first = meta(await get(LIST, { limit: 5 }));
    expect([first.previous, first.next]).toEqual([false, true]);
    sandbox.settings.metaNext = 'null';
    const second = meta(await get(LIST, { limit: 5, offset: 5 }));
    expect([second.previous, second.next]).toEqual([null, null]);
  });
});

describe('list calls: filters', () => {
  let calls: SandboxCall[];
  beforeEach(async () => {
    calls = filterTraffic();
    await start({ calls });
  });

  it('call_direction', async () => {
    await expectFilter(calls, { call_direction: 'inbound' }, (c) => c.direction === 'inbound');
  });

  it('from_number and to_number as exact number or prefix, with or without +', async () => {
    const sample = calls[3] as SandboxCall;
    await expectFilter(calls, { to_number: sample.toNumber }, (c) => c.toNumber === sample.toNumber);
    await expectFilter(calls, { from_number: '44' }, (c) => c.fromNumber.startsWith('+44'));
    await expectFilter(calls, { from_number: '+1202' }, (c) => c.fromNumber.startsWith('+1202'));
  });

  it('hangup_cause_code and hangup_source', async () => {
    await expectFilter(calls, { hangup_source: 'zentrunk' }, (c) => c.hangupSource === 'zentrunk');
    await expectFilter(calls, { hangup_cause_code: 3020 }, (c) => c.hangupCauseCode === 3020);
  });

  it('stir_verification', async () => {
    const notVerified = await listAll({ stir_verification: 'Not Verified' });
    expect(uuidsOf(notVerified)).toHaveLength(2);
    expect(uuidsOf(notVerified)).toEqual(uuidsWhere(calls, (c) => c.stirVerification === 'Not Verified'));
  });

  it('bill_duration exact and ranges', async () => {
    const exact = (calls.find((c) => c.billDurationSec > 0) as SandboxCall).billDurationSec;
    await expectFilter(calls, { bill_duration: exact }, (c) => c.billDurationSec === exact);
    await expectFilter(calls, { bill_duration__gt: 60 }, (c) => c.billDurationSec > 60);
    await expectFilter(
      calls,
      { bill_duration__gte: 60, bill_duration__lte: 120 },
      (c) => c.billDurationSec >= 60 && c.billDurationSec <= 120,
    );
    await expectFilter(calls, { bill_duration__lt: 1 }, (c) => c.billDurationSec < 1);
  });

  it('end_time ranges (gt/gte/lt/lte), minute precision and an exact minute', async () => {
    const lo = minutesAgo(60);
    const hi = minutesAgo(30);
    await expectFilter(
      calls,
      { end_time__gte: plivoTime(lo).slice(0, 16), end_time__lt: plivoTime(hi).slice(0, 16) },
      (c) => c.endTime >= lo && c.endTime < hi,
    );
    await expectFilter(
      calls,
      { end_time__gt: plivoTime(lo), end_time__lte: plivoTime(hi) },
      (c) => c.endTime > lo && c.endTime <= hi,
    );
    const sample = calls[10] as SandboxCall;
    const minute = new Date(Math.floor(sample.endTime.getTime() / 60_000) * 60_000);
    await expectFilter(
      calls,
      { end_time: plivoTime(minute).slice(0, 16) },
      (c) => c.endTime >= minute && c.endTime.getTime() < minute.getTime() + 60_000,
    );
    await expectFilter(
      calls,
      { end_time: `${plivoTime(sample.endTime)}.000000` },
      (c) => c.endTime.getTime() === sample.endTime.getTime(),
    );
  });

  it('initiation_time (legacy) and trunk_id (legacy)', async () => {
    const lo = minutesAgo(45);
    await expectFilter(calls, { initiation_time__gte: plivoTime(lo) }, (c) => c.initiationTime >= lo);
    await expectFilter(calls, { trunk_id: '93667062664669661' }, (c) => c.trunkId === '93667062664669661');
  });

  it('searches the last 30 days without an end_time filter, up to 90 days with one', async () => {
    const old = generateTraffic({
      seed: 9,
      from: new Date(NOW.getTime() - 40 * 86_400_000),
      to: new Date(NOW.getTime() - 40 * 86_400_000 + 60_000),
      callsPerMinute: 3,
      incidents: 'none',
    });
    const ancient = generateTraffic({
      seed: 9,
      from: new Date(NOW.getTime() - 95 * 86_400_000),
      to: new Date(NOW.getTime() - 95 * 86_400_000 + 60_000),
      callsPerMinute: 3,
      incidents: 'none',
    });
    sandbox.addCalls([...old, ...ancient]);
    expect(meta(await get(LIST)).total_count).toBe(calls.length);
    const since = plivoTime(new Date(NOW.getTime() - 89 * 86_400_000));
    expect(meta(await get(LIST, { end_time__gte: since })).total_count).toBe(calls.length + old.length);
    // Past retention: not listed, and not retrievable one by one either.
    expect((await get(`${LIST}${(ancient[0] as SandboxCall).callUuid}/`)).status).toBe(404);
  });
});

describe('list calls: validation', () => {
  beforeEach(async () => {
    await start();
  });

  it.each([
    [{ limit: 21 }, 'limit'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ offset: -1 }, 'offset'],
    [{ call_direction: 'sideways' }, 'call_direction'],
    [{ hangup_source: 'pbx' }, 'hangup_source'],
    [{ stir_verification: 'verified' }, 'stir_verification'],
    [{ hangup_cause_code: 'busy' }, 'hangup_cause_code'],
    [{ bill_duration__gt: '1.5' }, 'bill_duration__gt'],
    [{ end_time__gte: '2024-06-01T10:00:00Z' }, 'end_time__gte'],
    [{ end_time__gte: '2024-02-30 10:00' }, 'end_time__gte'],
    [{ end_time__lt: '2024-06-01 10:00' }, 'lower bound'],
    [{ end_time__gte: '2024-01-01 00:00', end_time__lte: '2024-05-31 00:00' }, '90 days'],
    [{ end_time__gte: '2024-02-01 00:00' }, '90 days'],
    [{ from_number: '' }, 'from_number'],
    [{ from_number: ' 1202' }, 'from_number'],
    [{ status: 'completed' }, 'status'],
  ])('answers 400 to %j', async (query, mentions) => {
    const r = await get(LIST, query as Record<string, string | number>);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ api_id: expect.any(String), error: expect.stringContaining(mentions) });
  });
});

describe('one call and its insights', () => {
  it('returns one CDR, 404 for an unknown UUID', async () => {
    const calls = filterTraffic();
    await start({ calls });
    const call = calls[0] as SandboxCall;
    const r = await get(`${LIST}${call.callUuid}/`);
    expect(r.status).toBe(200);
    expect(r.body.call_uuid).toBe(call.callUuid);
    const missing = await get(`${LIST}00000000-0000-4000-8000-000000000000/`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ api_id: expect.any(String), error: expect.any(String) });
  });

  it('answers 404 until the insights are ready, then the documented insights JSON', async () => {
    const [call] = generateTraffic({
      seed: 2,
      from: minutesAgo(3),
      to: minutesAgo(2),
      callsPerMinute: 0,
      incidents: ['high-jitter'],
      variants: ['current'],
    });
    if (!call?.insightsReadyAt) throw new Error('fixture: expected a call with insights');
    await start({ calls: [call] });
    const path = `${LIST}${call.callUuid}/Insights/`;
    clock = new Date(call.insightsReadyAt.getTime() - 1000);
    expect((await get(path)).status).toBe(404);
    clock = call.insightsReadyAt;
    const r = await get(path);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      api_id: expect.any(String),
      call_uuid: call.callUuid,
      from: { carrier: call.fromCarrier, number: call.fromNumber, region: call.fromCountry },
      to: { carrier: call.toCarrier, number: call.toNumber, region: call.toCountry },
      hangup_cause: call.hangupCauseName,
      hangup_source: call.hangupSource,
      rtt: String(call.rttMs),
      jitter: '41',
      packet_loss: String(call.packetLossPct),
      post_dial_delay: call.postDialDelayMs,
      plivo_quality_score: (call.qualityScore as number).toFixed(1),
    });
  });

  it('lists a late CDR only once it exists', async () => {
    const [late] = generateTraffic({
      seed: 4,
      from: minutesAgo(3),
      to: minutesAgo(2),
      callsPerMinute: 0,
      incidents: ['late-cdr'],
    });
    if (!late) throw new Error('fixture');
    await start({ calls: [late] });
    expect(meta(await get(LIST)).total_count).toBe(0);
    expect((await get(`${LIST}${late.callUuid}/`)).status).toBe(404);
    clock = late.cdrReadyAt;
    expect(meta(await get(LIST)).total_count).toBe(1);
  });

  it('renders the payload variants and malformed records', async () => {
    const calls = generateTraffic({ seed: 8, from: minutesAgo(60), to: minutesAgo(10), callsPerMinute: 2 });
    await start({ calls });
    const all = await listAll();
    expect(all).toHaveLength(calls.filter((c) => c.cdrReadyAt <= NOW).length);
    expect(all.some((o) => typeof o.from_number === 'number' && 'hangup_code' in o && 'duration' in o)).toBe(
      true,
    );
    expect(
      all.some((o) => o.stir_verification === 'not applicable' && o.attestation_indicator === 'null'),
    ).toBe(true);
    expect(all.some((o) => 'call_id' in o && 'cnam_lookup' in o)).toBe(true);
    expect(all.filter((o) => !('call_uuid' in o))).toHaveLength(1);
    expect(all.filter((o) => o.end_time === '0000-00-00 00:00:00')).toHaveLength(1);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past 300 requests in 5 s, and serves again once the window moves', async () => {
    await start();
    for (let batch = 0; batch < 6; batch += 1) {
      const statuses = await Promise.all(Array.from({ length: 50 }, () => get(LIST).then((r) => r.status)));
      expect(statuses.every((s) => s === 200)).toBe(true);
    }
    const over = await get(LIST);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('5');
    expect(over.body).toEqual({ api_id: expect.any(String), error: expect.any(String) });
    clock = new Date(NOW.getTime() + 5000);
    expect((await get(LIST)).status).toBe(200);
  });
});

describe('latency', () => {
  it('each API request takes a round trip drawn from [min, max], the same draws for the same seed', async () => {
    const draws = async (seed: number) => {
      await start({ latency: { minMs: 80, maxMs: 150, seed } });
      const started = Date.now();
      for (let i = 0; i < 5; i += 1) expect((await get(LIST)).status).toBe(200);
      const elapsed = Date.now() - started;
      expect((await get('/health')).status).toBe(404);
      const latencies = sandbox.requests.map((r) => r.latencyMs);
      await sandbox.close();
      // The client sees the whole round trip.
      expect(elapsed).toBeGreaterThanOrEqual(
        latencies.slice(0, 5).reduce((sum: number, ms) => sum + (ms as number), 0) - 5,
      );
      return latencies;
    };
    const first = await draws(3);
    expect(first.slice(0, 5).every((ms) => ms !== undefined && ms >= 80 && ms <= 150)).toBe(true);
    expect(first[5]).toBeUndefined(); // not an API path
    expect(await draws(3)).toEqual(first);
    expect(await draws(4)).not.toEqual(first);
  });

  it('refuses a range with max below min', async () => {
    await expect(start({ latency: { minMs: 100, maxMs: 50 } })).rejects.toThrow(RangeError);
  });
});

describe('stats', () => {
  it('counts API requests received and served, the rate limit 429s apart from all 429s, and the peak of the window', async () => {
    await start({ rateLimit: { requests: 3, windowMs: 5000 }, faults: { status429Every: 2 } });
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await get(LIST)).status);
    await get('/health');
    // 2 and 4 and 6 are the injected fault; 1, 3 and 5 are counted by the limit, which is full after 3.
    expect(statuses).toEqual([200, 429, 200, 429, 200, 429]);
    expect(sandbox.stats()).toEqual({
      received: 6,
      served: 3,
      rateLimited: 0,
      throttled: 3,
      peakInWindow: 3,
    });
    expect((await get(LIST)).status).toBe(429);
    expect(sandbox.stats()).toMatchObject({ received: 7, rateLimited: 1, throttled: 4, peakInWindow: 3 });
    sandbox.resetRequests();
    expect(sandbox.stats()).toEqual({
      received: 0,
      served: 0,
      rateLimited: 0,
      throttled: 0,
      peakInWindow: 0,
    });
  });
});

describe('faults', () => {
  it('status429Every: every Nth request is 429, Retry-After only when configured', async () => {
    await start({ faults: { status429Every: 3 } });
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await get(LIST)).status);
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    expect(sandbox.requests.map((r) => r.fault)).toEqual([null, null, '429', null, null, '429']);
    sandbox.faults.retryAfterSeconds = 2;
    sandbox.faults.status429Every = 1;
    expect((await get(LIST)).headers.get('retry-after')).toBe('2');
  });

  it('status5xxEvery: every Nth request is a 500 with a JSON error', async () => {
    await start({ faults: { status5xxEvery: 2 } });
    expect((await get(LIST)).status).toBe(200);
    const r = await get(LIST);
    expect(r.status).toBe(500);
    expect(r.body.error).toEqual(expect.any(String));
  });

  it('delayMs: responses are slow', async () => {
    await start({ faults: { delayMs: 250 } });
    const started = Date.now();
    expect((await get(LIST)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('timeoutEvery: the request hangs, and close() does not', async () => {
    await start({ faults: { timeoutEvery: 2 } });
    expect((await get(LIST)).status).toBe(200);
    await expect(get(LIST, {}, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await get(LIST)).status).toBe(200);
    // Request 4 hangs until the sandbox closes.
    const hung4 = fetch(`${sandbox.baseUrl}${LIST}`, {
      headers: { Authorization: basic(AUTH_ID, AUTH_TOKEN) },
    });
    const settled = hung4.then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => sandbox.requests.length === 4);
    // close() ends the hung connection rather than wait for it (which would be until the test's
    // timeout: the client would wait minutes for an answer).
    await sandbox.close();
    expect(await settled).toBe('failed');
    expect(sandbox.requests.map((r) => [r.status, r.fault])).toEqual([
      [200, null],
      [null, 'timeout'],
      [200, null],
      [null, 'timeout'],
    ]);
  });

  it('truncatedBodyEvery: a 200 whose JSON body stops half way', async () => {
    await start({ faults: { truncatedBodyEvery: 1 }, calls: filterTraffic() });
    const r = await get(LIST);
    expect(r.status).toBe(200);
    expect(r.text.startsWith('{"api_id"')).toBe(true);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it('nonJsonEvery: an HTML error page from a proxy', async () => {
    await start({ faults: { nonJsonEvery: 1 } });
    const r = await get(LIST);
    expect(r.status).toBe(502);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain('<html>');
  });

  it('schemaDrift: numeric fields arrive as objects', async () => {
    const calls = filterTraffic();
    const call = calls.find(
      (c) => c.variant === 'current' && c.insightsReadyAt && c.rttMs !== null,
    ) as SandboxCall;
    await start({ faults: { schemaDrift: true }, calls });
    const cdr = await get(`${LIST}${call.callUuid}/`);
    expect(cdr.body.bill_duration).toEqual({ value: call.billDurationSec, unit: 'seconds' });
    clock = new Date(NOW.getTime() + 3600_000);
    const insights = await get(`${LIST}${call.callUuid}/Insights/`);
    expect(insights.body.rtt).toEqual({ value: String(call.rttMs), unit: 'ms' });
  });

  it('insightsNeverReady: every insights request is 404', async () => {
    const calls = filterTraffic();
    const call = calls.find((c) => c.insightsReadyAt) as SandboxCall;
    await start({ faults: { insightsNeverReady: true }, calls });
    clock = new Date(NOW.getTime() + 86_400_000);
    expect((await get(`${LIST}${call.callUuid}/Insights/`)).status).toBe(404);
    sandbox.faults.insightsNeverReady = false;
    expect((await get(`${LIST}${call.callUuid}/Insights/`)).status).toBe(200);
  });

  it("insightsStatusByCall: one call's Insights answer 400 / 410 / 403 every time, the others are served", async () => {
    const calls = filterTraffic();
    const [refused, other] = calls.filter((c) => c.insightsReadyAt) as [SandboxCall, SandboxCall];
    await start({ faults: { insightsStatusByCall: { [refused.callUuid]: 400 } }, calls });
    clock = new Date(NOW.getTime() + 86_400_000);
    const insightsOf = (c: SandboxCall) => get(`${LIST}${c.callUuid}/Insights/`);
    for (let i = 0; i < 2; i += 1) {
      const r = await insightsOf(refused);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ api_id: expect.any(String), error: expect.any(String) });
      expect(r.headers.get('x-request-id')).toEqual(expect.any(String));
    }
    expect((await insightsOf(other)).status).toBe(200);
    // The CDR of the refused call is still served.
    expect((await get(`${LIST}${refused.callUuid}/`)).status).toBe(200);
    sandbox.faults.insightsStatusByCall[refused.callUuid] = 410;
    expect((await insightsOf(refused)).status).toBe(410);
    sandbox.faults.insightsStatusByCall = { [refused.callUuid]: 403 };
    expect((await insightsOf(refused)).status).toBe(403);
    expect(sandbox.requests.map((r) => r.fault)).toEqual([
      'insights-status',
      'insights-status',
      null,
      null,
      'insights-status',
      'insights-status',
    ]);
    sandbox.faults.insightsStatusByCall = {};
    expect((await insightsOf(refused)).status).toBe(200);
    // Credentials are checked first, as for every request.
    sandbox.faults.insightsStatusByCall = { [refused.callUuid]: 400 };
    expect((await get(`${LIST}${refused.callUuid}/Insights/`, {}, { auth: null })).status).toBe(401);
  });

  it('endTimeFilterSlackSeconds: calls that ended just outside the asked window are listed too', async () => {
    const calls = filterTraffic();
    await start({ calls });
    const window = { end_time__gte: plivoTime(minutesAgo(60)), end_time__lt: plivoTime(minutesAgo(30)) };
    const inWindow = (c: SandboxCall, slackMs: number) =>
      c.endTime.getTime() >= minutesAgo(60).getTime() - slackMs &&
      c.endTime.getTime() < minutesAgo(30).getTime() + slackMs;
    expect(uuidsOf(await listAll(window))).toEqual(uuidsWhere(calls, (c) => inWindow(c, 0)));
    sandbox.faults.endTimeFilterSlackSeconds = 150;
    const listed = await listAll(window);
    expect(uuidsOf(listed)).toEqual(uuidsWhere(calls, (c) => inWindow(c, 150_000)));
    const outside = calls.filter((c) => inWindow(c, 150_000) && !inWindow(c, 0));
    expect(outside.length).toBeGreaterThan(0);
  });

  it('totalCountShortBy: meta.total_count understates the calls while meta.next still leads on', async () => {
    const calls = filterTraffic();
    await start({ calls, faults: { totalCountShortBy: 25 } });
    const truth = calls.length;
    expect(truth).toBeGreaterThan(60);
    const first = meta(await get(LIST, { limit: 20, offset: 0 }));
    expect(first.total_count).toBe(truth - 25);
    const lastFull = Math.floor((truth - 1) / 20) * 20 - 20;
    const beyondTotal = meta(await get(LIST, { limit: 20, offset: lastFull }));
    expect(lastFull + 20).toBeGreaterThanOrEqual(truth - 25);
    expect(beyondTotal.next).toBe(`${LIST}?limit=20&offset=${lastFull + 20}`);
    sandbox.faults.totalCountShortBy = truth + 1;
    expect(meta(await get(LIST)).total_count).toBe(0);
  });

  it('oversizedBodyEvery: every Nth 2xx answer padded past OVERSIZED_BODY_BYTES, still valid JSON', async () => {
    await start({ calls: filterTraffic(), faults: { oversizedBodyEvery: 2 } });
    const normal = await get(LIST);
    const oversized = await get(LIST);
    expect(normal.text.length).toBeLessThan(100_000);
    expect(Buffer.byteLength(oversized.text)).toBe(OVERSIZED_BODY_BYTES);
    expect(Number(oversized.headers.get('content-length'))).toBe(OVERSIZED_BODY_BYTES);
    expect(objects(oversized)).toEqual(objects(normal));
    expect(oversized.body.padding).toEqual(expect.any(String));
    // Only 2xx answers are padded.
    await get(LIST);
    expect((await get(`${LIST}no-such-call/`)).text.length).toBeLessThan(1000);
    expect(sandbox.requests.map((r) => r.fault)).toEqual([null, 'oversized', null, null]);
  });

  it('rejectCredentialsAfter: 401 once N requests have been made; resetRequests restarts the count', async () => {
    await start({ faults: { rejectCredentialsAfter: 2 } });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await get(LIST)).status);
    expect(statuses).toEqual([200, 200, 401, 401]);
    sandbox.resetRequests();
    expect(sandbox.requests).toEqual([]);
    expect((await get(LIST)).status).toBe(200);
  });

  it('applies only to API paths, and logs every request', async () => {
    await start({ faults: { status5xxEvery: 1 } });
    expect((await get('/health')).status).toBe(404);
    expect((await get(LIST, { limit: 5 })).status).toBe(500);
    expect(sandbox.requests).toEqual([
      { method: 'GET', path: '/health', query: {}, status: 404, fault: null },
      { method: 'GET', path: LIST, query: { limit: '5' }, status: 500, fault: '5xx' },
    ]);
  });
});

describe('in-process fetch', () => {
  /** Status and body without the per-answer api_id, as plain fetch or the in-process one sees them. */
  async function answer(f: typeof fetch, path: string, auth: string | null = basic(AUTH_ID, AUTH_TOKEN)) {
    const res = await f(`${sandbox.baseUrl}${path}`, { headers: auth ? { Authorization: auth } : {} });
    const body = JSON.parse(await res.text()) as Record<string, unknown>;
    delete body.api_id;
    return { status: res.status, contentType: res.headers.get('content-type'), body };
  }

  it('answers as the server does: lists, pages, a call, its Insights, 404s and 401s', async () => {
    const calls = filterTraffic();
    const [someCall] = calls;
    if (!someCall) throw new Error('fixture');
    await start({ calls });
    const range = `end_time__gte=${encodeURIComponent(plivoTime(minutesAgo(70)))}&end_time__lt=${encodeURIComponent(plivoTime(minutesAgo(40)))}`;
    const paths = [
      `${LIST}?${range}&limit=20&offset=0`,
      `${LIST}?${range}&limit=20&offset=20`,
      `${LIST}?${range}&limit=1&offset=0&hangup_source=zentrunk`,
      `${LIST}?end_time=${encodeURIComponent(plivoTime(minutesAgo(50)).slice(0, 16))}`,
      LIST,
      `${LIST}${someCall.callUuid}/`,
      `${LIST}${someCall.callUuid}/Insights/`,
      `${LIST}no-such-call/Insights/`,
      `${LIST}?limit=21`,
    ];
    for (const path of paths) {
      expect(await answer(sandbox.fetch, path)).toEqual(await answer(fetch, path));
    }
    expect(await answer(sandbox.fetch, LIST, null)).toEqual(await answer(fetch, LIST, null));
    expect((await answer(sandbox.fetch, `${LIST}?${range}`)).status).toBe(200);
    // Counted like any request.
    expect(sandbox.stats().received).toBe(2 * (paths.length + 1) + 1);
  });

  it('lists calls added later in their place, and fails once the sandbox is closed', async () => {
    const calls = filterTraffic();
    await start({ calls: calls.slice(0, 40) });
    sandbox.addCalls(calls.slice(40));
    const listed: string[] = [];
    for (let offset = 0; ; offset += 20) {
      const r = await answer(sandbox.fetch, `${LIST}?limit=20&offset=${offset}`);
      const page = r.body.objects as Array<Record<string, unknown>>;
      listed.push(...page.map((o) => o.call_uuid as string));
      if (page.length < 20) break;
    }
    expect(listed).toEqual(
      [...calls]
        .sort((a, b) => b.endTime.getTime() - a.endTime.getTime() || a.callUuid.localeCompare(b.callUuid))
        .map((c) => c.callUuid),
    );
    await sandbox.close();
    await expect(sandbox.fetch(`${sandbox.baseUrl}${LIST}`)).rejects.toThrow(/closed/);
  });
});
