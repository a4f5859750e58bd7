import type { LeaseStore, Logger } from '../../ports';
import type { PollSummary } from '../run-context';

export interface LeaseContext {
  store: LeaseStore;
  logger: Logger;
  runId: string;
  /** Milliseconds before the runtime stops this run: the lease lasts that long (a second at least). */
  remainingTimeMs: () => number;
}

/** The lease a run holds while it works; released however the run ends. */
export interface Lease {
  release(): Promise<void>;
}

/**
 * Takes the account's lease, so two runs never work at once. Null when another run holds it:
 * this run is then skipped and touches nothing.
 */
export async function takeLease(
  ctx: LeaseContext,
  nowMs: number,
  summary: PollSummary,
): Promise<Lease | null> {
  const { store, logger, runId } = ctx;
  const untilMs = nowMs + Math.max(ctx.remainingTimeMs(), 1000);
  if (!(await store.acquireLease(runId, { nowMs, untilMs }))) {
    summary.status = 'skipped-lease-held';
    logger.warn('Another poll run holds the lease; skipping this run', { runId });
    return null;
  }
  return {
    release: () =>
      store.releaseLease(runId).catch((error: Error) => {
        // The lease expires on its own; a failed release only delays the next run.
        logger.warn('Could not release the poll lease', { error: error.message });
      }),
  };
}
