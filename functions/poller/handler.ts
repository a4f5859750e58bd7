import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { plivoMetricLine, pollMetricLines } from '../adapters/logging/emf-metrics';
import { alertConfigSchema } from '../core/config/schema';
import { ENV } from '../core/contract';
import { trackRunHealth } from '../core/health/track-health';
import type { RunOutcome } from '../core/health/run-health';
import { recordRun, runRecordOf } from '../core/health/run-log';
import { type PollSummary, poll } from '../core/poll/poll-use-case';
import { classifyFailure } from './classify-failure';
import type { LambdaContext, ScheduledEvent } from './lambda-types';
import { type ReportRunDeps, reportRun } from './report-run';
import {
  createInfrastructure,
  createRuntime,
  type PollerInfrastructure,
  type PollerRuntime,
  type RuntimeOverrides,
} from './runtime';

/** Used to judge health when the config itself could not be loaded. */
const DEFAULT_CONFIG = alertConfigSchema.parse({});

/**
 * The poller's primary adapter: wires the runtime (built once per container), calls the poll
 * use case, and reports the run's outcome (logs, metrics, the poller's own health). No
 * business logic here.
 */
export function createPollHandler(overrides: RuntimeOverrides = {}) {
  let infra: PollerInfrastructure | undefined;
  let runtime: Promise<PollerRuntime> | undefined;
  const writeMetrics = overrides.writeMetrics ?? ((line: string) => process.stdout.write(`${line}\n`));

  const reportDeps = (rt: PollerRuntime, logger: PollerInfrastructure['logger']): ReportRunDeps => ({
    store: rt.store,
    opsNotifier: rt.opsNotifier,
    logger,
    config: rt.config,
    writeMetrics,
    scrub: (text) => logger.scrubText(text),
    now: () => new Date(),
  });

  return middy<ScheduledEvent, PollSummary>().handler(async (event, context: LambdaContext) => {
    const runId = context.awsRequestId || randomUUID();
    const startedAt = new Date();
    infra ??= createInfrastructure(overrides);
    const { logger: rootLogger } = infra;
    const logger = rootLogger.child({ runId });
    // For `zentrunk-alerts status`: the run's outcome, its error scrubbed like a log line.
    const runRecord = (summary: PollSummary | null, error: unknown) => {
      const failure = error === null ? null : classifyFailure(error, (text) => rootLogger.scrubText(text));
      return runRecordOf({ runId, startedAt, finishedAt: new Date(), summary, failure });
    };

    let rt: PollerRuntime;
    try {
      runtime ??= createRuntime(infra, overrides);
      rt = await runtime;
    } catch (error) {
      // Do not cache a failed start: the next run tries again.
      runtime = undefined;
      logger.error('Poller cannot start', { error: error as Error });
      for (const line of pollMetricLines(null, true, Date.now())) writeMetrics(line);
      await reportHealth(infra, DEFAULT_CONFIG, logger, {
        ok: false,
        ...classifyFailure(error, (text) => logger.scrubText(text)),
      });
      await recordRun(infra.store, logger, runRecord(null, error));
      throw error;
    }

    logger.info('Poll run starting', { scheduledAt: event.time ?? null });
    const before = rt.plivo.stats();
    try {
      // With the current Plivo credentials; once more if Plivo rejects them and the secret changed.
      const summary = await rt.plivo.run(
        (source) =>
          poll({
            source,
            store: rt.store,
            notifier: rt.notifier,
            logger,
            config: rt.config,
            now: () => new Date(),
            remainingTimeMs: () => context.getRemainingTimeInMillis(),
            runId,
            scheduleIntervalMs: scheduleIntervalMs(),
          }),
        logger,
      );
      logger.info('Poll run finished', { summary });
      await reportRun(reportDeps(rt, logger), { summary, error: null });
      await recordRun(rt.store, logger, runRecord(summary, null));
      return summary;
    } catch (error) {
      const summary = (error as { summary?: PollSummary }).summary ?? null;
      logger.error('Poll run failed', { error: error as Error, summary });
      await reportRun(reportDeps(rt, logger), { summary, error });
      await recordRun(rt.store, logger, runRecord(summary, error));
      throw error;
    } finally {
      const after = rt.plivo.stats();
      writeMetrics(
        plivoMetricLine(
          {
            throttled: after.throttled - before.throttled,
            serverErrors: after.serverErrors - before.serverErrors,
            networkErrors: after.networkErrors - before.networkErrors,
            timeouts: after.timeouts - before.timeouts,
          },
          Date.now(),
        ),
      );
    }
  });
}

function reportHealth(
  infra: PollerInfrastructure,
  config: typeof DEFAULT_CONFIG,
  logger: PollerInfrastructure['logger'],
  outcome: RunOutcome,
) {
  return trackRunHealth(
    {
      store: infra.store,
      opsNotifier: infra.opsNotifier,
      logger,
      operations: config.operations,
      deploymentName: config.notifications.deploymentName,
      now: new Date(),
    },
    outcome,
  );
}

/** The deployment's schedule interval (set by the stack); undefined locally. */
function scheduleIntervalMs(): number | undefined {
  const seconds = Number(process.env[ENV.scheduleSeconds]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export const handler = createPollHandler();
