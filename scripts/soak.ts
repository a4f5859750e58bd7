/**
 * `npm run soak`: hours of simulated operation against the Plivo sandbox and an in-process
 * DynamoDB (dynalite), with faults switched on and off run by run — 429 storms, 5xx and
 * outages, hung requests, truncated and non-JSON bodies, insights held back, SNS refusing
 * publishes (for a while, or for good for some messages), Plivo refusing some calls' Insights
 * for good, the Plivo token rotated half-way, and the process dying at a random step (or at
 * the Lambda timeout). A run every 5 simulated minutes while new calls keep ending; then a
 * quiet tail so everything settles, and a report checked against the traffic's ground truth.
 * Each run is reported as the Lambda handler reports it (metrics, health, operations messages,
 * dead letters), so a failed run is checked to be visible.
 *
 * Two modes: `per-call` (one alert per finding) and `incident` (grouping by trunk and the
 * windowed packet-loss spike on: every bad call must be counted into an announced incident).
 * Exit code 1 when an alert was lost, repeated outside the one documented case (a crash after
 * SNS accepted a message and before its dedup record was marked sent), or a failure went
 * unseen.
 *
 *   npm run soak -- [--mode both|per-call|incident] [--hours 6] [--seed 1] [--calls-per-minute 2] [--verbose]
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createStateTable } from '../functions/adapters/dynamodb/create-state-table';
import { DynamoDbStateStore } from '../functions/adapters/dynamodb/dynamodb-state-store';
import { PollerMetrics } from '../functions/adapters/logging/emf-metrics';
import { PlivoClient } from '../functions/adapters/plivo/plivo-client';
import { PlivoConnection } from '../functions/poller/plivo-connection';
import { reportRun } from '../functions/poller/report-run';
import {
  CREDENTIALS_MAX_AGE_SECONDS,
  type CredentialsSource,
  type PlivoCredentials,
} from '../functions/adapters/secrets/plivo-credentials';
import { parseConfig } from '../functions/core/config/load-config';
import { NotificationRejectedError } from '../functions/core/errors';
import { type PollSummary, poll } from '../functions/core/poll/poll-use-case';
import type { AlertMessage, CallSource, Logger, Notifier } from '../functions/core/ports';
import { startLocalDynamoDb } from '../sandbox/local-dynamodb';
import { noFaults, type SandboxFaults, startPlivoSandbox } from '../sandbox/plivo-sandbox';
import { CDR_RULES, expectedKeysAt, generateTraffic, mulberry32, type SandboxCall } from '../sandbox/traffic';
// The crash injector is shared with the fault tests; it depends on nothing test-specific.
import { CrashInjector, notifiedKeysOf } from '../test/support/crash';
import { reportScriptError, scriptArgs, UsageError } from './script-args';

const MIN = 60_000;
const RUN_INTERVAL_MS = 5 * MIN;
/** The deployed Lambda timeout (config/*.json function.timeoutSeconds). */
const LAMBDA_TIMEOUT_MS = 240_000;
/** No faults and no new calls at the end: enough for the slowest insights (25 min) and a backlog. */
const QUIET_TAIL_MS = 45 * MIN;
/** Incident mode: also an incident's resolveAfterMinutes (30) after its last, latest-judged call. */
const INCIDENT_QUIET_TAIL_MS = 80 * MIN;
const START = new Date('2026-11-20T00:00:00Z');
const AUTH_ID = 'MASOAKTEST0000000000001';
const AUTH_TOKEN = 'soak-token-not-a-secret-71c2';

export type SoakMode = 'per-call' | 'incident';

export interface SoakOptions {
  /** per-call (default): one alert per finding; incident: grouping and windowed rules on. */
  mode?: SoakMode;
  hours?: number;
  seed?: number;
  /** Healthy calls per minute; every incident kind comes on top once per simulated hour. */
  callsPerMinute?: number;
  /** One line per run, when given. */
  log?: (line: string) => void;
}

