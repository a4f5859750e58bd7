import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { addRunMetrics, type PlivoRequestCounts, PollerMetrics } from '../adapters/logging/emf-metrics';
import { JsonLogger } from '../adapters/logging/json-logger';
import { accountsOf, configForAccount, DEFAULT_ACCOUNT, type PlivoAccount } from '../core/accounts';
import { type AlertConfig, accountNameSchema, alertConfigSchema } from '../core/config/schema';
import { ENV, METRICS } from '../core/contract';
import { AlerterError } from '../core/errors';
import { trackRunHealth } from '../core/health/track-health';
import { recordRun, runRecordOf } from '../core/health/run-log';
import type { UnreadableItem } from '../core/ports';
import { type PollSummary, poll } from '../core/poll/poll-use-case';
import { classifyFailure } from './classify-failure';
import {
  accountNamedIn,
  describeInvalidInvocation,
  type Invocation,
  InvocationError,
  invocationSchema,
} from './invocation';
import { type ReportRunDeps, reportRun, reportUnreadableItems } from './report-run';
import {
  type AccountRuntime,
  createInfrastructure,
  createRuntime,
  notifierForAccount,
  POLLER_SERVICE_NAME,
  type PollerInfrastructure,
  type PollerRuntime,
  type RuntimeOverrides,
} from './runtime';

/** Used to judge health when the config itself could not be loaded (parsed then, not at import). */
const defaultConfig = (): AlertConfig => alertConfigSchema.parse({});

/**
 * The account whose state, metrics and alarms hear of a run that could not start: the one asked
 * for when the config watches it; otherwise (an unknown account, an unreadable event) the
 * deployment's own: the default account if watched, else the first one the config lists.
 */
function accountToReport(config: AlertConfig | undefined, requested: string | undefined): string {
  const watched = config ? accountsOf(config).map((account) => account.name) : [DEFAULT_ACCOUNT];
  const name = requested ?? DEFAULT_ACCOUNT;
  if (watched.includes(name)) return name;
  if (!config && accountNameSchema.safeParse(name).success) return name;
  return watched.includes(DEFAULT_ACCOUNT) ? DEFAULT_ACCOUNT : (watched[0] ?? DEFAULT_ACCOUNT);
}

/**
 * The poller's primary adapter: wires the runtime (built once per container, each account's
 * part on its first run), calls the poll use case for the account the invocation names
 * (functions/poller/invocation.ts: `plivoAccount`, never EventBridge's `account`; none: the
 * default account), and reports the run's outcome (logs, metrics, the account's own health),
 * a run that could not start included. No business logic here.
 */
