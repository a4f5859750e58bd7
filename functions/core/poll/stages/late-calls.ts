import type { CallSource, Logger, ReadRange } from '../../ports';
import { LIST_REQUESTS_PER_CALL, MAX_UNCOUNTED_SLICE_MS, splitUncounted } from '../plan-work';
import { isoRange } from '../plan-read-range';
import type { PollSummary } from '../run-context';
import { countCalls } from './count-calls';

/**
 * Late CDRs without listing the overlap again.
 *
 * Calls that ended before the watermark can still appear (Plivo writes some CDRs late): that is
 * why each run looks `poll.overlapMinutes` back. Listing the whole overlap every run costs a list
 * request per 20 calls of it, every run (at a 1-minute schedule, 15 minutes of calls re-listed each
 * minute: ~1.75 requests per call instead of ~1.05). Instead, Plivo's count of the overlap (one
 * `limit=1` request) is compared with the calls this poller already finished or still owes there;
 * only a part whose count grew is listed, found by halving it and counting both halves (they must
 * add up to the whole, and neither may fall below the calls judged in it) until a part is cheaper
 * to list than to split.
 */

/** A part of the read range to list, with Plivo's count of it (null: not counted, or not trusted). */
export interface PlannedPart {
  range: ReadRange;
  count: number | null;
  /**
   * The newest seconds of the overlap, listed first because late CDRs gather there: the rest of
   * the overlap, and how many more calls Plivo counts in the whole overlap than were seen there.
   * Once this part is listed, only a growth its listing did not explain is looked for in `rest`.
   */
  rest?: { range: ReadRange; growth: number; known: (range: ReadRange) => number | null };
}

/** Count requests one run may spend looking for late CDRs before it lists what is left. */
export const MAX_LATE_COUNT_REQUESTS = 24;
/**
 * More when the overlap grew by a few calls in many (a busy account, several CDRs late): each
 * costs about two counts per halving, and listing what is left after 24 counts would re-list
 * thousands of calls. Not for a growth no overlap holds (a count too high): that gets 24.
 */
const MAX_LATE_COUNT_REQUESTS_BUSY = 48;
/** Count requests for a growth of `growth` calls over `known` calls already seen. */
function countCap(growth: number, known: number | null): number {
  if (known === null || growth > known / 10) return MAX_LATE_COUNT_REQUESTS;
  return Math.min(MAX_LATE_COUNT_REQUESTS_BUSY, Math.max(MAX_LATE_COUNT_REQUESTS, 12 * growth));
}
/** The newest part of the overlap listed first holds at most this many calls already seen (four pages). */
const TAIL_MAX_KNOWN = 80;

export interface LateCallsContext {
  source: CallSource;
  logger: Logger;
  summary: PollSummary;
}

/**
 * The parts of the overlap (`counted`: Plivo's count of it) that hold calls not seen before,
 * oldest first. `known(range)` is how many calls that ended in a range this poller finished or
 * owes (null: it cannot tell, so the part is listed).
 *
 * Plivo's count is an estimate, and it can lie: a count of the overlap below the calls already
 * finished there proves it wrong, and then the whole overlap is listed as before (no late CDR is
 * missed because a count was low); a count too high costs a few requests and a listing that
 * finds nothing new.
 */
export async function findLateParts(
  ctx: LateCallsContext,
  overlap: ReadRange,
  counted: number | null,
  known: (range: ReadRange) => number | null,
  tailMs = 0,
): Promise<PlannedPart[]> {
  const everything = () => splitUncounted(overlap).map((range) => ({ range, count: null }));
  if (counted === null) return everything();
  const knownOverlap = known(overlap);
  if (knownOverlap !== null && counted < knownOverlap) {
    ctx.summary.countDistrusted = true;
    ctx.logger.warn(
      "Plivo counts fewer calls in the overlap than were already judged there: listing it again in full, not trusting Plivo's counts this run",
      { range: isoRange(overlap), counted, alreadySeen: knownOverlap },
    );
    return everything();
  }
  const tail = knownOverlap === null || counted <= knownOverlap ? null : tailOf(overlap, tailMs, known);
  if (tail) {
    // Calls just before the watermark were read seconds after they ended: the CDRs written a
    // little late are there. A page or two of them costs less than halving the whole overlap
    // down to them; what their listing does not explain is looked for in the rest afterwards.
    ctx.summary.lateParts += 1;
    return [
      {
        range: tail,
        count: null,
        rest: {
          range: { from: overlap.from, to: tail.from },
          growth: counted - (knownOverlap as number),
          known,
        },
      },
    ];
  }
  return halveToLateParts(ctx, overlap, counted, known);
}

