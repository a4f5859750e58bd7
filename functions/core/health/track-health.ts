import type { AlertConfig } from '../config/schema';
import type { HealthStore, Logger, Notifier } from '../ports';
import { runIntervalMs } from '../schedule';
import { renderHealthMessage } from './ops-message';
import { nextHealth, type RunOutcome } from './run-health';

export interface TrackHealthDeps {
  store: Pick<HealthStore, 'getHealth' | 'saveHealth'>;
  /** Where operations messages go (the operations topic, or the alert topic). */
  opsNotifier: Notifier;
  logger: Logger;
  operations: AlertConfig['operations'];
  deploymentName: string;
  now: Date;
  /** The deployment's schedule: how long each failed run counts for (5 minutes when not told). */
  scheduleIntervalMs?: number;
}

/**
 * Folds a run's outcome into the stored health and tells operations when a failure streak
 * starts (once) and when it ends. The state is saved only after the message went out, so a
 * failed publish is retried by the next run instead of being forgotten.
 *
 * Never throws: watching the watcher must not hide the run's own error. If the state table
 * itself is what fails, the CloudWatch alarm on the PollFailed metric is the backstop.
 */
export async function trackRunHealth(
  deps: TrackHealthDeps,
  outcome: RunOutcome,
): Promise<'failing' | 'recovered' | null> {
  try {
    const previous = await deps.store.getHealth();
    const transition = nextHealth(
      previous,
      outcome,
      deps.now,
      deps.operations,
      runIntervalMs(deps.scheduleIntervalMs),
    );
    if (transition.notify) {
      const message = renderHealthMessage(transition.notify, transition.next, previous, {
        deploymentName: deps.deploymentName,
        now: deps.now,
      });
      const { messageId } = await deps.opsNotifier.publish(message);
      deps.logger.warn('Operations notified about the poller health', {
        notify: transition.notify,
        kind: transition.next.kind ?? previous?.kind ?? null,
        messageId,
      });
    }
    await deps.store.saveHealth(transition.next);
    return transition.notify;
  } catch (error) {
    deps.logger.error('Could not record the poller health', { error: (error as Error).message });
    return null;
  }
}