export interface SoakReport {
  mode: SoakMode;
  seed: number;
  simulatedHours: number;
  calls: number;
  runs: number;
  runsCompleted: number;
  runsPartial: number;
  /** Runs that threw (Plivo unavailable, SNS refusing) without dying. */
  runsFailed: number;
  /** Of those, runs whose metrics said PollFailed (what the error alarm and dashboard see). */
  runsFailedWithMetric: number;
  /** Runs killed by the crash injector (a random step, or the Lambda timeout). */
  runsCrashed: number;
  runsSkippedLeaseHeld: number;
  /** How many runs had each fault switched on. */
  faultRuns: Record<string, number>;
  /** Failure streaks long enough (operations.failingAlertMinutes) that operations must be told. */
  failureStreaks: number;
  opsFailingMessages: number;
  opsRecoveredMessages: number;
  opsDeadLetterMessages: number;
  /** When the Plivo token was rotated (in Plivo and the secret at once). */
  tokenRotatedAt: string | null;
  /** Runs after the rotation that failed with Plivo rejecting the credentials (should be 0). */
  authFailuresAfterRotation: number;
  findingsExpected: number;
  /** Messages the recording channel accepted (alerts and catch-up summaries). */
  notificationsDelivered: number;
  catchUpSummaries: number;
  /** Incident mode: group notices. */
  incidentsFired: number;
  incidentsResolved: number;
  /** Groups still firing at the end (after the quiet tail: should be 0). */
  incidentsStillFiring: number;
  windowNotices: number;
  /** Distinct findings that reached on-call: one by one, in a summary, or in an announced incident. */
  findingsDelivered: number;
  /** Deliveries of a finding beyond its first. */
  duplicates: number;
  /** Of those, repeats of a message SNS accepted whose dedup record a crash kept from being written. */
  duplicatesExplained: number;
  duplicatesUnexplained: number;
  duplicatedKeys: string[];
  /** Messages SNS refused for good, set aside with their reason. */
  deadLetters: number;
  /** Dead letters no operations message named (should be 0). */
  deadLettersUnreported: number;
  /** Findings whose message was set aside as a dead letter (visible, not delivered). */
  findingsDeadLettered: number;
  lost: number;
  lostKeys: string[];
  /**
   * Insights findings of calls judged on the CDR alone because Plivo still answered 404 at the
   * poller's last look (poll.insightsWaitMinutes reached; documented behaviour, only possible
   * when the insights-404 fault hits a call's last attempt).
   */
  judgedWithoutInsights: number;
  /** Calls whose Insights Plivo refused for good (400): judged on their CDR. */
  insightsRefusedCalls: number;
  /** Delivered keys no rule should have produced. */
  unexpected: number;
  /** Largest gap between a run's end and the watermark it left, in minutes. */
  maxLagMinutes: number;
  wallTimeMs: number;
}

/** Simulated time for the sandbox, the client, the store and the poller. */
class SimClock {
  constructor(private ms: number) {}
  now = (): Date => new Date(this.ms);
  nowMs = (): number => this.ms;
  advanceTo(ms: number): void {
    this.ms = Math.max(this.ms, ms);
  }
  /** Backoff and rate-limit waits: their full time on the clock, a sliver of it for real. */
  sleep = async (ms: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms / 200, 20)));
    this.ms += ms;
  };
}

/** What the channel accepted, in order. */
class RecordingChannel implements Notifier {
  readonly sent: AlertMessage[] = [];
  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    this.sent.push(message);
    return { messageId: `soak-${this.sent.length}` };
  }
}

/** SNS that refuses some publishes (rate 0..1), and some messages for good, before accepting anything. */
class FlakyChannel implements Notifier {
  rejectRate = 0;
  poisoned: (message: AlertMessage) => boolean = () => false;
  constructor(
    private readonly inner: Notifier,
    private readonly random: () => number,
  ) {}
  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    if (this.poisoned(message)) {
      throw new NotificationRejectedError('InvalidParameterException: Invalid parameter: Message (soak)');
    }
    if (this.rejectRate > 0 && this.random() < this.rejectRate)
      throw new Error('SNS refused the publish (soak)');
    return this.inner.publish(message);
  }
}

type InsightsOutcome = 'ready' | 'not-ready' | 'error';

