import type { AlertConfig } from '../config/schema';
import { keptMs, reachesMinutes } from '../schedule';

import type { FailureKind } from '../errors';

export type { FailureKind } from '../errors';

export interface HealthState {
  status: 'healthy' | 'failing';
  /** ISO instant of the first failure of the current streak. */
  since: string | null;
  kind: FailureKind | null;
  reason: string | null;
  consecutiveFailures: number;
  /**
   * How long the streak has been failing: the schedule interval of each failed run in it (see
   * functions/core/schedule.ts), against operations.failingAlertMinutes. Absent in a state
   * saved before the time was kept: read as `consecutiveFailures` intervals.
   */
  failingMs?: number;
  /** The operations alert for this streak went out. */
  notified: boolean;
}

export type RunOutcome =
  | { ok: true; lagSeconds: number | null }
  | {
      ok: false;
      kind: FailureKind;
      reason: string;
      /** Tell operations with this run, not once runs have failed for operations.failingAlertMinutes. */
      immediate?: boolean;
    };

export interface HealthTransition {
  next: HealthState;
  /** Send this operations notification (once per streak and once on recovery). */
  notify: 'failing' | 'recovered' | null;
}

const HEALTHY: HealthState = {
  status: 'healthy',
  since: null,
  kind: null,
  reason: null,
  consecutiveFailures: 0,
  failingMs: 0,
  notified: false,
};

/**
 * Folds one run's outcome into the poller's health. A streak of failures alerts once, when it
 * has been failing for `failingAlertMinutes`, each failed run counting its schedule interval
 * (`intervalMs`; one transient blip is not a page, at any schedule); the first good run after an
 * alerted streak sends the recovery. Falling behind counts as a failure even when runs succeed.
 */
export function nextHealth(
  previous: HealthState | null,
  outcome: RunOutcome,
  now: Date,
  operations: AlertConfig['operations'],
  intervalMs: number,
): HealthTransition {
  const prev = previous ?? HEALTHY;
  let failure: { kind: FailureKind; reason: string } | null = null;
  if (!outcome.ok) failure = { kind: outcome.kind, reason: outcome.reason };
  else if (outcome.lagSeconds !== null && outcome.lagSeconds > operations.lagAlertMinutes * 60) {
    failure = {
      kind: 'falling-behind',
      reason: `the poller is ${Math.round(outcome.lagSeconds / 60)} minutes behind (limit ${operations.lagAlertMinutes})`,
    };
  }

  if (failure === null) {
    return { next: HEALTHY, notify: prev.status === 'failing' && prev.notified ? 'recovered' : null };
  }
  const failing = prev.status === 'failing';
  const consecutiveFailures = failing ? prev.consecutiveFailures + 1 : 1;
  const failingMs = (failing ? keptMs(prev.failingMs, prev.consecutiveFailures, intervalMs) : 0) + intervalMs;
  const immediate = !outcome.ok && outcome.immediate === true;
  // An outcome to tell at once is told even within a streak operations already heard of, when
  // that streak was about something else.
  const shouldNotify =
    (!prev.notified && (immediate || reachesMinutes(failingMs, operations.failingAlertMinutes))) ||
    (prev.notified && immediate && prev.kind !== failure.kind);
  return {
    next: {
      status: 'failing',
      since: prev.status === 'failing' && prev.since ? prev.since : now.toISOString(),
      kind: failure.kind,
      reason: failure.reason,
      consecutiveFailures,
      failingMs,
      notified: prev.notified || shouldNotify,
    },
    notify: shouldNotify ? 'failing' : null,
  };
}
