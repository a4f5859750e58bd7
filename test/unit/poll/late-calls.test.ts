import { emptySummary } from '../../../functions/core/poll/run-context';
import {
  findLateParts,
  findRestParts,
  MAX_LATE_COUNT_REQUESTS,
} from '../../../functions/core/poll/stages/late-calls';
import type { CallSource, Logger, ReadRange } from '../../../functions/core/ports';

const T0 = Date.parse('2026-11-20T12:00:00Z');
const OVERLAP: ReadRange = { from: new Date(T0), to: new Date(T0 + 15 * 60_000) };

/** Plivo's view: one call per second of the overlap (900), some of them written late. */
function world(lateSeconds: number[], lie: (range: ReadRange, truth: number) => number = (_r, t) => t) {
  const ends = Array.from({ length: 900 }, (_, i) => T0 + i * 1000);
  const late = new Set(lateSeconds.map((s) => T0 + s * 1000));
  const inRange = (r: ReadRange, ms: number) => ms >= r.from.getTime() && ms < r.to.getTime();
  const counts: ReadRange[] = [];
  const source = {
    countCalls: async (r: ReadRange) => {
      counts.push(r);
      return lie(r, ends.filter((ms) => inRange(r, ms)).length);
    },
  } as unknown as CallSource;
  // What the poller saw before: every call but the late ones.
  const known = (r: ReadRange) => ends.filter((ms) => inRange(r, ms) && !late.has(ms)).length;
  const logger = { warn: () => undefined } as unknown as Logger;
  return { source, known, counts, ctx: { source, logger, summary: emptySummary('t') } };
}

const seconds = (r: ReadRange) => [(r.from.getTime() - T0) / 1000, (r.to.getTime() - T0) / 1000];

