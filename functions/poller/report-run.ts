import { addRunMetrics, type PlivoRequestCounts, type PollerMetrics } from '../adapters/logging/emf-metrics';
import type { AlertConfig } from '../core/config/schema';
import { reportDeadLetters } from '../core/health/dead-letters';
import { takeUnreadableItems } from '../core/health/run-log';
import { METRICS } from '../core/contract';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RunOutcome } from '../core/health/run-health';
import { trackRunHealth } from '../core/health/track-health';
import type { PollSummary } from '../core/poll/poll-use-case';
import { forChannel } from '../core/poll/run-context';
import type { AlertMessage, Logger, Notifier, StateStore, UnreadableItem } from '../core/ports';
import { classifyFailure, cursorStuck, runOutcome } from './classify-failure';

export interface ReportRunDeps {
  store: StateStore;
  /** Where the poller's own messages go (the operations topic, or the alert topic). */
  opsNotifier: Notifier;
  logger: Logger;
  config: AlertConfig;
  /** The invocation's metrics; its publisher (the handler's logMetrics middleware) writes them. */
  metrics: PollerMetrics;
  /** Removes registered secrets from text (the logger's scrubber); the reason goes to operations. */
  scrub?: (text: string) => string;
  now: () => Date;
  /** The Plivo account the run was for: its metrics' Account dimension (none for the default). */
  account?: string;
  /** The deployment's schedule: how long a failed run counts towards operations.failingAlertMinutes. */
  scheduleIntervalMs?: number;
}

/**
 * What every finished run tells the world, so that no failure is silent: its metrics
 * (PollFailed, PublishFailures, AlertsDeadLettered...), its effect on the poller's health (one
 * operations message when a failure streak starts, one when it ends), and one operations
 * message naming new dead letters. Used by the Lambda handler and by the soak, so the soak
 * checks what is deployed. Never throws.
 */
export async function reportRun(
  deps: ReportRunDeps,
  result: { summary: PollSummary | null; error: unknown; plivo?: PlivoRequestCounts },
): Promise<RunOutcome | null> {
  const failed = result.error !== null && result.error !== undefined;
  // A run that could not move its cursor while calls wait past it did not do its job either.
  const stalled = !failed && result.summary !== null && cursorStuck(result.summary);
  try {
    addRunMetrics(deps.metrics, {
      account: deps.account,
      summary: result.summary,
      failed: failed || stalled,
      plivo: result.plivo,
    });
  } catch (error) {
    // Powertools validates each metric; a bad value must not cost the health report below.
    deps.logger.error('Could not record the run metrics', { error: (error as Error).message });
  }
  // A run that found another one holding the lease says nothing about health.
  if (!failed && result.summary?.status === 'skipped-lease-held') return null;
  const outcome: RunOutcome = failed
    ? { ok: false, ...classifyFailure(result.error, deps.scrub) }
    : runOutcome(result.summary as PollSummary);
  const common = {
    store: deps.store,
    // Operations messages get the chat form too when the topic feeds chat: on the alert topic
    // (the default) a chat-only team would otherwise never see that the alerter broke.
    opsNotifier: { publish: (m: AlertMessage) => deps.opsNotifier.publish(forChannel(deps.config, m)) },
    logger: deps.logger,
    deploymentName: deps.config.notifications.deploymentName,
    now: deps.now(),
    scheduleIntervalMs: deps.scheduleIntervalMs,
  };
  await trackRunHealth({ ...common, operations: deps.config.operations }, outcome);
  await reportDeadLetters(common);
  return outcome;
}

/**
 * The stored items the run (its poll and its health report) skipped as unreadable: a warning
 * each and the StateItemsUnreadable metric, under the run's account. Taken after the health
 * report, which reads the health item too. Returns them for the run record. Never throws.
 */
export function reportUnreadableItems(
  deps: Pick<ReportRunDeps, 'store' | 'logger' | 'metrics'>,
): UnreadableItem[] {
  const unreadable = takeUnreadableItems(deps.store);
  for (const item of unreadable) {
    deps.logger.warn('A stored item cannot be read: skipped (it expires with its TTL)', { ...item });
  }
  try {
    deps.metrics.addMetric(METRICS.stateItemsUnreadable, MetricUnit.Count, unreadable.length);
  } catch (error) {
    deps.logger.error('Could not record the unreadable-items metric', { error: (error as Error).message });
  }
  return unreadable;
}