/** Watches what the Insights endpoint answered, per call, to explain a finding judged without insights. */
function watchInsights(source: CallSource, outcomes: Map<string, InsightsOutcome[]>): CallSource {
  const note = (uuid: string, outcome: InsightsOutcome) =>
    outcomes.set(uuid, [...(outcomes.get(uuid) ?? []), outcome]);
  return {
    listCalls: (window) => source.listCalls(window),
    countCalls: (range) => source.countCalls(range),
    getInsights: async (uuid) => {
      try {
        const insights = await source.getInsights(uuid);
        note(uuid, insights ? 'ready' : 'not-ready');
        return insights;
      } catch (error) {
        note(uuid, 'error');
        throw error;
      }
    },
  };
}

/** One simulated hour after another: healthy calls, every incident once, some insights late. */
function soakTraffic(
  hours: number,
  seed: number,
  callsPerMinute: number,
  random: () => number,
): SandboxCall[] {
  const calls: SandboxCall[] = [];
  for (let h = 0; h < hours; h += 1) {
    calls.push(
      ...generateTraffic({
        seed: seed * 1000 + h,
        from: new Date(START.getTime() + h * 60 * MIN),
        to: new Date(START.getTime() + (h + 1) * 60 * MIN),
        callsPerMinute,
        incidents: 'all',
      }),
    );
  }
  // Insights delays in the data itself: some calls' insights appear 5–15 minutes late
  // (within what the poller waits for, so their insight findings are still owed).
  for (const call of calls) {
    if (call.insightsReadyAt !== null && call.scenario !== 'insights-late' && random() < 0.05) {
      call.insightsReadyAt = new Date(call.insightsReadyAt.getTime() + (5 + random() * 10) * MIN);
    }
  }
  return calls;
}

interface RunFaults {
  names: string[];
  sandbox: Partial<SandboxFaults>;
  snsRejectRate: number;
  crashAt: number | null;
  publishMode: 'before-accepted' | 'after-accepted';
}

/** Outages last several runs; the other faults are drawn afresh for every run. */
class FaultPlan {
  private plivoOutageRuns = 0;
  private snsOutageRuns = 0;
  constructor(private readonly random: () => number) {}

  next(): RunFaults {
    const r = this.random;
    const f: RunFaults = {
      names: [],
      sandbox: {},
      snsRejectRate: 0,
      crashAt: null,
      publishMode: 'before-accepted',
    };
    const on = (name: string, p: number) => {
      const hit = r() < p;
      if (hit) f.names.push(name);
      return hit;
    };
    if (this.plivoOutageRuns === 0 && r() < 0.03) this.plivoOutageRuns = 1 + Math.floor(r() * 6);
    if (this.plivoOutageRuns > 0) {
      this.plivoOutageRuns -= 1;
      f.names.push('plivo-down');
      f.sandbox.status5xxEvery = 1;
    } else {
      if (on('429-storm', 0.1)) Object.assign(f.sandbox, { status429Every: 2, retryAfterSeconds: 1 });
      if (on('5xx', 0.08)) f.sandbox.status5xxEvery = 3;
      if (on('timeouts', 0.05)) f.sandbox.timeoutEvery = 7;
      if (on('truncated-bodies', 0.05)) f.sandbox.truncatedBodyEvery = 4;
      if (on('non-json', 0.05)) f.sandbox.nonJsonEvery = 4;
      if (on('slow', 0.05)) f.sandbox.delayMs = 30;
      if (on('insights-404', 0.04)) f.sandbox.insightsNeverReady = true;
    }
    if (this.snsOutageRuns === 0 && r() < 0.02) this.snsOutageRuns = 1 + Math.floor(r() * 3);
    if (this.snsOutageRuns > 0) {
      this.snsOutageRuns -= 1;
      f.names.push('sns-down');
      f.snsRejectRate = 1;
    } else if (on('sns-flaky', 0.08)) {
      f.snsRejectRate = 0.3;
    }
    if (on('crash', 0.15)) {
      // A run makes ~20–60 port calls; a step past its last one means it survived.
      f.crashAt = 1 + Math.floor(r() * 45);
      f.publishMode = r() < 0.5 ? 'before-accepted' : 'after-accepted';
    }
    return f;
  }
}

