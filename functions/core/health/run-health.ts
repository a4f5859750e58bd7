import type { AlertConfig } from '../config/schema';

import type { FailureKind } from '../errors';

export type { FailureKind } from '../errors';

export interface HealthState {
  status: 'healthy' | 'failing';
  /** ISO instant of the first failure of the current streak. */
  since: string | null;
  kind: FailureKind | null;
  reason: string | null;
  consecutiveFailures: number;
  /** The operations alert for this streak went out. */
  notified: boolean;
}

export type RunOutcome =
  | { ok: true; lagSeconds: number | null }
  | {
      ok: false;
      kind: FailureKind;
      reason: string;
      /** Tell operations with this run, not after operations.failuresBeforeAlert of them. */
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
  notified: false,
};

/**
 * Folds one run's outcome into the poller's health. A streak of failures alerts once, after
 * `failuresBeforeAlert` runs (one transient blip is not a page); the first good run after an
 * alerted streak sends the recovery. Falling behind counts as a failure even when runs succeed.
 */
export function nextHealth(
  previous: HealthState | null,
  outcome: RunOutcome,
  now: Date,
  operations: AlertConfig['operations'],
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
  const consecutiveFailures = prev.status === 'failing' ? prev.consecutiveFailures + 1 : 1;
  const immediate = !outcome.ok && outcome.immediate === true;
  // An outcome to tell at once is told even within a streak operations already heard of, when
  // that streak was about something else.
  const shouldNotify =
    (!prev.notified && (immediate || consecutiveFailures >= operations.failuresBeforeAlert)) ||
    (prev.notified && immediate && prev.kind !== failure.kind);
  return {
    next: {
      status: 'failing',
      since: prev.status === 'failing' && prev.since ? prev.since : now.toISOString(),
      kind: failure.kind,
      reason: failure.reason,
      consecutiveFailures,
      notified: prev.notified || shouldNotify,
    },
    notify: shouldNotify ? 'failing' : null,
  };
}
