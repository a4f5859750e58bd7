import type { ReadRange } from './ports';

/** One call recorded as fully evaluated, with its end time (null: not known, e.g. an older record). */
export interface EvaluatedEntry {
  callUuid: string;
  endMs: number | null;
}

/** One stored record: the calls a batch finished, all of which ended within `span`. */
export interface EvaluatedRecord {
  span: ReadRange;
  calls: readonly EvaluatedEntry[];
}

/**
 * The calls recorded as evaluated around a range, as the store keeps them (a compact record per
 * batch). `has` answers "was this call finished before?"; `countIn` answers "how many calls that
 * ended in this range were finished?", which a run compares with Plivo's count of the range to
 * find late CDRs without listing the range again (functions/core/poll/stages/late-calls.ts).
 */
export class EvaluatedCalls {
  private readonly ids = new Set<string>();
  /** End times (ms) of the calls whose end is known, one entry per call. */
  private readonly ends: number[] = [];
  /** Spans of the calls whose end is not known (records written before end times were kept). */
  private readonly unknownEnds: ReadRange[] = [];

  constructor(records: Iterable<EvaluatedRecord> = []) {
    for (const record of records) {
      for (const entry of record.calls) {
        if (this.ids.has(entry.callUuid)) continue;
        this.ids.add(entry.callUuid);
        if (entry.endMs !== null) this.ends.push(entry.endMs);
        else this.unknownEnds.push(record.span);
      }
    }
    this.ends.sort((a, b) => a - b);
  }

  has(callUuid: string): boolean {
    return this.ids.has(callUuid);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Every call id recorded (a superset of those that ended in the range asked for). */
  callUuids(): Set<string> {
    return new Set(this.ids);
  }

  /**
   * Evaluated calls that ended in `range` (from <= end < to), or null when that cannot be told:
   * a call without a known end time was recorded over a span that straddles the range's edge.
   */
  countIn(range: ReadRange): number | null {
    const from = range.from.getTime();
    const to = range.to.getTime();
    let count = lowerBound(this.ends, to) - lowerBound(this.ends, from);
    for (const span of this.unknownEnds) {
      const a = span.from.getTime();
      const b = span.to.getTime();
      if (b <= from || a >= to) continue;
      if (a >= from && b <= to) count += 1;
      else return null;
    }
    return count;
  }
}

/** Index of the first element >= value in a sorted array. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A call's end time in ms, or null when it has none that parses. */
export function endMsOf(call: { endTime: string | null }): number | null {
  if (call.endTime === null) return null;
  const ms = Date.parse(call.endTime);
  return Number.isNaN(ms) ? null : ms;
}
