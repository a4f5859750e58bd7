import { randomUUID } from 'node:crypto';
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { JsonLogger } from '../../functions/adapters/logging/json-logger';
import { MemoryStateStore } from '../../functions/adapters/memory/memory-state-store';
import { PlivoClient } from '../../functions/adapters/plivo/plivo-client';
import { parseConfig } from '../../functions/core/config/load-config';
import { NotificationRejectedError } from '../../functions/core/errors';
import type { AlertConfig } from '../../functions/core/config/schema';
import { type PollSummary, poll } from '../../functions/core/poll/poll-use-case';
import type { AlertMessage, CallSource, Notifier, StateStore } from '../../functions/core/ports';
import { type PlivoSandbox, type SandboxFaults, startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import { mulberry32, type SandboxCall } from '../../sandbox/traffic';
import { type Dynalite, makeTestTable, startDynalite } from './dynalite';

export const TEST_AUTH_ID = 'MATESTPIPELINE00000001';
export const TEST_AUTH_TOKEN = 'pipeline-test-token-4f9a2c71e0';

/** Simulated time shared by the sandbox (CDR and insights readiness), the client and the poller. */
export class FakeClock {
  constructor(
    private ms: number,
    /** Real milliseconds a wait takes are its simulated ones divided by this. */
    private readonly realTimeDivisor = 100,
  ) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
  /**
   * Backoff and rate-limit waits take 1/100 of their time for real (so concurrent waiters wake
   * in the order they would, instead of in lockstep) and their full time on the clock.
   */
  sleep = async (ms: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms / this.realTimeDivisor, 50)));
    this.ms += ms;
  };
}

/** A notifier that keeps what it was given; it can be told to refuse some publishes. */
export class RecordingNotifier implements Notifier {
  readonly sent: AlertMessage[] = [];
  failNext = 0;
  failAll = false;
  /** Messages refused for good, as SNS refuses one it will never accept (InvalidParameter). */
  rejectWhen: ((message: AlertMessage) => boolean) | null = null;
  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    if (this.rejectWhen?.(message)) {
      throw new NotificationRejectedError(
        'InvalidParameterException: Invalid parameter: Message too long (test)',
      );
    }
    if (this.failAll || this.failNext > 0) {
      this.failNext = Math.max(0, this.failNext - 1);
      throw new Error('SNS said no (test)');
    }
    this.sent.push(message);
    return { messageId: `m-${this.sent.length}` };
  }
  keys(): string[] {
    return this.sent.map((m) => m.dedupKey);
  }
}

export interface PipelineOptions {
  /** The DynamoDB-compatible server; without it the state lives in the in-memory store. */
  dynamoEndpoint?: string;
  calls: readonly SandboxCall[];
  start: Date;
  config?: unknown;
  faults?: Partial<SandboxFaults>;
  /** See FakeClock: runs that wait on the rate limiter for minutes of simulated time use 1000. */
  realTimeDivisor?: number;
  /** The Plivo client's fetch (default: the global one), e.g. to inject faults at the client. */
  fetch?: typeof fetch;
  /** The Plivo client's list pages asked for ahead (see PlivoClientOptions; 0: one at a time). */
  listPagesAhead?: number;
}

export interface Pipeline {
  clock: FakeClock;
  sandbox: PlivoSandbox;
  store: StateStore;
  client: PlivoClient;
  notifier: RecordingNotifier;
  config: AlertConfig;
  logs: string[];
  /** One poll run at the clock's current time. */
  run(options?: {
    remainingTimeMs?: () => number;
    store?: StateStore;
    notifier?: Notifier;
    source?: CallSource;
    scheduleIntervalMs?: number;
  }): Promise<PollSummary>;
  close(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const clock = new FakeClock(options.start.getTime(), options.realTimeDivisor);
  const sandbox = await startPlivoSandbox({
    authId: TEST_AUTH_ID,
    authToken: TEST_AUTH_TOKEN,
    calls: options.calls,
    now: clock.now,
    faults: options.faults,
  });
  // The in-memory store passes the DynamoDB store's contract (state-store-contract.test.ts):
  // scenario tests whose subject is the lifecycle, not DynamoDB, use it for speed.
  const table = options.dynamoEndpoint ? await makeTestTable(options.dynamoEndpoint) : null;
  const store: StateStore = table
    ? new DynamoDbStateStore({
        tableName: table.tableName,
        client: table.documentClient,
        now: () => clock.now().getTime(),
      })
    : new MemoryStateStore(() => clock.now().getTime());
  const logs: string[] = [];
  const logger = new JsonLogger({ write: (line) => logs.push(line), level: 'debug' });
  logger.addSecret(TEST_AUTH_TOKEN);
  const config = parseConfig(options.config ?? {}, 'test');
  const client = new PlivoClient({
    baseUrl: sandbox.baseUrl,
    authId: TEST_AUTH_ID,
    authToken: TEST_AUTH_TOKEN,
    config: config.plivo,
    logger,
    now: () => clock.now().getTime(),
    sleep: clock.sleep,
    random: mulberry32(42),
    fetch: options.fetch,
    listPagesAhead: options.listPagesAhead,
  });
  const notifier = new RecordingNotifier();
  return {
    clock,
    sandbox,
    store,
    client,
    notifier,
    config,
    logs,
    run: (runOptions = {}) =>
      poll({
        source: runOptions.source ?? client,
        store: runOptions.store ?? store,
        notifier: runOptions.notifier ?? notifier,
        logger: logger.child({ run: randomUUID() }),
        config,
        now: clock.now,
        remainingTimeMs: runOptions.remainingTimeMs ?? (() => 240_000),
        runId: randomUUID(),
        scheduleIntervalMs: runOptions.scheduleIntervalMs,
      }),
    close: async () => {
      await sandbox.close();
      table?.client.destroy();
    },
  };
}

/** The keys a run at `now` can already produce (the traffic's own expectation). */
export { expectedKeysAt } from '../../sandbox/traffic';

/**
 * For a test file: one dynalite server for all its tests, and every pipeline a test starts
 * closed after that test.
 */
export function pipelinesForEachTest(options: { store?: 'dynalite' | 'memory' } = {}): {
  start(options: Omit<PipelineOptions, 'dynamoEndpoint'>): Promise<Pipeline>;
  endpoint(): string;
} {
  const memory = options.store === 'memory';
  let dynamo: Dynalite | undefined;
  const open: Pipeline[] = [];
  beforeAll(async () => {
    if (!memory) dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo?.close();
  });
  afterEach(async () => {
    for (const p of open.splice(0)) await p.close();
  });
  const endpoint = () => {
    if (!dynamo) throw new Error('pipelinesForEachTest: use it inside a test');
    return dynamo.endpoint;
  };
  return {
    endpoint,
    start: async (startOptions) => {
      const p = await startPipeline({ ...startOptions, dynamoEndpoint: memory ? undefined : endpoint() });
      open.push(p);
      return p;
    },
  };
}
