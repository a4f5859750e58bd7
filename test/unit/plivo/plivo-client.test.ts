import {
  buildListQuery,
  formatPlivoTime,
  MAX_BODY_BYTES,
  parseRetryAfter,
  PlivoClient,
  type PlivoClientOptions,
} from '../../../functions/adapters/plivo/plivo-client';
import { RateLimiter } from '../../../functions/adapters/plivo/rate-limiter';
import {
  PlivoAuthError,
  PlivoCallRefusedError,
  PlivoRequestError,
  PlivoUnavailableError,
} from '../../../functions/adapters/plivo/plivo-errors';
import type { AlertConfig } from '../../../functions/core/config/schema';
import {
  CallRequestRefusedError,
  FatalSourceError,
  SourceUnavailableError,
} from '../../../functions/core/errors';
import type { Logger } from '../../../functions/core/ports';
import { type HttpStub, type StubHandler, type StubRequest, startHttpStub } from '../../support/http-stub';
import { documentedInsights } from '../../support/plivo-documented';

const AUTH_ID = 'MAZDQ1ZJIYMDZKMTEST';
const AUTH_TOKEN = 'ZTc3MjE0ZDhkNzQ4YjQxOGNiYzE4ZmFhYzQ0Mjg1';
const BASIC = Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64');
const LIST_PATH = `/v1/Account/${AUTH_ID}/Zentrunk/Call/`;

const WINDOW = { from: new Date('2024-01-15T14:00:00Z'), to: new Date('2024-01-15T15:00:00Z') };

function plivoConfig(overrides: Partial<AlertConfig['plivo']> = {}): AlertConfig['plivo'] {
  return {
    maxRequestsPer5s: 300,
    insightsConcurrency: 4,
    // A stub on 127.0.0.1 answers well within this however busy the machine: no test times out
    // by accident. The timeout tests use stubs that never answer.
    requestTimeoutMs: 20_000,
    maxAttempts: 3,
    callFilters: {},
    ...overrides,
  };
}

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function record(i: number): Record<string, unknown> {
  return {
    call_uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    from_number: '+12025551234',
    to_number: '+13128574907',
    call_direction: 'outbound',
    call_duration: 180,
    bill_duration: 180,
    end_time: '2024-01-15 14:32:00',
    hangup_cause_code: 3000,
    hangup_source: 'carrier',
    stir_verification: 'Verified',
    attestation_indicator: 'A',
  };
}

/** Plivo's list endpoint over a fixed set of records, paged by limit/offset. */
function listing(
  records: unknown[],
  meta: (offset: number, limit: number) => Record<string, unknown> = () => ({}),
) {
  return (req: StubRequest) => {
    const limit = Number(req.query['limit'] ?? 20);
    const offset = Number(req.query['offset'] ?? 0);
    return {
      body: {
        api_id: 'a04ad809-3b78-4bbe-9baf-acfc7800b10f',
        meta: {
          limit,
          offset,
          total_count: records.length,
          previous: null,
          next: null,
          ...meta(offset, limit),
        },
        objects: records.slice(offset, offset + limit),
      },
    };
  };
}

