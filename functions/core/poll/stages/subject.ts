import type { Call, CallInsights, EvaluatedCall } from '../../call';

/** A call a batch works on: listed in a slice, or owed from an earlier run. */
export interface Subject {
  call: Call;
  /** Earlier "not ready" answers for its insights (0 for a call seen for the first time). */
  priorAttempts: number;
  /** Earlier failed insights requests. */
  priorErrors: number;
  /** Time waited for its insights so far, and time its requests failed (see PendingInsightsItem). */
  priorWaitedMs: number;
  priorFailedMs: number;
  /** When a run last asked for its Insights and did not get them (see PendingInsightsItem). */
  priorLastLookedAt?: string;
  firstSeenAt: string;
  wasPending: boolean;
  /** Insights fetched by an earlier run (kept with the pending call). */
  knownInsights?: CallInsights;
}

/** A call of a batch once its Insights were asked for: what the rules judge, and what is left to do. */
export interface JudgedCall {
  subject: Subject;
  evaluated: EvaluatedCall;
  /** False: it stays owed (its Insights are still to come). */
  done: boolean;
  /** Counters to record if the call has to be looked at again. */
  attempts: number;
  errors: number;
  waitedMs: number;
  failedMs: number;
  lastLookedAt?: string;
}
