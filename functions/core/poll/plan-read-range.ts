import type { AlertConfig } from '../config/schema';
import type { ReadRange, Cursor } from '../ports';

const MINUTE = 60_000;
/** Plivo serves only the last 90 days; keep a day of margin so a slow run never asks beyond. */
const OLDEST_READABLE_MS = 89 * 24 * 60 * MINUTE;

export interface WindowPlan {
  range: ReadRange;
  /** Calls that ended in this range can no longer be read (outage longer than Plivo keeps CDRs). */
  unreadableGap: ReadRange | null;
  firstRun: boolean;
  /** Where calls not read before begin: the watermark (range.from when there is no overlap). */
  freshFrom: Date;
}

/** A range as ISO instants (for the summary and the logs). */
export function isoRange(range: ReadRange): { from: string; to: string } {
  return { from: range.from.toISOString(), to: range.to.toISOString() };
}

function floorToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/**
 * The next read range (of call end times). It starts `overlapMinutes` before the watermark (late
 * CDRs exist: the run lists only the parts of the overlap whose count grew, and dedup makes a
 * repeat harmless) and ends `settleSeconds` before now, or `maxWindowMinutes` after the watermark
 * when a backlog is being worked off. A first run looks back a bounded time, never Plivo's
 * default 30 days.
 */
export function planReadRange(cursor: Cursor | null, now: Date, poll: AlertConfig['poll']): WindowPlan {
  const nowMs = now.getTime();
  const firstRun = cursor === null;
  // A watermark in the future (clock skew) is treated as now.
  const watermarkMs = Math.min(
    firstRun ? nowMs - poll.firstRunLookbackMinutes * MINUTE : Date.parse(cursor.watermark),
    nowMs,
  );
  let fromMs = watermarkMs - (firstRun ? 0 : poll.overlapMinutes * MINUTE);
  let resumeMs = watermarkMs;

  let unreadableGap: ReadRange | null = null;
  const oldestMs = nowMs - OLDEST_READABLE_MS;
  if (fromMs < oldestMs) {
    unreadableGap = { from: floorToSecond(fromMs), to: floorToSecond(oldestMs) };
    fromMs = oldestMs;
    resumeMs = Math.max(resumeMs, oldestMs);
  }
  const from = floorToSecond(fromMs);
  // The newest seconds wait for their CDRs to settle (poll.settleSeconds): a CDR Plivo writes a
  // few seconds after the call ends is then read once, not found late by the next run.
  const settledMs = nowMs - poll.settleSeconds * 1000;
  let to = floorToSecond(Math.min(settledMs, resumeMs + poll.maxWindowMinutes * MINUTE));
  // Nothing new to read yet (no overlap, the watermark already at this second): an empty
  // range. Never a range reaching past now, which would move the cursor past calls still to end.
  if (to.getTime() < from.getTime()) to = from;
  const freshFrom = new Date(
    Math.min(Math.max(floorToSecond(resumeMs).getTime(), from.getTime()), to.getTime()),
  );
  return { range: { from, to }, unreadableGap, firstRun, freshFrom };
}