/** A Plivo credentials secret in simulated time: read at most once per maxAge unless forced. */
class SoakSecret implements CredentialsSource {
  readonly refreshable = true;
  reads = 0;
  private cached: { value: PlivoCredentials; atMs: number } | null = null;
  constructor(
    public value: PlivoCredentials,
    private readonly nowMs: () => number,
  ) {}
  async get(options: { forceFetch?: boolean } = {}): Promise<PlivoCredentials> {
    const fresh = this.cached && this.nowMs() - this.cached.atMs < CREDENTIALS_MAX_AGE_SECONDS * 1000;
    if (!fresh || options.forceFetch) {
      this.reads += 1;
      this.cached = { value: { ...this.value }, atMs: this.nowMs() };
    }
    return (this.cached as { value: PlivoCredentials }).value;
  }
}

/** Deterministic membership of a string in a share (0..1) of all strings, per seed. */
function inShare(text: string, share: number, seed: number): boolean {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32 < share;
}

/** The key a delivered message is accounted under: a finding's, or a group/window notice's own. */
const noticeKeyOf = (m: AlertMessage): string =>
  typeof m.json.noticeKey === 'string' ? m.json.noticeKey : m.dedupKey;

export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const wallStart = Date.now();
  const hours = options.hours ?? 6;
  const seed = options.seed ?? 1;
  const mode = options.mode ?? 'per-call';
  const log = options.log ?? (() => {});
  const random = mulberry32(seed);
  const calls = soakTraffic(hours, seed, options.callsPerMinute ?? 2, random);
  const trunkOf = new Map(calls.map((c) => [c.callUuid, c.trunkDomain]));
  // Plivo refuses these calls' Insights for good (a 400), run after run.
  const refusedCalls = new Set(
    calls
      .filter((c) => c.insightsReadyAt !== null && inShare(c.callUuid, 0.015, seed))
      .map((c) => c.callUuid),
  );

  const clock = new SimClock(START.getTime());
  const dynamo = await startLocalDynamoDb();
  const sandbox = await startPlivoSandbox({ authId: AUTH_ID, authToken: AUTH_TOKEN, calls, now: clock.now });
  const dynamoClient = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'soak', secretAccessKey: 'soak' },
    maxAttempts: 2,
  });
  try {
    const tableName = `soak-state-${randomUUID()}`;
    await createStateTable(dynamoClient, tableName, { pollIntervalMs: 10 });
    const store = new DynamoDbStateStore({
      tableName,
      client: DynamoDBDocumentClient.from(dynamoClient, { marshallOptions: { removeUndefinedValues: true } }),
      now: clock.nowMs,
    });
    // A short request timeout keeps hung requests cheap in wall time; a small alert budget
    // sends the backlog after an outage through the catch-up summary path too.
    const config = parseConfig(
      {
        plivo: { requestTimeoutMs: 250 },
        notifications: { alertBudget: { maxAlerts: 4 } },
        ...(mode === 'incident'
          ? {
              grouping: { enabled: true, groupBy: ['trunk_domain'], resolveAfterMinutes: 30, maxUpdates: 2 },
              windowedRules: { 'packet-loss-spike': { enabled: true, minCalls: 5 } },
            }
          : {}),
      },
      'soak',
    );
    const givenUp = new Set<string>();
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (message, fields) => {
        if (message.startsWith('Insights never became available') && typeof fields?.callUuid === 'string') {
          givenUp.add(fields.callUuid);
        }
      },
      error: () => {},
    };
    // The deployed wiring: credentials from a secret, a client per set of credentials, one
    // connection that re-reads the secret when Plivo rejects the token.
    const secret = new SoakSecret({ authId: AUTH_ID, authToken: AUTH_TOKEN }, clock.nowMs);
    const connection = new PlivoConnection({
      credentials: secret,
      secrets: { addSecret: () => {} },
      createClient: (credentials) =>
        new PlivoClient({
          baseUrl: sandbox.baseUrl,
          authId: credentials.authId,
          authToken: credentials.authToken,
          config: config.plivo,
          logger,
          now: clock.nowMs,
          sleep: clock.sleep,
          random: mulberry32(seed + 1),
        }),
    });
    const insightsOutcomes = new Map<string, InsightsOutcome[]>();
    const channel = new RecordingChannel();
    const flaky = new FlakyChannel(channel, mulberry32(seed + 2));
    // SNS refuses these messages for good (InvalidParameter): they must end as dead letters.
    flaky.poisoned = (m) => inShare(noticeKeyOf(m), 0.03, seed);
    const ops = new RecordingChannel();
    const plan = new FaultPlan(mulberry32(seed + 3));

    const report: SoakReport = {
      mode,
      seed,
      simulatedHours: hours,
      calls: calls.length,
      runs: 0,
      runsCompleted: 0,
      runsPartial: 0,
      runsFailed: 0,
      runsFailedWithMetric: 0,
      runsCrashed: 0,
      runsSkippedLeaseHeld: 0,
      faultRuns: {},
      failureStreaks: 0,
      opsFailingMessages: 0,
      opsRecoveredMessages: 0,
      opsDeadLetterMessages: 0,
      tokenRotatedAt: null,
      authFailuresAfterRotation: 0,
      findingsExpected: 0,
      notificationsDelivered: 0,
      catchUpSummaries: 0,
      incidentsFired: 0,
      incidentsResolved: 0,
      incidentsStillFiring: 0,
      windowNotices: 0,
      findingsDelivered: 0,
      duplicates: 0,
      duplicatesExplained: 0,
      duplicatesUnexplained: 0,
      duplicatedKeys: [],
      deadLetters: 0,
      deadLettersUnreported: 0,
      findingsDeadLettered: 0,
      lost: 0,
      lostKeys: [],
      judgedWithoutInsights: 0,
      insightsRefusedCalls: refusedCalls.size,
      unexpected: 0,
      maxLagMinutes: 0,
      wallTimeMs: 0,
    };
    /** Per key: how many crashes left it accepted by SNS but not recorded as sent. */
    const inDoubt = new Map<string, number>();
    let streak = 0;

    const trafficEndMs = START.getTime() + hours * 60 * MIN;
    const rotateAtMs = START.getTime() + Math.floor(hours / 2) * 60 * MIN + 2 * MIN;
    const endMs = trafficEndMs + (mode === 'incident' ? INCIDENT_QUIET_TAIL_MS : QUIET_TAIL_MS);
    for (let at = START.getTime() + RUN_INTERVAL_MS; at <= endMs; at += RUN_INTERVAL_MS) {
      clock.advanceTo(at);
      if (report.tokenRotatedAt === null && at >= rotateAtMs) {
        // The token is rotated in Plivo and in the secret at once, while the poller is warm.
        const rotated = { authId: AUTH_ID, authToken: `${AUTH_TOKEN}-rotated` };
        sandbox.setCredentials(rotated.authId, rotated.authToken);
        secret.value = rotated;
        report.tokenRotatedAt = new Date(at).toISOString();
      }
      const runStart = clock.nowMs();
      const faults =
        at <= trafficEndMs
          ? plan.next()
          : { ...plan.next(), names: [], sandbox: {}, snsRejectRate: 0, crashAt: null };
      for (const name of faults.names) report.faultRuns[name] = (report.faultRuns[name] ?? 0) + 1;
      Object.assign(sandbox.faults, noFaults(), faults.sandbox, {
        insightsStatusByCall: Object.fromEntries([...refusedCalls].map((uuid) => [uuid, 400])),
      });
      sandbox.resetRequests();
      flaky.rejectRate = faults.snsRejectRate;

      const deadline = runStart + LAMBDA_TIMEOUT_MS;
      const injector = new CrashInjector({
        crashAt: faults.crashAt,
        publishMode: faults.publishMode,
        // Lambda stops the process at its timeout, wherever it is.
        killWhen: () => (clock.nowMs() > deadline ? 'lambda-timeout' : null),
      });
      let outcome: string;
      let summary: PollSummary | null = null;
      let runError: unknown = null;
      try {
        summary = await connection.run(
          (client) =>
            poll({
              source: injector.wrapSource(watchInsights(client, insightsOutcomes)),
              store: injector.wrapStore(store),
              notifier: injector.wrapNotifier(flaky),
              logger,
              config,
              now: clock.now,
              remainingTimeMs: () => Math.max(0, deadline - clock.nowMs()),
              runId: randomUUID(),
              scheduleIntervalMs: RUN_INTERVAL_MS,
            }),
          logger,
        );
        outcome = summary.status;
      } catch (error) {
        runError = error;
        summary = (error as { summary?: PollSummary }).summary ?? null;
        outcome = `failed: ${(error as Error).name}`;
        if (report.tokenRotatedAt !== null && (error as Error).name === 'PlivoAuthError') {
          report.authFailuresAfterRotation += 1;
        }
      }
      report.runs += 1;
      if (injector.crash) {
        // Whatever the run reported after the process died does not count: it died. Lambda
        // counts the invocation as an error (its Errors alarm), the next run takes over.
        outcome = `crashed: ${injector.describe()}`;
        report.runsCrashed += 1;
        for (const key of injector.acceptedNotCompleted.keys()) inDoubt.set(key, (inDoubt.get(key) ?? 0) + 1);
      } else {
        // Reported exactly as the handler reports it: metrics, health, operations messages.
        const metricLines: string[] = [];
        const metrics = new PollerMetrics({ write: (l) => metricLines.push(l) });
        const opsBefore = ops.sent.length;
        const outcomeReported = await reportRun(
          {
            store,
            opsNotifier: ops,
            logger,
            config,
            metrics,
            now: clock.now,
            scheduleIntervalMs: RUN_INTERVAL_MS,
          },
          { summary, error: runError },
        );
        // As the handler's logMetrics middleware does at the end of an invocation.
        metrics.publishStoredMetrics();
        const failedMetric = metricLines.some(
          (l) => (JSON.parse(l) as { PollFailed?: number }).PollFailed === 1,
        );
        if (outcome === 'completed') report.runsCompleted += 1;
        else if (outcome === 'partial') report.runsPartial += 1;
        else if (outcome === 'skipped-lease-held') report.runsSkippedLeaseHeld += 1;
        else {
          report.runsFailed += 1;
          if (failedMetric) report.runsFailedWithMetric += 1;
        }
        if (outcomeReported && !outcomeReported.ok) {
          streak += 1;
          // Each failed run counts its schedule interval (functions/core/schedule.ts).
          if (
            streak === Math.max(1, Math.ceil((config.operations.failingAlertMinutes * MIN) / RUN_INTERVAL_MS))
          )
            report.failureStreaks += 1;
        } else if (outcomeReported) streak = 0;
        for (const m of ops.sent.slice(opsBefore)) {
          if (m.json.failure === 'alerts-dead-lettered') report.opsDeadLetterMessages += 1;
          else if (m.json.state === 'resolved') report.opsRecoveredMessages += 1;
          else report.opsFailingMessages += 1;
        }
      }

      const cursor = await store.getCursor();
      const lagMinutes = cursor ? Math.max(0, clock.nowMs() - Date.parse(cursor.watermark)) / MIN : 0;
      report.maxLagMinutes = Math.max(report.maxLagMinutes, Math.round(lagMinutes * 10) / 10);
      log(
        `${new Date(runStart).toISOString()} ${outcome} [${faults.names.join(', ') || 'no faults'}] ` +
          `lag ${lagMinutes.toFixed(1)} min, ${channel.sent.length} sent`,
      );
    }

    // Ground truth against what the channel received.
    const finalNow = clock.now();
    const expected = expectedKeysAt(calls, finalNow);
    const counts = new Map<string, number>();
    for (const key of channel.sent.flatMap(notifiedKeysOf)) counts.set(key, (counts.get(key) ?? 0) + 1);
    const letters = await store.listDeadLetters();
    const deadKeys = new Set(letters.map((l) => l.key));
    report.deadLetters = letters.length;
    report.deadLettersUnreported = letters.filter((l) => !l.reported).length;
    report.notificationsDelivered = channel.sent.length;
    report.catchUpSummaries = channel.sent.filter((m) => m.json.kind === 'catch-up-summary').length;
    report.windowNotices = channel.sent.filter((m) => m.json.kind === 'windowed').length;
    report.findingsExpected = expected.length;
    for (const [key, n] of counts) {
      if (n <= 1) continue;
      const extra = n - 1;
      const explained = Math.min(extra, inDoubt.get(key) ?? 0);
      report.duplicates += extra;
      report.duplicatesExplained += explained;
      report.duplicatesUnexplained += extra - explained;
      if (explained < extra) report.duplicatedKeys.push(key);
    }

    // Which findings reached someone: one by one (per-call), or as part of an announced
    // incident of their rule and trunk (incident mode).
    const groups = mode === 'incident' ? await store.listGroups() : [];
    const groupOf = new Map(groups.map((g) => [g.id, `${g.ruleId}|${g.labels.trunk_domain ?? ''}`]));
    const announced = new Set<string>();
    for (const m of channel.sent) {
      if (m.json.kind === 'group' && m.json.notice === 'firing') {
        const labels = m.json.labels as Record<string, string>;
        announced.add(`${String(m.json.rule)}|${labels.trunk_domain ?? ''}`);
        report.incidentsFired += 1;
      }
      if (m.json.kind === 'group' && m.json.notice === 'resolved') report.incidentsResolved += 1;
    }
    for (const l of letters) {
      const id = /^zentrunk-alerts:group:([^#]+)#/.exec(l.key)?.[1];
      const group = id === undefined ? undefined : groupOf.get(id);
      if (group) announced.add(group);
    }
    report.incidentsStillFiring = groups.filter((g) => g.status === 'firing').length;
    const reached = (key: string): boolean => {
      if (mode === 'per-call') return counts.has(key);
      const uuid = key.slice(key.indexOf('#') + 1);
      const rule = key.slice('zentrunk-alerts:'.length, key.indexOf('#'));
      return announced.has(`${rule}|${trunkOf.get(uuid) ?? ''}`);
    };
    const expectedSet = new Set(expected);
    report.findingsDelivered = expected.filter(reached).length;
    if (mode === 'per-call')
      report.unexpected = [...counts.keys()].filter(
        (k) => !expectedSet.has(k) && !k.includes('catch-up'),
      ).length;

    // A finding set aside with its message (a dead letter) was refused by SNS for good: visible
    // (operations message, metric, alarm), not lost.
    const coveredByDeadLetter = new Set<string>();
    for (const l of letters) for (const key of [l.key, ...l.covers]) coveredByDeadLetter.add(key);
    for (const key of expected) {
      if (reached(key)) continue;
      if (coveredByDeadLetter.has(key) || deadKeys.has(key)) {
        report.findingsDeadLettered += 1;
        continue;
      }
      const uuid = key.slice(key.indexOf('#') + 1);
      const rule = key.slice('zentrunk-alerts:'.length, key.indexOf('#'));
      // Judged on the CDR alone because Plivo answered 404 to the last look the poller took
      // (poll.insightsWaitMinutes reached), or refused the call's Insights for good: the
      // documented trade-off, counted apart. Given up after an outage, or never judged, it is lost.
      const lastLook = insightsOutcomes.get(uuid)?.at(-1);
      if (!CDR_RULES.has(rule) && (refusedCalls.has(uuid) || (givenUp.has(uuid) && lastLook === 'not-ready')))
        report.judgedWithoutInsights += 1;
      else report.lostKeys.push(key);
    }
    report.lost = report.lostKeys.length;
    report.wallTimeMs = Date.now() - wallStart;
    return report;
  } finally {
    await sandbox.close();
    dynamoClient.destroy();
    await dynamo.close();
  }
}