describe('PlivoClient', () => {
  let stub: HttpStub;
  let logger: ReturnType<typeof captureLogger>;
  let sleeps: number[];
  let clock: number;

  beforeAll(async () => {
    stub = await startHttpStub(() => ({ status: 500 }));
  });
  afterAll(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
    logger = captureLogger();
    sleeps = [];
    clock = Date.parse('2024-01-15T15:00:00Z');
  });

  function client(config: Partial<AlertConfig['plivo']> = {}, extra: Partial<PlivoClientOptions> = {}) {
    return new PlivoClient({
      baseUrl: `${stub.baseUrl}/`,
      authId: AUTH_ID,
      authToken: AUTH_TOKEN,
      config: plivoConfig(config),
      logger,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      random: () => 0.5,
      ...extra,
    });
  }

  function serve(handler: StubHandler) {
    stub.setHandler(handler);
  }

  /** Nothing a test can observe may carry the token or the Authorization header. */
  function expectNoSecrets(...things: unknown[]) {
    const text = JSON.stringify([
      things.map((t) => (t instanceof Error ? { ...t, m: t.message } : t)),
      logger.lines,
    ]);
    expect(text).not.toContain(AUTH_TOKEN);
    expect(text).not.toContain(BASIC);
  }

  describe('countCalls', () => {
    it("asks for one record and answers Plivo's total_count", async () => {
      serve(listing(Array.from({ length: 95 }, (_, i) => record(i))));
      await expect(client().countCalls(WINDOW)).resolves.toBe(95);
      expect(stub.requests).toHaveLength(1);
      expect(stub.requests[0]?.query).toMatchObject({ limit: '1', offset: '0' });
    });

    it('answers null when the page carries no total_count, and 0 for an empty range without asking', async () => {
      serve(listing([record(1)], () => ({ total_count: undefined })));
      await expect(client().countCalls(WINDOW)).resolves.toBeNull();
      await expect(client().countCalls({ from: WINDOW.from, to: WINDOW.from })).resolves.toBe(0);
      expect(stub.requests).toHaveLength(1);
    });
  });

  describe('listCalls', () => {
    it('follows every page: 95 calls in 5 pages of 20', async () => {
      serve(listing(Array.from({ length: 95 }, (_, i) => record(i))));
      const result = await client().listCalls(WINDOW);

      expect(result.calls).toHaveLength(95);
      expect(result.skipped).toEqual([]);
      expect(result.pages).toBe(5);
      // Pages after the first are asked for several at once: they may arrive in any order.
      expect(stub.requests[0]?.query['offset']).toBe('0');
      expect(stub.requests.map((r) => Number(r.query['offset'])).sort((a, b) => a - b)).toEqual([
        0, 20, 40, 60, 80,
      ]);
      for (const req of stub.requests) {
        expect(req.path).toBe(LIST_PATH);
        expect(req.headers.authorization).toBe(`Basic ${BASIC}`);
        expect(req.query).toMatchObject({
          end_time__gte: '2024-01-15 14:00:00',
          end_time__lt: '2024-01-15 15:00:00',
          limit: '20',
        });
      }
      expect(result.calls[94]?.callUuid).toBe(record(94)['call_uuid']);
    });

    it('stops on a short page when total_count is missing (legacy meta.next booleans)', async () => {
      const records = Array.from({ length: 45 }, (_, i) => record(i));
      serve(listing(records, (offset, limit) => ({ total_count: undefined, next: offset + limit < 45 })));
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(45);
      expect(stub.requests).toHaveLength(3);
    });

    it('stops when total_count is missing and meta.next is false, even on a full page', async () => {
      const records = Array.from({ length: 40 }, (_, i) => record(i));
      serve(
        listing(records, (offset) => ({
          total_count: undefined,
          next: offset === 0 ? 'https://x/?offset=20' : false,
        })),
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(40);
      expect(stub.requests).toHaveLength(2);
    });

    it('advances by the records received when a page is shorter than asked, and stops on an empty page', async () => {
      // Plivo claims 30 but hands out 10 per page and then runs dry at 25.
      const records = Array.from({ length: 25 }, (_, i) => record(i));
      serve((req) => {
        const offset = Number(req.query['offset']);
        return { body: { meta: { total_count: 30, offset }, objects: records.slice(offset, offset + 10) } };
      });
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(25);
      expect(stub.requests.map((r) => r.query['offset'])).toEqual(['0', '10', '20', '25']);
    });

    it('follows meta.next while total_count understates the calls (30 reported, 95 there)', async () => {
      const records = Array.from({ length: 95 }, (_, i) => record(i));
      serve(
        listing(records, (offset, limit) => ({
          total_count: 30,
          next: offset + limit < 95 ? `/v1/Account/${AUTH_ID}/Zentrunk/Call/?offset=${offset + limit}` : null,
        })),
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(95);
      expect(stub.requests.map((r) => r.query['offset'])).toEqual(['0', '20', '40', '60', '80']);
    });

    it('follows meta.next (true) over short pages when total_count is missing', async () => {
      const records = Array.from({ length: 45 }, (_, i) => record(i));
      serve((req) => {
        const offset = Number(req.query['offset']);
        return {
          body: {
            meta: { limit: 20, offset, next: offset + 10 < 45 },
            objects: records.slice(offset, offset + 10),
          },
        };
      });
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(45);
      expect(stub.requests.map((r) => r.query['offset'])).toEqual(['0', '10', '20', '30', '40']);
    });

    it('fails visibly when paging goes round in circles (pages of calls already listed, no meta.offset)', async () => {
      const firstPage = Array.from({ length: 20 }, (_, i) => record(i));
      serve(() => ({ body: { meta: { total_count: 95, next: 'more' }, objects: firstPage } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoUnavailableError);
      expect((error as Error).message).toMatch(/3 pages in a row .*no call not already listed/);
      expect(stub.requests).toHaveLength(4);
    });

    it('a skipped record met again on a later page is skipped once; pages of only those are no progress', async () => {
      const outside = Array.from({ length: 20 }, (_, i) => ({
        ...record(i),
        end_time: '2024-01-15 16:00:00',
      }));
      serve(() => ({ body: { meta: { next: true }, objects: outside } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/3 pages in a row/);
      expect(logger.lines.filter((l) => l.message === 'Plivo call record skipped')).toHaveLength(20);
    });

    it('stops on an empty page while Plivo still reports more, and says so', async () => {
      serve((req) =>
        req.query['offset'] === '0'
          ? { body: { meta: { total_count: 50, next: 'more' }, objects: [record(1)] } }
          : { body: { meta: { total_count: 50, next: 'more' }, objects: [] } },
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(1);
      expect(stub.requests).toHaveLength(2);
      const warn = logger.lines.find((l) => l.level === 'warn');
      expect(warn?.message).toMatch(/empty page/);
      expect(warn?.fields).toMatchObject({ offset: 1, totalCount: 50, next: true });
    });

    it('reports the highest total_count of its pages: a CDR written between two pages is no count that lies', async () => {
      // Page 1 answered before Plivo wrote the 26th CDR of the range, page 2 after.
      const records = Array.from({ length: 26 }, (_, i) => record(i));
      serve((req) =>
        req.query['offset'] === '0'
          ? { body: { meta: { total_count: 25 }, objects: records.slice(0, 20) } }
          : { body: { meta: { total_count: 26 }, objects: records.slice(20) } },
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(26);
      // The poll run compares this with the records listed (stages/list-slice.ts): 26 of 26.
      expect(result.reportedTotal).toBe(26);
    });

    it('drops a record repeated on the next page (the list grew while paging)', async () => {
      serve((req) =>
        req.query['offset'] === '0'
          ? { body: { meta: { total_count: 21 }, objects: Array.from({ length: 20 }, (_, i) => record(i)) } }
          : { body: { meta: { total_count: 21 }, objects: [record(19)] } },
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls).toHaveLength(20);
    });

    it('fails rather than loop when Plivo ignores the offset', async () => {
      const firstPage = Array.from({ length: 20 }, (_, i) => record(i));
      serve(() => ({ body: { meta: { total_count: 95, offset: 0 }, objects: firstPage } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoUnavailableError);
      expect((error as Error).message).toMatch(/offset 20.*offset 0/);
    });

    it('stops at maxPages when Plivo keeps reporting more', async () => {
      serve((req) => ({
        body: { meta: { total_count: 1_000_000 }, objects: [record(Number(req.query['offset']))] },
      }));
      await expect(client({}, { maxPages: 7 }).listCalls(WINDOW)).rejects.toThrow(
        /stopped paging after 7 pages/,
      );
      expect(stub.requests).toHaveLength(7);
    });

    it('skips a malformed record, traces it, and returns the others (the poll run logs it at warn)', async () => {
      const bad = { ...record(2), call_uuid: 'null' };
      serve(listing([record(1), bad, 'not an object', record(3)]));
      const result = await client().listCalls(WINDOW);
      expect(result.calls.map((c) => c.callUuid)).toEqual([record(1)['call_uuid'], record(3)['call_uuid']]);
      expect(result.skipped).toEqual([
        { callUuid: null, reason: expect.stringContaining('call_uuid') },
        { callUuid: null, reason: 'record is not a JSON object' },
      ]);
      const traced = logger.lines.filter((l) => l.message === 'Plivo call record skipped');
      expect(traced.map((l) => l.level)).toEqual(['debug', 'debug']);
      expect(traced[0]?.fields).toMatchObject({
        callUuid: null,
        reason: expect.stringContaining('call_uuid'),
      });
    });

    it('skips a record whose end_time is outside the window [from, to), with the reason, and traces it', async () => {
      const at = (i: number, endTime: string) => ({ ...record(i), end_time: endTime });
      serve(
        listing([
          at(1, '2024-01-15 14:00:00'), // = from: in
          at(2, '2024-01-15 13:59:59'),
          at(3, '2024-01-15 15:00:00'), // = to: out
          at(4, '2024-01-15 14:59:59'),
          at(5, '2024-01-16 09:00:00'),
        ]),
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls.map((c) => c.callUuid)).toEqual([record(1)['call_uuid'], record(4)['call_uuid']]);
      const outside = (i: number, iso: string) => ({
        callUuid: record(i)['call_uuid'],
        reason: `end_time ${iso} is outside the requested window [2024-01-15T14:00:00.000Z, 2024-01-15T15:00:00.000Z)`,
      });
      expect(result.skipped).toEqual([
        outside(2, '2024-01-15T13:59:59.000Z'),
        outside(3, '2024-01-15T15:00:00.000Z'),
        outside(5, '2024-01-16T09:00:00.000Z'),
      ]);
      expect(logger.lines.filter((l) => l.message === 'Plivo call record skipped')).toHaveLength(3);
    });

    it('judges end_time against the window asked of Plivo (bounds rounded up to whole seconds)', async () => {
      serve(
        listing([
          { ...record(1), end_time: '2024-01-15 14:00:00.600' },
          { ...record(2), end_time: '2024-01-15 14:00:05.700' },
        ]),
      );
      const result = await client().listCalls({
        from: new Date('2024-01-15T14:00:00.200Z'),
        to: new Date('2024-01-15T14:00:05.500Z'),
      });
      // Asked: end_time >= 14:00:01 and < 14:00:06 (the window before asked for < 14:00:01).
      expect(stub.requests[0]?.query).toMatchObject({
        end_time__gte: '2024-01-15 14:00:01',
        end_time__lt: '2024-01-15 14:00:06',
      });
      expect(result.calls.map((c) => c.callUuid)).toEqual([record(2)['call_uuid']]);
      expect(result.skipped).toEqual([
        { callUuid: record(1)['call_uuid'], reason: expect.stringContaining('outside the requested window') },
      ]);
    });

    it('sends config.callFilters, without the +, and no empty filter', async () => {
      serve(listing([]));
      await client({
        callFilters: { callDirection: 'outbound', fromNumber: '+1202', toNumber: '' },
      }).listCalls(WINDOW);
      expect(stub.requests[0]?.query).toEqual({
        end_time__gte: '2024-01-15 14:00:00',
        end_time__lt: '2024-01-15 15:00:00',
        call_direction: 'outbound',
        from_number: '1202',
        limit: '20',
        offset: '0',
      });
    });

    it('makes no request for an empty window and refuses windows over 90 days', async () => {
      serve(listing([]));
      const at = new Date('2024-01-15T14:00:00Z');
      await expect(client().listCalls({ from: at, to: at })).resolves.toEqual({
        calls: [],
        skipped: [],
        pages: 0,
      });
      await expect(
        client().listCalls({ from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-04-01T00:00:01Z') }),
      ).rejects.toThrow(/90 days/);
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe('listCalls: pages asked for ahead', () => {
    /**
     * A fetch that counts the client's requests in flight (asked for, not yet answered): what
     * the client does, whatever the speed of the machine or the order of the answers.
     */
    function countingFetch() {
      const flight = { now: 0, max: 0, asked: 0 };
      const counted: typeof fetch = async (input, init) => {
        flight.asked += 1;
        flight.now += 1;
        flight.max = Math.max(flight.max, flight.now);
        try {
          return await fetch(input, init);
        } finally {
          flight.now -= 1;
        }
      };
      return { flight, fetch: counted };
    }

    /** `listing` answered after a delay per page (to mix up the order the answers arrive in). */
    function slowListing(records: unknown[], delayFor: (offset: number) => number) {
      const answer = listing(records);
      serve((req) => ({ ...answer(req), delayMs: delayFor(Number(req.query['offset'])) }));
    }

    it('asks for the pages after the first several at once, and keeps the calls in offset order', async () => {
      const records = Array.from({ length: 200 }, (_, i) => record(i));
      // Later pages tend to answer first; the order of the calls must not depend on it.
      slowListing(records, (offset) => (offset === 0 ? 0 : 60 - offset / 10));
      const { flight, fetch: counted } = countingFetch();
      const result = await client({}, { fetch: counted }).listCalls(WINDOW);
      expect(result.calls.map((c) => c.callUuid)).toEqual(records.map((r) => r['call_uuid']));
      expect(result.pages).toBe(10);
      expect(stub.requests).toHaveLength(10);
      expect(flight.max).toBeGreaterThanOrEqual(3);
    });

    it('no more in flight than the budget needs: 4 at 60 requests / 5 s', async () => {
      const records = Array.from({ length: 400 }, (_, i) => record(i));
      serve(listing(records));
      const { flight, fetch: counted } = countingFetch();
      const result = await client({ maxRequestsPer5s: 60 }, { fetch: counted }).listCalls(WINDOW);
      expect(result.calls).toHaveLength(400);
      expect(flight.max).toBeGreaterThanOrEqual(2);
      expect(flight.max).toBeLessThanOrEqual(4);
    });

    it('pages one at a time without total_count', async () => {
      const records = Array.from({ length: 100 }, (_, i) => record(i));
      serve(listing(records, () => ({ total_count: undefined, next: undefined })));
      const { flight, fetch: counted } = countingFetch();
      const result = await client({}, { fetch: counted }).listCalls(WINDOW);
      expect(result.calls).toHaveLength(100);
      expect(flight.max).toBe(1);
      expect(stub.requests.map((r) => r.query['offset'])).toEqual(['0', '20', '40', '60', '80', '100']);
    });

    it('total_count too high: the calls there, the pages past the end answered and dropped, nothing left in flight', async () => {
      const records = Array.from({ length: 50 }, (_, i) => record(i));
      // Pages past the end fail: they were never needed, so they fail nothing. Their answers
      // come once paging has stopped (the client asks for offset 50 after dropping them): an
      // answer that came first would be retried, as any 503 is, and then how many requests the
      // stub sees would depend on which answer the client read first.
      let pagingStopped = () => {};
      const stopped = new Promise<void>((resolve) => (pagingStopped = resolve));
      serve(async (req) => {
        const offset = Number(req.query['offset']);
        if (offset === 50) pagingStopped();
        if (offset >= 60) {
          await stopped;
          return { status: 503, body: { error: 'busy' } };
        }
        return listing(records, () => ({ total_count: 500 }))(req);
      });
      const { flight, fetch: counted } = countingFetch();
      const result = await client({}, { fetch: counted }).listCalls(WINDOW);
      // Nothing in flight once the listing is back: the pages asked for ahead were waited for.
      expect(flight.now).toBe(0);
      expect(result.calls.map((c) => c.callUuid)).toEqual(records.map((r) => r['call_uuid']));
      expect(result.skipped).toEqual([]);
      const asked = stub.requests.length;
      // 0, 20, 40 (short: paging ahead stops), 50 (empty); 60, 80 and 100 asked ahead and
      // dropped, each tried once only.
      expect(stub.requests.map((r) => Number(r.query['offset'])).sort((a, b) => a - b)).toEqual([
        0, 20, 40, 50, 60, 80, 100,
      ]);
      // And nothing asked for afterwards (a retry of a dropped page would be asked at once: the
      // test's sleep takes no time).
      await new Promise((resolve) => setImmediate(resolve));
      expect(flight.asked).toBe(asked);
      expect(stub.requests).toHaveLength(asked);
      expect(logger.lines.find((l) => l.level === 'warn')?.message).toMatch(/empty page/);
    });

    it('a failed page fails the listing as it would one page at a time', async () => {
      const records = Array.from({ length: 200 }, (_, i) => record(i));
      serve((req) =>
        req.query['offset'] === '60'
          ? { status: 401, body: { error: 'Authentication failed' } }
          : listing(records)(req),
      );
      await expect(client().listCalls(WINDOW)).rejects.toBeInstanceOf(PlivoAuthError);
    });

    it('never asks for a page past maxPages', async () => {
      serve(listing(Array.from({ length: 1000 }, (_, i) => record(i))));
      await expect(client({}, { maxPages: 4 }).listCalls(WINDOW)).rejects.toThrow(
        /stopped paging after 4 pages/,
      );
      expect(stub.requests).toHaveLength(4);
    });

    it('drops a record repeated on a page fetched ahead (the list grew between two requests)', async () => {
      const records = Array.from({ length: 60 }, (_, i) => record(i));
      // Pages from offset 40 on were read after a new call pushed every record one place down.
      const grown = [record(999), ...records];
      serve((req) =>
        Number(req.query['offset']) >= 40
          ? listing(grown)(req)
          : listing(records, () => ({ total_count: 61 }))(req),
      );
      const result = await client().listCalls(WINDOW);
      // record(39), met again at offset 40, is dropped; record(59) comes at offset 60.
      expect(result.calls.map((c) => c.callUuid)).toEqual(records.map((r) => r['call_uuid']));
      expect(stub.requests.map((r) => Number(r.query['offset'])).sort((a, b) => a - b)).toEqual([
        0, 20, 40, 60,
      ]);
    });
  });

  describe('errors and retries', () => {
    it('401: PlivoAuthError at once, message names the status and Plivo, never the token', async () => {
      serve(() => ({ status: 401, body: { api_id: 'x', error: 'Authentication failed' } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoAuthError);
      expect(error).toBeInstanceOf(FatalSourceError);
      expect((error as Error).name).toBe('PlivoAuthError');
      expect((error as Error).message).toMatch(/HTTP 401.*Authentication failed/);
      expect(stub.requests).toHaveLength(1);
      expect(sleeps).toEqual([]);
      expectNoSecrets(error);
    });

    it('403 on the list is a credentials error too, even when Plivo echoes the token back', async () => {
      serve(() => ({ status: 403, body: { error: `token ${AUTH_TOKEN} / Basic ${BASIC} not allowed` } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoAuthError);
      expect((error as Error).message).toContain('HTTP 403');
      expectNoSecrets(error);
    });

    it("400: a bad-request PlivoRequestError with Plivo's error and the request, without the Auth ID", async () => {
      serve(() => ({ status: 400, body: { api_id: 'x', error: 'end_time range exceeds 90 days' } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoRequestError);
      expect(error).toBeInstanceOf(FatalSourceError);
      expect(error).toMatchObject({ kind: 'bad-request', status: 400, failure: 'unexpected-error' });
      const message = (error as Error).message;
      expect(message).toMatch(/^Plivo refused the request \(/);
      expect(message).toContain('HTTP 400');
      expect(message).toContain('end_time range exceeds 90 days');
      expect(message).toContain('/v1/Account/{auth_id}/Zentrunk/Call/?end_time__gte=2024-01-15+14%3A00%3A00');
      expect(message).not.toContain(AUTH_ID);
      expect(stub.requests).toHaveLength(1);
      expectNoSecrets(error);
    });

    it('another 4xx (405) is fatal and not retried', async () => {
      serve(() => ({ status: 405, body: { error: 'Method not allowed' } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoRequestError);
      expect(error).toMatchObject({ kind: 'unexpected-response', status: 405, failure: 'unexpected-error' });
      expect((error as Error).message).toMatch(
        /^Unexpected answer from Plivo \(HTTP 405; Plivo says: Method not allowed/,
      );
      expect(stub.requests).toHaveLength(1);
    });

    // random() = 0.5 in these tests: Retry-After plus half of its 20 % jitter.
    it('429 with Retry-After in seconds: waits at least that long, then succeeds', async () => {
      serve((_req, i) =>
        i === 0
          ? { status: 429, headers: { 'retry-after': '2' }, body: { error: 'Too many requests' } }
          : listing([record(1)])(_req),
      );
      const c = client();
      const result = await c.listCalls(WINDOW);
      expect(result.calls).toHaveLength(1);
      expect(sleeps).toEqual([2200]);
      expect(c.stats()).toMatchObject({ requests: 2, retries: 1, throttled: 1 });
      const warn = logger.lines.find((l) => l.level === 'warn');
      expect(warn?.fields).toMatchObject({ status: 429, attempt: 2, maxAttempts: 3, delayMs: 2200 });
      expectNoSecrets();
    });

    it('every 429 is reported to the rate limiter, which pauses all requests and slows down', async () => {
      const limiter = new RateLimiter({
        maxRequests: 300,
        now: () => clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
      });
      serve((req, i) =>
        i === 0
          ? { status: 429, body: { error: 'Too many requests' } }
          : i === 1
            ? { status: 429, headers: { 'retry-after': '3' } }
            : listing([record(1)])(req),
      );
      await client({}, { limiter }).listCalls(WINDOW);
      // No Retry-After: the backoff (250 ms) is shorter than the limiter's 1 s pause, which the
      // next request waits out; then 3 s asked, 3.3 s waited by the backoff.
      expect(sleeps).toEqual([250, 750, 3300]);
      // Halved once (both 429s in one window), and 300 ms into its recovery: 150 + 300 × 30 / 5000.
      expect(limiter.stats()).toMatchObject({
        throttleEvents: 2,
        decreases: 1,
        effectiveLimit: 151,
        granted: 3,
      });
    });

    it('429 with Retry-After as an HTTP date, capped', async () => {
      const far = new Date(clock + 10 * 60_000).toUTCString();
      serve((req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': far } } : listing([])(req)));
      await client().listCalls(WINDOW);
      expect(sleeps).toEqual([22_000]);
    });

    it('5xx is retried with full-jitter backoff, then succeeds', async () => {
      serve((req, i) =>
        i < 2
          ? { status: i === 0 ? 500 : 503, rawBody: '<html>bad gateway</html>' }
          : listing([record(1)])(req),
      );
      const c = client();
      await expect(c.listCalls(WINDOW)).resolves.toMatchObject({ pages: 1 });
      // random() = 0.5: half of 500 ms, then half of 1000 ms.
      expect(sleeps).toEqual([250, 500]);
      expect(c.stats()).toMatchObject({ serverErrors: 2, retries: 2, requests: 3 });
    });

    it('retries exhausted: PlivoUnavailableError with the last status and attempts', async () => {
      serve(() => ({ status: 503, body: { error: 'Service Unavailable' } }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoUnavailableError);
      expect(error).toBeInstanceOf(SourceUnavailableError);
      expect(error).toMatchObject({ lastStatus: 503, attempts: 3 });
      expect((error as Error).message).toMatch(/after 3 attempt.*HTTP 503.*Service Unavailable/);
      expect(stub.requests).toHaveLength(3);
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields['attempt'])).toEqual([2, 3]);
      expectNoSecrets(error);
    });

    it('a request not answered within requestTimeoutMs times out and is retried', async () => {
      // The stub never answers (until it closes): each attempt times out, however fast or slow
      // the machine. That a retry can then succeed is the same path as after a 5xx.
      serve(() => ({ delayMs: 3_600_000 }));
      const c = client({ requestTimeoutMs: 100, maxAttempts: 2 });
      const error = await c.listCalls(WINDOW).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoUnavailableError);
      expect((error as Error).message).toContain('timed out after 100 ms');
      expect(c.stats()).toMatchObject({ timeouts: 2, retries: 1, requests: 2 });
      expect(stub.requests).toHaveLength(2);
    });

    it('a non-JSON 200 body is retried', async () => {
      serve((req, i) => (i === 0 ? { rawBody: '<html>maintenance</html>' } : listing([record(1)])(req)));
      const c = client();
      await expect(c.listCalls(WINDOW)).resolves.toMatchObject({ calls: [expect.anything()] });
      expect(c.stats()).toMatchObject({ invalidBodies: 1, retries: 1 });
    });

    it('a 200 body that is JSON but not a list envelope is retried, then reported', async () => {
      serve(() => ({ body: { api_id: 'x', error: 'something odd' } }));
      await expect(client().listCalls(WINDOW)).rejects.toThrow(/objects: missing or not an array/);
    });

    it('a truncated body and a dropped connection are retried', async () => {
      serve((req, i) =>
        i === 0
          ? { ...listing([record(1)])(req), truncate: true }
          : i === 1
            ? { destroy: true }
            : listing([record(1)])(req),
      );
      const c = client();
      await expect(c.listCalls(WINDOW)).resolves.toMatchObject({ pages: 1 });
      expect(c.stats().networkErrors + c.stats().invalidBodies).toBe(2);
      expect(c.stats().retries).toBe(2);
    });

    it('keeps to maxRequestsPer5s', async () => {
      serve(listing(Array.from({ length: 100 }, (_, i) => record(i))));
      await client({ maxRequestsPer5s: 2 }).listCalls(WINDOW);
      expect(stub.requests).toHaveLength(5);
      // Requests 3 and 5 had to wait for the 5-second window (plus the limiter's 200 ms margin) to slide.
      expect(sleeps).toEqual([5200, 5200]);
    });
  });

  describe('response size', () => {
    const big = (bytes: number) => ({
      api_id: 'x',
      meta: { total_count: 0 },
      objects: [],
      pad: 'x'.repeat(bytes),
    });

    it('the default cap is a few MB: a larger 200 body is retried like an unreadable one, then unavailable', async () => {
      expect(MAX_BODY_BYTES).toBeGreaterThanOrEqual(2 * 1024 * 1024);
      expect(MAX_BODY_BYTES).toBeLessThanOrEqual(16 * 1024 * 1024);
      serve(() => ({ body: big(MAX_BODY_BYTES + 1) }));
      const c = client();
      const error = await c.listCalls(WINDOW).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoUnavailableError);
      expect((error as Error).message).toContain(`response body larger than ${MAX_BODY_BYTES} bytes`);
      expect(c.stats()).toMatchObject({ requests: 3, retries: 2, invalidBodies: 3 });
    });

    it('maxBodyBytes: a body up to the cap is read, one byte more is not; a retry may then succeed', async () => {
      const body = JSON.stringify(big(0));
      const exact = JSON.stringify(big(1000 - body.length));
      serve((_req, i) => (i === 0 ? { rawBody: `${exact} ` } : { rawBody: exact }));
      const c = client({}, { maxBodyBytes: 1000 });
      await expect(c.listCalls(WINDOW)).resolves.toMatchObject({ calls: [] });
      expect(c.stats()).toMatchObject({ requests: 2, invalidBodies: 1 });
    });

    it('reads a body without Content-Length only up to the cap: an endless body fails on size, not on time', async () => {
      serve(() => ({ rawBody: 'x'.repeat(16_384), endless: true }));
      const c = client({ maxAttempts: 2 }, { maxBodyBytes: 100_000 });
      const error = await c.listCalls(WINDOW).catch((e: unknown) => e);
      expect((error as Error).message).toContain('response body larger than 100000 bytes');
      expect(c.stats()).toMatchObject({ timeouts: 0, invalidBodies: 2 });
    });

    it('an error answer with a huge body is still understood from its beginning (401 → PlivoAuthError)', async () => {
      serve(() => ({ status: 401, rawBody: `Authentication failed ${'x'.repeat(8 * 1024 * 1024)}` }));
      const error = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoAuthError);
      expect((error as Error).message).toContain('Authentication failed');
    });
  });

  describe('getInsights and getCall', () => {
    const UUID = 'c9d6be3d-94c3-4b38-a2eb-8063ca404d77';

    it('returns normalised insights', async () => {
      serve(() => ({
        body: documentedInsights(UUID),
      }));
      const insights = await client().getInsights(UUID);
      expect(stub.requests[0]?.path).toBe(`/v1/Account/${AUTH_ID}/Zentrunk/Call/${UUID}/Insights/`);
      expect(insights).toMatchObject({
        callUuid: UUID,
        rttMs: 24,
        jitterMs: 3,
        packetLossPct: 0,
        qualityScore: 4.2,
      });
    });

    it('404 on insights means not ready: null, no retry', async () => {
      serve(() => ({ status: 404, body: { api_id: 'x', error: 'not found' } }));
      await expect(client().getInsights(UUID)).resolves.toBeNull();
      expect(stub.requests).toHaveLength(1);
    });

    it.each([400, 403, 405, 410, 422, 451])(
      "insights %i: that call's request is refused (PlivoCallRefusedError, not fatal), not retried",
      async (status) => {
        serve(() => ({
          status,
          headers: { 'x-request-id': 'req-42' },
          body: { api_id: 'x', error: 'call_uuid is not a Zentrunk call' },
        }));
        const error = await client()
          .getInsights(UUID)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PlivoCallRefusedError);
        expect(error).toBeInstanceOf(CallRequestRefusedError);
        expect(error).not.toBeInstanceOf(FatalSourceError);
        expect(error).not.toBeInstanceOf(SourceUnavailableError);
        expect(error).toMatchObject({
          name: 'PlivoCallRefusedError',
          status,
          callUuid: UUID,
          plivoMessage: 'call_uuid is not a Zentrunk call',
          requestId: 'req-42',
          request: `GET /v1/Account/{auth_id}/Zentrunk/Call/${UUID}/Insights/`,
        });
        expect((error as Error).message).toContain(`HTTP ${status}`);
        expect((error as Error).message).toContain(UUID);
        expect(stub.requests).toHaveLength(1);
        expect(sleeps).toEqual([]);
      },
    );

    it('insights 401 is still the credentials (fatal)', async () => {
      serve(() => ({ status: 401, body: { error: 'Authentication failed' } }));
      const error = await client()
        .getInsights(UUID)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoAuthError);
      expect(error).toBeInstanceOf(FatalSourceError);
    });

    it('insights 429 and 5xx are retried, then PlivoUnavailableError (per call, not fatal)', async () => {
      serve((_req, i) => ({ status: i % 2 === 0 ? 429 : 502, body: { error: 'busy' } }));
      const error = await client()
        .getInsights(UUID)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlivoUnavailableError);
      expect(error).not.toBeInstanceOf(FatalSourceError);
      expect(stub.requests).toHaveLength(3);
    });

    it('the list request keeps its fatal errors: 410 is unexpected, 400 a bad request', async () => {
      serve(() => ({ status: 410, body: { error: 'Gone' } }));
      await expect(client().listCalls(WINDOW)).rejects.toMatchObject({
        name: 'PlivoRequestError',
        kind: 'unexpected-response',
        status: 410,
      });
      serve(() => ({ status: 400, body: { error: 'bad filter' } }));
      await expect(client().listCalls(WINDOW)).rejects.toMatchObject({
        name: 'PlivoRequestError',
        kind: 'bad-request',
        status: 400,
      });
    });

    it('insights naming another call are not trusted', async () => {
      serve(() => ({ body: { call_uuid: 'other-call', rtt: '24' } }));
      await expect(client().getInsights(UUID)).rejects.toThrow(/insights are for call other-call/);
    });

    it('getCall returns the normalised call, or null on 404', async () => {
      serve((_req, i) => (i === 0 ? { body: { ...record(7), call_uuid: UUID } } : { status: 404 }));
      const c = client();
      await expect(c.getCall(UUID)).resolves.toMatchObject({ callUuid: UUID, hangupCauseCode: 3000 });
      expect(stub.requests[0]?.path).toBe(`/v1/Account/${AUTH_ID}/Zentrunk/Call/${UUID}/`);
      await expect(c.getCall(UUID)).resolves.toBeNull();
    });

    it('refuses a call id that is not safe in a path', async () => {
      await expect(client().getInsights('../../Account')).rejects.toThrow(TypeError);
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe('secrets echoed back (an echoing proxy)', () => {
    const UUID = 'c9d6be3d-94c3-4b38-a2eb-8063ca404d77';
    // 190 characters of text first: a 200-character excerpt cut before the scrub keeps 10 of the token's.
    const PAD = 'x'.repeat(190);
    const FRAGMENTS = Array.from({ length: AUTH_TOKEN.length - 7 }, (_, i) => AUTH_TOKEN.slice(i, i + 8));

    /** Neither the token, the base64 credentials, nor any 8 characters of the token. */
    function expectNothingOfTheToken(...things: unknown[]) {
      const text = JSON.stringify([
        things.map((t) => (t instanceof Error ? { ...t, m: t.message } : t)),
        logger.lines,
      ]);
      expect(text).not.toContain(BASIC);
      for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
    }

    /** Echoes the Authorization header and the token in the body, in `error` and in X-Request-ID. */
    const echo =
      (status: number, shape: 'json' | 'text' | 'long-json' = 'json') =>
      (req: StubRequest) => {
        const authorization = String(req.headers.authorization);
        const headers = {
          'x-request-id': `${PAD.slice(0, 60)} ${authorization} ${AUTH_TOKEN}`,
          'retry-after': `${AUTH_TOKEN}`,
        };
        if (shape === 'text') {
          return { status, headers, rawBody: `${PAD}${AUTH_TOKEN} ${authorization} <b>${AUTH_TOKEN}</b>` };
        }
        const error =
          shape === 'long-json' ? `${PAD}${AUTH_TOKEN} and ${authorization}` : `${PAD}${AUTH_TOKEN}`;
        return { status, headers, body: { api_id: authorization, error, echoed: `${PAD}${AUTH_TOKEN}` } };
      };

    it.each(['json', 'text', 'long-json'] as const)(
      'a 5xx echoing the credentials (%s body): nothing of them in the error or the retry logs',
      async (shape) => {
        serve(echo(502, shape));
        const error = await client()
          .listCalls(WINDOW)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PlivoUnavailableError);
        expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
        expect((error as Error).message).toContain('[REDACTED]');
        expectNothingOfTheToken(error);
      },
    );

    it.each([400, 401, 403, 410])(
      'a %i echoing the credentials on the list: nothing of them',
      async (status) => {
        serve(echo(status, 'long-json'));
        const error = await client()
          .listCalls(WINDOW)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FatalSourceError);
        expectNothingOfTheToken(error);
      },
    );

    it.each([400, 403, 410])(
      "a %i echoing the credentials on one call's Insights: nothing of them",
      async (status) => {
        serve(echo(status, 'text'));
        const error = await client()
          .getInsights(UUID)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PlivoCallRefusedError);
        expectNothingOfTheToken(error);
      },
    );

    it('a 200 error envelope on Insights and on the list echoing the token: nothing of it', async () => {
      serve(echo(200, 'long-json'));
      const insightsError = await client()
        .getInsights(UUID)
        .catch((e: unknown) => e);
      expect(insightsError).toBeInstanceOf(PlivoUnavailableError);
      const listError = await client()
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      expect(listError).toBeInstanceOf(PlivoUnavailableError);
      expectNothingOfTheToken(insightsError, listError);
    });

    it('a list whose records carry the token: not in the calls, the skipped records or the logs', async () => {
      serve(
        listing([
          { ...record(1), trunk_domain: `${PAD}${AUTH_TOKEN}.zt.plivo.com` },
          { ...record(2), call_uuid: AUTH_TOKEN, end_time: `${AUTH_TOKEN}` },
          { ...record(3), call_direction: `${PAD}${AUTH_TOKEN}` },
        ]),
      );
      const result = await client().listCalls(WINDOW);
      expect(result.calls.length + result.skipped.length).toBe(3);
      expectNothingOfTheToken(result);
    });

    it('insights naming another call, whose id is the token or carries a piece of it: nothing of it', async () => {
      serve((_req, i) => ({
        body: {
          ...documentedInsights(UUID),
          call_uuid: i === 0 ? AUTH_TOKEN : `x-${AUTH_TOKEN.slice(3, 30)}`,
          to: { carrier: `${PAD}${AUTH_TOKEN}` },
        },
      }));
      const c = client({ maxAttempts: 1 });
      const first = await c.getInsights(UUID).catch((e: unknown) => e);
      const second = await c.getInsights(UUID).catch((e: unknown) => e);
      expect((second as Error).message).toMatch(/insights are for call/);
      expectNothingOfTheToken(first, second);
    });

    it('registers the token and the base64 credentials with a logger that keeps secrets', () => {
      const registered: string[] = [];
      client(
        {},
        { logger: Object.assign(captureLogger(), { addSecret: (v: string) => registered.push(v) }) },
      );
      expect(registered).toEqual(expect.arrayContaining([AUTH_TOKEN, BASIC]));
    });

    it('caps what it repeats of upstream text: the excerpt, the X-Request-ID', async () => {
      serve(() => ({
        status: 500,
        headers: { 'x-request-id': 'r'.repeat(5000) },
        body: { error: 'e'.repeat(5000) },
      }));
      const error = await client({ maxAttempts: 1 })
        .listCalls(WINDOW)
        .catch((e: unknown) => e);
      const message = (error as Error).message;
      expect(message).not.toContain('e'.repeat(201));
      expect(message).not.toContain('r'.repeat(129));
      expect(message.length).toBeLessThan(1000);
    });
  });

  it('stats() has the counters the metrics expect, as a copy', () => {
    const c = client();
    const stats = c.stats();
    expect(stats).toEqual({
      requests: 0,
      retries: 0,
      throttled: 0,
      serverErrors: 0,
      networkErrors: 0,
      timeouts: 0,
      invalidBodies: 0,
    });
    stats.requests = 99;
    expect(c.stats().requests).toBe(0);
  });
});

describe('buildListQuery', () => {
  const page = { offset: 40 };

  it('uses end_time__gte / end_time__lt in UTC seconds, with limit and offset', () => {
    expect(buildListQuery(WINDOW, {}, page)).toEqual({
      end_time__gte: '2024-01-15 14:00:00',
      end_time__lt: '2024-01-15 15:00:00',
      limit: '20',
      offset: '40',
    });
  });

  it('rounds sub-second bounds up: end times are whole seconds, the window stays half-open', () => {
    const q = buildListQuery(
      { from: new Date('2024-01-15T14:00:00.200Z'), to: new Date('2024-01-15T14:59:59.500Z') },
      {},
      page,
    );
    expect(q['end_time__gte']).toBe('2024-01-15 14:00:01');
    expect(q['end_time__lt']).toBe('2024-01-15 15:00:00');
  });

  it('maps every documented filter, strips +, and never sends an empty one', () => {
    const q = buildListQuery(
      WINDOW,
      {
        callDirection: 'inbound',
        fromNumber: '+44',
        toNumber: '1312',
        hangupSource: 'zentrunk',
        hangupCauseCode: 5030,
        stirVerification: 'not-verified',
        billDurationSec: { gte: 0, lt: 7200 },
      },
      page,
    );
    expect(q).toEqual({
      end_time__gte: '2024-01-15 14:00:00',
      end_time__lt: '2024-01-15 15:00:00',
      call_direction: 'inbound',
      from_number: '44',
      to_number: '1312',
      hangup_source: 'zentrunk',
      hangup_cause_code: '5030',
      stir_verification: 'Not Verified',
      bill_duration__gte: '0',
      bill_duration__lt: '7200',
      limit: '20',
      offset: '40',
    });
    expect(buildListQuery(WINDOW, { fromNumber: '', toNumber: '+', billDurationSec: {} }, page)).toEqual(
      buildListQuery(WINDOW, {}, page),
    );
  });

  it('refuses malformed filters, windows over 90 days, inverted windows and bad pages', () => {
    expect(() => buildListQuery(WINDOW, { fromNumber: '+1 202' }, page)).toThrow(/fromNumber/);
    expect(() => buildListQuery(WINDOW, { hangupCauseCode: -1 }, page)).toThrow(/hangupCauseCode/);
    const from = new Date('2024-01-01T00:00:00Z');
    expect(() =>
      buildListQuery({ from, to: new Date(from.getTime() + 90 * 86_400_000) }, {}, page),
    ).not.toThrow();
    expect(() =>
      buildListQuery({ from, to: new Date(from.getTime() + 90 * 86_400_000 + 1000) }, {}, page),
    ).toThrow(/90 days/);
    expect(() => buildListQuery({ from: WINDOW.to, to: WINDOW.from }, {}, page)).toThrow(
      /ends before it starts/,
    );
    expect(() => buildListQuery({ from: new Date(NaN), to: WINDOW.to }, {}, page)).toThrow(/valid dates/);
    expect(() => buildListQuery(WINDOW, {}, { offset: 0, limit: 21 })).toThrow(/limit/);
    expect(() => buildListQuery(WINDOW, {}, { offset: -1 })).toThrow(/offset/);
  });

  it('formats times as Plivo expects', () => {
    expect(formatPlivoTime(new Date('2024-03-05T07:08:09.999Z'))).toBe('2024-03-05 07:08:09');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-15T15:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Mon, 15 Jan 2024 15:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Mon, 15 Jan 2024 14:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