export function createPollHandler(overrides: RuntimeOverrides = {}) {
  // Built with the handler, not on the first run: the middleware below needs it.
  const logger = overrides.logger ?? new JsonLogger({ serviceName: POLLER_SERVICE_NAME });
  const withLogger: RuntimeOverrides = { ...overrides, logger };
  let infra: PollerInfrastructure | undefined;
  let runtime: Promise<PollerRuntime> | undefined;
  const metrics = new PollerMetrics({ write: overrides.writeMetrics, logger });

  const reportDeps = (rt: AccountRuntime): ReportRunDeps => ({
    store: rt.store,
    opsNotifier: rt.opsNotifier,
    logger,
    config: rt.config,
    metrics,
    scrub: (text) => logger.scrubText(text),
    now: () => new Date(),
    account: rt.account.name,
    scheduleIntervalMs: scheduleIntervalMs(),
  });

  const run = async (parsed: ParsedResult<unknown, Invocation>, context: Context): Promise<PollSummary> => {
    const runId = context.awsRequestId || randomUUID();
    const startedAt = new Date();
    // The run id on every line of the run (Powertools' correlation_id), and the account asked
    // for; both are cleared after the run by the middleware (resetKeys).
    logger.powertools.setCorrelationId(runId);
    const invocation = parsed.success ? parsed.data : null;
    // An event it cannot read still counts against the account it plainly names, if watched.
    const requested = parsed.success ? parsed.data.plivoAccount : accountNamedIn(parsed.originalEvent);
    if (requested !== undefined) logger.powertools.appendKeys({ account: requested });
    infra ??= createInfrastructure(withLogger);
    // For `zentrunk-alerts status`: the run's outcome, its error scrubbed like a log line.
    const runRecord = (summary: PollSummary | null, error: unknown, unreadable?: UnreadableItem[]) => {
      const failure = error === null ? null : classifyFailure(error, (text) => logger.scrubText(text));
      return runRecordOf({ runId, startedAt, finishedAt: new Date(), summary, failure, unreadable });
    };

    let rt: AccountRuntime;
    let started: PollerRuntime | undefined;
    try {
      runtime ??= createRuntime(infra, withLogger);
      try {
        started = await runtime;
      } catch (error) {
        // Do not cache a failed start: the next run tries again.
        runtime = undefined;
        throw error;
      }
      if (!parsed.success) throw new InvocationError(describeInvalidInvocation(parsed.originalEvent));
      rt = started.forAccount(requested);
    } catch (error) {
      // Counted, recorded and tracked where the alarms, `status` and operations look: the
      // account asked for, or the deployment's own when that one is not watched.
      const name = accountToReport(started?.config, requested);
      logger.error('Poller cannot start: nothing polled', {
        error: error as Error,
        reportedAs: name,
        invocation: invocation?.source ?? 'unreadable',
      });
      addRunMetrics(metrics, { account: name, summary: null, failed: true });
      if (error instanceof AlerterError && error.failure === 'invocation-invalid') {
        // The deployment's own count (no dimension), for its invocations-rejected alarm.
        metrics.singleMetric().addMetric(METRICS.invocationsRejected, MetricUnit.Count, 1);
      }
      await reportStartFailure(
        infra,
        started?.config ?? defaultConfig(),
        name,
        logger,
        error,
        (unreadable) => runRecord(null, error, unreadable),
        metrics,
      );
      throw error;
    }
    logger.powertools.appendKeys({ account: rt.account.name });

    logger.info('Poll run starting', {
      scheduledAt: invocation?.scheduledAt ?? null,
      invocation: invocation?.source,
    });
    const before = rt.plivo.stats();
    const plivo = (): PlivoRequestCounts => {
      const after = rt.plivo.stats();
      return {
        throttled: after.throttled - before.throttled,
        serverErrors: after.serverErrors - before.serverErrors,
        networkErrors: after.networkErrors - before.networkErrors,
        timeouts: after.timeouts - before.timeouts,
      };
    };
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
      await reportRun(reportDeps(rt), { summary, error: null, plivo: plivo() });
      const unreadable = reportUnreadableItems(reportDeps(rt));
      await recordRun(rt.store, logger, runRecord(summary, null, unreadable));
      return summary;
    } catch (error) {
      const summary = (error as { summary?: PollSummary }).summary ?? null;
      logger.error('Poll run failed', { error: error as Error, summary });
      await reportRun(reportDeps(rt), { summary, error, plivo: plivo() });
      const unreadable = reportUnreadableItems(reportDeps(rt));
      await recordRun(rt.store, logger, runRecord(summary, error, unreadable));
      throw error;
    }
  };

  // Every line gets the Lambda context (function, request id, cold start); keys appended during
  // a run are dropped after it. The run's metrics are published when it ends, whatever the
  // outcome, after a ColdStart metric on the first run of a container.
  // The event is read last (Powertools Parser, safeParse): an event it cannot read still reaches
  // the run, which reports it as a failed start instead of failing before anything is recorded.
  // Lambda hands it anything (unknown); the parser turns that into the run's ParsedResult.
  const handler = middy<unknown, PollSummary>()
    .use(injectLambdaContext(logger.powertools, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(parser({ schema: invocationSchema, safeParse: true }))
    .handler(run);
  return handler as unknown as MiddyfiedHandler<unknown, PollSummary, Error, Context>;
}

/**
 * A run that could not start (config invalid, no credentials for the account): the account's
 * health (operations are told after the usual streak, naming the account) and its run log.
 * `loaded`: the config when it could be read, else the defaults.
 */
async function reportStartFailure(
  infra: PollerInfrastructure,
  loaded: AlertConfig,
  name: string,
  logger: PollerInfrastructure['logger'],
  error: unknown,
  /** The run's record, with the stored items it could not read (runRecordOf lists at most 10). */
  record: (unreadable: UnreadableItem[]) => ReturnType<typeof runRecordOf>,
  metrics: PollerMetrics,
) {
  // The config as loaded, or its defaults when it could not be: with the account's name.
  const [account] = accountsOf({ ...loaded, accounts: [{ name }] }) as [PlivoAccount];
  const config = configForAccount(loaded, account);
  const store = infra.storeFor(account.poller);
  await trackRunHealth(
    {
      store,
      opsNotifier: notifierForAccount(account, infra.opsNotifier),
      logger,
      operations: config.operations,
      deploymentName: config.notifications.deploymentName,
      now: new Date(),
      scheduleIntervalMs: scheduleIntervalMs(),
    },
    { ok: false, ...classifyFailure(error, (text) => logger.scrubText(text)) },
  );
  await recordRun(store, logger, record(reportUnreadableItems({ store, logger, metrics })));
}

/** The deployment's schedule interval (set by the stack); undefined locally. */
function scheduleIntervalMs(): number | undefined {
  const seconds = Number(process.env[ENV.scheduleSeconds]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export const handler = createPollHandler();
