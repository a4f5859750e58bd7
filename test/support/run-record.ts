import type { RunRecord } from '../../functions/core/health/run-log';

/** A completed run of the run log that finished at `finishedAt` and sent `alertsPublished` alerts. */
export function completedRun(finishedAt: Date, alertsPublished: number): RunRecord {
  const at = finishedAt.toISOString();
  return {
    runId: `run-${at}`,
    startedAt: at,
    finishedAt: at,
    status: 'completed',
    readRange: null,
    callsSeen: alertsPublished,
    findings: alertsPublished,
    alertsPublished,
    alertsSilenced: 0,
    incidentNotices: 0,
    recordsSkipped: 0,
    publishFailures: 0,
    lagSeconds: 0,
    durationMs: 100,
    error: null,
  };
}
