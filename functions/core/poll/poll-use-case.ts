import { configWithStoredSilences } from '../stored-silences';
import { flushTraffic, updateTraffic } from './notify-traffic';
import { updateWindows } from './notify-windows';
import { emptySummary, type PollDeps, type PollSummary } from './run-context';
import type { SendContext } from './send-notice';
import type { BatchPlan } from './stages/batch';
import { alertsAllowed } from './stages/alert-budget';
import { takeLease } from './stages/lease';
import { workOwedCalls } from './stages/owed-calls';
import { resendOutbox } from './stages/outbox';
import { planRun } from './stages/plan';
import { closeRun, reportProgress } from './stages/report';
import { openRun } from './stages/run';
import { workSlices } from './stages/slices';

export type { PollDeps, PollStatus, PollSummary } from './run-context';
export { MAX_FINDINGS_PER_SUMMARY } from './stages/notify';
export { PollIncompleteError } from './stages/report';

/**
 * One scheduled run: read the calls that ended since the watermark (minus an overlap), look
 * up their insights, evaluate the rules, publish each new finding exactly once, then move
 * the watermark. State only ever advances past work that was done: a run that fails or runs
 * out of time leaves the cursor where the next run can redo what is missing, and dedup makes
 * the redo harmless.
 *
 * The stages, in order (functions/core/poll/stages/): lease → outbox → plan → owed calls →
 * slices (each: list → insights → rules → notify → save) → windows → traffic → report.
 */
export async function poll(deps: PollDeps): Promise<PollSummary> {
  const startedMs = deps.now().getTime();
  const summary = emptySummary(deps.runId);
  const lease = await takeLease(deps, startedMs, summary);
  if (lease) {
    let send: SendContext | undefined;
    try {
      // Silences added with the CLI (kept in the state table) join the config's from this run on.
      const config = await configWithStoredSilences(deps.config, deps.store, deps.now(), deps.logger);
      const run = openRun({ ...deps, config }, summary, await alertsAllowed(deps.store, config, deps.now()));
      send = run.send;
      const ownedByOutbox = await resendOutbox(run);
      const plan = await planRun(run);
      const batches: BatchPlan = {
        ownedByOutbox,
        insights: plan.insights,
        evaluatedAt: run.now().toISOString(),
      };
      await workOwedCalls(run, batches, plan.owed);
      await workSlices(run, batches, plan);
      // Windowed rules are judged once per run, on every call the run finished.
      await updateWindows(run.send, []);
      // Traffic rules judge every trunk the baseline knows, once per run, new calls or none.
      await updateTraffic(run.send);
      reportProgress(run, plan);
    } catch (error) {
      // The traffic counts of the calls this run recorded as evaluated are written even so
      // (best effort: the error in hand is the one to report).
      if (send) await flushTraffic(send).catch(() => undefined);
      // A run that fails after sending alerts says what it sent: its run record counts them
      // against the alert budget of the runs after it (stages/alert-budget.ts).
      if (error !== null && typeof error === 'object' && !('summary' in error)) {
        summary.durationMs = deps.now().getTime() - startedMs;
        Object.assign(error, { summary });
      }
      throw error;
    } finally {
      await lease.release();
    }
  }
  return closeRun(summary, startedMs, deps.now());
}