export function formatReport(r: SoakReport): string {
  const faults = Object.entries(r.faultRuns)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return [
    `soak (${r.mode}): ${r.simulatedHours} simulated hours, seed ${r.seed}, ${r.calls} calls`,
    `runs                      ${r.runs} (completed ${r.runsCompleted}, partial ${r.runsPartial}, failed ${r.runsFailed}, crashed ${r.runsCrashed}, skipped ${r.runsSkippedLeaseHeld})`,
    `fault runs                ${faults || 'none'}`,
    `failed runs seen          ${r.runsFailedWithMetric} of ${r.runsFailed} with the PollFailed metric; ${r.failureStreaks} failure streak(s) → ${r.opsFailingMessages} operations message(s), ${r.opsRecoveredMessages} recovery message(s)`,
    `token rotated             ${r.tokenRotatedAt ?? 'no'} (${r.authFailuresAfterRotation} run(s) failed on the credentials after it)`,
    `findings expected         ${r.findingsExpected}`,
    r.mode === 'incident'
      ? `notifications delivered   ${r.notificationsDelivered} (${r.incidentsFired} incidents fired, ${r.incidentsResolved} resolved, ${r.incidentsStillFiring} still firing; ${r.windowNotices} windowed notices)`
      : `notifications delivered   ${r.notificationsDelivered} (${r.catchUpSummaries} catch-up summaries)`,
    `findings reaching on-call ${r.findingsDelivered}${r.mode === 'incident' ? ' (inside an announced incident of their rule and trunk)' : ''}`,
    `dead letters              ${r.deadLetters} (SNS refused for good; ${r.findingsDeadLettered} finding(s) in them; ${r.opsDeadLetterMessages} operations message(s); ${r.deadLettersUnreported} unreported)`,
    `duplicates                ${r.duplicates} (${r.duplicatesExplained} crash after SNS accepted, ${r.duplicatesUnexplained} unexplained)`,
    `lost                      ${r.lost}${r.lost > 0 ? `: ${r.lostKeys.join(', ')}` : ''}`,
    `judged on CDR alone       ${r.judgedWithoutInsights} (insights still 404 at poll.insightsWaitMinutes, or refused by Plivo for ${r.insightsRefusedCalls} call(s): by design)`,
    `unexpected findings       ${r.unexpected}`,
    `max lag                   ${r.maxLagMinutes} min`,
    `wall time                 ${(r.wallTimeMs / 1000).toFixed(1)} s`,
    r.duplicatedKeys.length > 0 ? `unexplained duplicates: ${r.duplicatedKeys.join(', ')}` : '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * The soak's verdict: lost alerts, unexplained repeats and unseen failures fail it (a failed run
 * without its metric, a streak without its operations message, a dead letter nobody was told
 * of, a rotation that broke runs, an incident left firing after the quiet tail).
 */
export function soakPassed(r: SoakReport): boolean {
  return (
    r.lost === 0 &&
    r.duplicatesUnexplained === 0 &&
    r.runsFailedWithMetric === r.runsFailed &&
    r.opsFailingMessages >= r.failureStreaks &&
    r.deadLettersUnreported === 0 &&
    r.authFailuresAfterRotation === 0 &&
    r.incidentsStillFiring === 0
  );
}

const USAGE = `Usage: npm run soak -- [--mode both|per-call|incident] [--hours N] [--seed S] [--calls-per-minute C] [--verbose]

  --mode <m>               per-call alerts, incident mode (grouping + windowed rules), or both (default)
  --hours <n>              simulated hours (default 6)
  --seed <s>               traffic, fault and crash seed (default 1)
  --calls-per-minute <c>   healthy calls per minute (default 2)
  --verbose                one line per run
  --help                   this text

Exit code 1 when an alert was lost or repeated outside the documented case, or a failure went unseen.`;

async function main(): Promise<void> {
  const values = scriptArgs({
    mode: { type: 'string', default: 'both' },
    hours: { type: 'string', default: '6' },
    seed: { type: 'string', default: '1' },
    'calls-per-minute': { type: 'string', default: '2' },
    verbose: { type: 'boolean', default: false },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const hours = Number(values.hours);
  const seed = Number(values.seed);
  const callsPerMinute = Number(values['calls-per-minute']);
  const mode = String(values.mode);
  const modes: SoakMode[] =
    mode === 'both' ? ['per-call', 'incident'] : mode === 'incident' ? ['incident'] : ['per-call'];
  if (
    !(hours > 0) ||
    !Number.isInteger(seed) ||
    !(callsPerMinute >= 0) ||
    !['both', 'per-call', 'incident'].includes(mode)
  ) {
    throw new UsageError(
      '--mode must be both, per-call or incident, --hours > 0, --seed a whole number, --calls-per-minute >= 0',
    );
  }
  let passed = true;
  for (const mode of modes) {
    const report = await runSoak({
      mode,
      hours,
      seed,
      callsPerMinute,
      log: values.verbose ? (line) => console.log(line) : undefined,
    });
    console.log(formatReport(report));
    console.log(soakPassed(report) ? 'PASSED\n' : 'FAILED\n');
    passed &&= soakPassed(report);
  }
  process.exitCode = passed ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => reportScriptError(error, USAGE));
}