/**
 * After the tail was listed and `found` calls no earlier run had seen turned up in it:
 * the parts of the rest of the overlap holding late CDRs, when the tail did not explain all the
 * growth. The rest is counted on its own (a count derived from the overlap's would carry any
 * error of it into the halving) and halved down to its parts whose count grew.
 */
export async function findRestParts(
  ctx: LateCallsContext,
  rest: NonNullable<PlannedPart['rest']>,
  found: number,
): Promise<PlannedPart[]> {
  if (found >= rest.growth) return [];
  ctx.summary.lateCountRequests += 1;
  const counted = await countCalls(ctx, rest.range);
  const seen = rest.known(rest.range);
  if (counted === null || seen === null)
    return splitUncounted(rest.range).map((range) => ({ range, count: null }));
  return findLateParts(ctx, rest.range, counted, rest.known);
}

/**
 * The newest `tailMs` of the overlap (shortened, by halves, until it holds at most two pages of
 * calls already seen), or null when there is no such part short of the whole overlap.
 */
function tailOf(
  overlap: ReadRange,
  tailMs: number,
  known: (range: ReadRange) => number | null,
): ReadRange | null {
  const toMs = overlap.to.getTime();
  // Never longer than a slice listed without a count (so it is listed as one slice).
  const longest = Math.min(tailMs, MAX_UNCOUNTED_SLICE_MS, toMs - overlap.from.getTime() - 1000);
  let spanMs = Math.floor(longest / 1000) * 1000;
  while (spanMs >= 1000) {
    const tail = { from: new Date(toMs - spanMs), to: overlap.to };
    const seen = known(tail);
    if (seen === null) return null;
    if (seen <= TAIL_MAX_KNOWN) return tail;
    spanMs = Math.floor(spanMs / 2000) * 1000;
  }
  return null;
}

/** Halving `range` (Plivo counts `counted` calls there) down to the parts whose count grew. */
async function halveToLateParts(
  ctx: LateCallsContext,
  overlap: ReadRange,
  counted: number,
  known: (range: ReadRange) => number | null,
): Promise<PlannedPart[]> {
  const out: PlannedPart[] = [];
  const queue: PlannedPart[] = [{ range: overlap, count: counted }];
  const seenAtStart = known(overlap);
  const cap = countCap(counted - (seenAtStart ?? counted), seenAtStart);
  let requests = 0;
  while (queue.length > 0) {
    const part = queue.shift() as PlannedPart & { count: number };
    const seen = known(part.range);
    if (seen !== null && part.count <= seen) continue;
    const halves = halve(part.range);
    if (
      halves === null ||
      requests + 2 > cap ||
      cheaperToList(part.count, seen === null ? null : part.count - seen)
    ) {
      out.push(part);
      continue;
    }
    const [first, second] = halves;
    // Both halves counted, never one derived from the other: a count off by one at a bound
    // (an inclusive end) would otherwise make the derived half one low and hide its late CDR.
    // At the same time, so that a CDR Plivo writes meanwhile is in both or neither.
    requests += 2;
    const [firstCount, secondCount] = await Promise.all([countCalls(ctx, first), countCalls(ctx, second)]);
    const below = (range: ReadRange, count: number) => {
      const judged = known(range);
      return judged !== null && count < judged;
    };
    if (
      firstCount === null ||
      secondCount === null ||
      firstCount + secondCount !== part.count ||
      below(first, firstCount) ||
      below(second, secondCount)
    ) {
      // No count, halves that do not add up to the whole, or a half counted below the calls
      // already judged in it: the counts cannot find the late CDRs here. List the part.
      out.push(part);
      continue;
    }
    queue.unshift({ range: first, count: firstCount }, { range: second, count: secondCount });
  }
  ctx.summary.lateCountRequests += requests;
  ctx.summary.lateParts += out.length;
  return out;
}

/**
 * True when a part is listed rather than halved: it fits in two pages, or the calls already judged
 * in it cannot be told (a record without end times straddles it). Otherwise halving is cheaper or
 * no dearer: late CDRs cluster just before the watermark (written a little after their range was
 * read), where a few halvings find them, and scattered ones cost at most MAX_LATE_COUNT_REQUESTS
 * counts before what is left is listed.
 */
function cheaperToList(calls: number, unseen: number | null): boolean {
  return unseen === null || Math.ceil(calls * LIST_REQUESTS_PER_CALL) <= 2;
}

/** The range in two halves of whole seconds, or null when it is a second or less. */
function halve(range: ReadRange): [ReadRange, ReadRange] | null {
  const fromSec = Math.floor(range.from.getTime() / 1000);
  const toSec = Math.floor(range.to.getTime() / 1000);
  if (toSec - fromSec < 2) return null;
  const mid = new Date((fromSec + Math.floor((toSec - fromSec) / 2)) * 1000);
  return [
    { from: range.from, to: mid },
    { from: mid, to: range.to },
  ];
}