describe('findLateParts', () => {
  it('lists nothing, and asks nothing more, when Plivo counts no call it has not seen', async () => {
    const w = world([]);
    expect(await findLateParts(w.ctx, OVERLAP, 900, w.known)).toEqual([]);
    expect(w.counts).toHaveLength(0);
  });

  it('finds one late CDR among 900 calls with a few counts and one small part to list', async () => {
    const w = world([613]);
    // Plivo counts 900 in the overlap; 899 were seen.
    const parts = await findLateParts(w.ctx, OVERLAP, 900, w.known);
    expect(parts).toHaveLength(1);
    const [from, to] = seconds(parts[0]!.range);
    expect(from).toBeLessThanOrEqual(613);
    expect(to).toBeGreaterThan(613);
    // Listing 900 calls is 45 requests; finding it took a few counts (two per halving) and a
    // part of a few pages.
    expect(w.counts.length + Math.ceil(parts[0]!.count! / 20)).toBeLessThanOrEqual(12);
    expect(w.ctx.summary.lateCountRequests).toBe(w.counts.length);
  });

  it('finds late CDRs far apart, each in its own part', async () => {
    const w = world([12, 450, 899]);
    const parts = await findLateParts(w.ctx, OVERLAP, 900, w.known);
    for (const s of [12, 450, 899]) {
      expect(parts.some((p) => seconds(p.range)[0]! <= s && s < seconds(p.range)[1]!)).toBe(true);
    }
    // Counts and pages together, against 45 pages to list the overlap.
    const pages = parts.reduce((n, p) => n + Math.ceil((p.count ?? 0) / 20), 0);
    expect(w.counts.length + pages).toBeLessThan(36);
  });

  it('lists the whole overlap, uncounted, when the count is below what was already seen (a lie)', async () => {
    const w = world([]);
    const parts = await findLateParts(w.ctx, OVERLAP, 850, w.known);
    expect(parts.map((p) => p.count)).toEqual(parts.map(() => null));
    expect(parts[0]!.range.from).toEqual(OVERLAP.from);
    expect(parts.at(-1)!.range.to).toEqual(OVERLAP.to);
    expect(w.ctx.summary.countDistrusted).toBe(true);
  });

  it('lists the overlap when Plivo gives no count', async () => {
    const w = world([]);
    const parts = await findLateParts(w.ctx, OVERLAP, null, w.known);
    expect(parts.length).toBeGreaterThan(0);
    expect(parts[0]!.range.from).toEqual(OVERLAP.from);
  });

  it('spends at most MAX_LATE_COUNT_REQUESTS counts on a count too high, then lists what is left', async () => {
    const w = world([], (_r, truth) => truth + 500_000);
    const parts = await findLateParts(w.ctx, OVERLAP, 500_900, w.known);
    expect(w.counts.length).toBeLessThanOrEqual(MAX_LATE_COUNT_REQUESTS);
    expect(parts.length).toBeGreaterThan(0);
  });

  it('lists a part whose half counts more than the whole (counts that disagree)', async () => {
    const w = world([300], (r, truth) =>
      r.to.getTime() - r.from.getTime() < 15 * 60_000 ? truth + 5000 : truth,
    );
    const parts = await findLateParts(w.ctx, OVERLAP, 900, w.known);
    expect(parts).toEqual([{ range: OVERLAP, count: 900 }]);
  });

  it('lists a part it cannot count as seen (known: null)', async () => {
    const w = world([]);
    const parts = await findLateParts(w.ctx, OVERLAP, 900, () => null);
    expect(parts).toEqual([{ range: OVERLAP, count: 900 }]);
  });

  it('lists the part of a late CDR even when counts include the end of a range (an off-by-one at the bound)', async () => {
    // Plivo counts end_time <= to: each half holds the call at the middle twice over.
    const ends = Array.from({ length: 900 }, (_, i) => T0 + i * 1000);
    const lateMs = T0 + 700_000;
    const source = {
      countCalls: async (r: ReadRange) =>
        ends.filter((ms) => ms >= r.from.getTime() && ms <= r.to.getTime()).length,
    } as unknown as CallSource;
    const known = (r: ReadRange) =>
      ends.filter((ms) => ms >= r.from.getTime() && ms < r.to.getTime() && ms !== lateMs).length;
    const ctx = {
      source,
      logger: { warn: () => undefined } as unknown as Logger,
      summary: emptySummary('t'),
    };
    const parts = await findLateParts(ctx, OVERLAP, 900, known);
    expect(parts.some((p) => p.range.from.getTime() <= lateMs && lateMs < p.range.to.getTime())).toBe(true);
  });

  describe("the overlap's newest seconds first (tailMs)", () => {
    const TAIL_MS = 15_000;

    it('lists the last 15 s before the watermark, uncounted, with no count spent, when the overlap grew', async () => {
      // CDRs written 5-30 s after their call, read 15 s after it: the late ones end just before the watermark.
      const w = world([889, 893, 897]);
      const parts = await findLateParts(w.ctx, OVERLAP, 900, w.known, TAIL_MS);
      expect(parts).toHaveLength(1);
      expect(seconds(parts[0]!.range)).toEqual([885, 900]);
      expect(parts[0]!.count).toBeNull();
      expect(parts[0]!.rest?.growth).toBe(3);
      expect(seconds(parts[0]!.rest!.range)).toEqual([0, 885]);
      expect(w.counts).toHaveLength(0);
      // Its listing found all three: nothing is looked for in the rest, no request.
      expect(await findRestParts(w.ctx, parts[0]!.rest!, 3)).toEqual([]);
      expect(w.counts).toHaveLength(0);
    });

    it('looks in the rest for what the tail did not explain: counted on its own, then halved', async () => {
      const w = world([120, 895]);
      const [tail] = await findLateParts(w.ctx, OVERLAP, 900, w.known, TAIL_MS);
      // The tail's listing found the CDR at 895 only.
      const rest = await findRestParts(w.ctx, tail!.rest!, 1);
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.some((p) => seconds(p.range)[0]! <= 120 && 120 < seconds(p.range)[1]!)).toBe(true);
      // The rest's own count first (never derived from the overlap's), then two per halving.
      expect(seconds(w.counts[0]!)).toEqual([0, 885]);
      expect(w.counts.length).toBeLessThanOrEqual(13);
    });

    it('shortens the tail until it holds at most four pages of calls already seen', async () => {
      const w = world([899]);
      // 60 s of one call a second is three pages: kept whole. 300 s is 15: halved to 75 s, then 37 s.
      const [short] = await findLateParts(w.ctx, OVERLAP, 900, w.known, 60_000);
      expect(seconds(short!.range)).toEqual([840, 900]);
      const [long] = await findLateParts(w.ctx, OVERLAP, 900, w.known, 300_000);
      expect(seconds(long!.range)[1]).toBe(900);
      expect(w.known(long!.range)).toBeLessThanOrEqual(80);
      expect(w.known(long!.range)).toBeGreaterThan(20);
    });

    it('has no tail when the overlap did not grow, or a count lies low (the whole overlap is listed)', async () => {
      const w = world([]);
      expect(await findLateParts(w.ctx, OVERLAP, 900, w.known, TAIL_MS)).toEqual([]);
      const low = await findLateParts(w.ctx, OVERLAP, 850, w.known, TAIL_MS);
      expect(low.some((p) => p.rest)).toBe(false);
      expect(low.at(-1)!.range.to).toEqual(OVERLAP.to);
      expect(low[0]!.range.from).toEqual(OVERLAP.from);
    });

    it('lists the rest in full when Plivo does not count it, or counts it below what was seen there', async () => {
      const none = world([120, 895]);
      const [tail] = await findLateParts(none.ctx, OVERLAP, 900, none.known, TAIL_MS);
      // Plivo gives no count of the rest.
      none.ctx.source.countCalls = async () => null;
      const rest = await findRestParts(none.ctx, tail!.rest!, 1);
      expect(rest[0]!.range.from).toEqual(OVERLAP.from);
      expect(rest.every((p) => p.count === null)).toBe(true);

      const low = world([120, 895], (r, truth) =>
        r.to.getTime() < OVERLAP.to.getTime() ? truth - 10 : truth,
      );
      const [tail2] = await findLateParts(low.ctx, OVERLAP, 900, low.known, TAIL_MS);
      const rest2 = await findRestParts(low.ctx, tail2!.rest!, 1);
      expect(rest2[0]!.range.from).toEqual(OVERLAP.from);
      expect(rest2.at(-1)!.range.to).toEqual(tail2!.range.from);
      expect(low.ctx.summary.countDistrusted).toBe(true);
    });
  });

  it('spends up to 48 counts when the overlap grew by a few calls (several late CDRs), 24 on a growth no overlap holds', async () => {
    const spread = [30, 130, 250, 370, 490, 610, 730, 850];
    const w = world(spread);
    const parts = await findLateParts(w.ctx, OVERLAP, 900, w.known);
    expect(w.counts.length).toBeGreaterThan(MAX_LATE_COUNT_REQUESTS);
    expect(w.counts.length).toBeLessThanOrEqual(48);
    for (const s of spread) {
      expect(parts.some((p) => seconds(p.range)[0]! <= s && s < seconds(p.range)[1]!)).toBe(true);
    }
    const lie = world([], (_r, truth) => truth + 500_000);
    await findLateParts(lie.ctx, OVERLAP, 500_900, lie.known);
    expect(lie.counts.length).toBeLessThanOrEqual(MAX_LATE_COUNT_REQUESTS);
  });
});
