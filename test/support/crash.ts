/**
 * A crash injector for the poller's ports. It wraps a StateStore, a CallSource and a Notifier
 * and counts every method call across all three, in order. The K-th call and every call after
 * it throw a SimulatedCrash: a process that died does nothing more, so even the `finally`
 * blocks of the poll run (releaseLease, releaseAlert) reach nothing. Whatever the run does
 * with the error afterwards cannot touch state, because every port is dead.
 *
 * A publish can die at two points: before the channel accepted the message (nothing is
 * delivered), or after it accepted it but before the caller saw the answer (the message IS
 * delivered, then the process dies). The injector keeps the alert keys whose message was
 * accepted and whose dedup record was never marked sent: exactly the documented window in
 * which one message may repeat.
 *
 * Deliberately free of jest and of the test pipeline at run time (type imports only), so
 * scripts/soak.ts can use it too.
 */
import { randomUUID } from 'node:crypto';
import { type PollSummary, poll } from '../../functions/core/poll/poll-use-case';
import type { AlertMessage, CallSource, Logger, Notifier, StateStore } from '../../functions/core/ports';
import type { Pipeline } from './pipeline';

export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
  constructor(
    /** 1-based port call at which the process died. */
    readonly step: number,
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`simulated crash at step ${step} = ${operation} (${reason})`);
  }
}

/** Where a crashing notifier.publish dies relative to the channel accepting the message. */
export type PublishCrashMode = 'before-accepted' | 'after-accepted';

export interface CrashInjectorOptions {
  /** The 1-based port call at which the process dies; null or absent: never (a counting run). */
  crashAt?: number | null;
  /** When the crashing call is notifier.publish (default 'before-accepted'). */
  publishMode?: PublishCrashMode;
  /** Checked before every port call; true kills the process there (e.g. a Lambda timeout). */
  killWhen?: () => string | null;
}

/**
 * The alert keys a message stands for: its own dedup key, or for a catch-up summary the keys
 * of the findings it carries (each of them is recorded as sent once the summary went out).
 */
export function notifiedKeysOf(message: AlertMessage): string[] {
  if (message.json.kind !== 'catch-up-summary') {
    // A group or window notice: its own claim key (the dedup key is shared by the incident's notices).
    return [typeof message.json.noticeKey === 'string' ? message.json.noticeKey : message.dedupKey];
  }
  const calls = message.json.calls;
  if (!Array.isArray(calls)) return [];
  return calls.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { rule, callUuid } = entry as Record<string, unknown>;
    return typeof rule === 'string' && typeof callUuid === 'string'
      ? [`zentrunk-alerts:${rule}#${callUuid}`]
      : [];
  });
}

export class CrashInjector {
  /** Operation names of the port calls made while alive, in order; the crashing one is last. */
  readonly operations: string[] = [];
  /** The crash, once it happened. */
  crash: SimulatedCrash | null = null;
  /** Port calls the dead process still attempted (all refused). */
  callsAfterCrash = 0;
  /**
   * Alert keys whose message the channel accepted and whose completeAlert never succeeded,
   * each with the dedup key of the message that carried it (a catch-up summary carries several).
   */
  readonly acceptedNotCompleted = new Map<string, string>();

  private readonly crashAt: number | null;
  private readonly publishMode: PublishCrashMode;
  private readonly killWhen: (() => string | null) | undefined;

  constructor(options: CrashInjectorOptions = {}) {
    this.crashAt = options.crashAt ?? null;
    this.publishMode = options.publishMode ?? 'before-accepted';
    this.killWhen = options.killWhen;
  }

  /** "crashed at step 57 = store.completeAlert (after-accepted)", or "no crash". */
  describe(): string {
    return this.crash ? this.crash.message : 'no crash';
  }

  /** Messages that may legitimately repeat: accepted, never recorded as sent (0 or 1 after one crash). */
  messagesInDoubt(): string[] {
    return [...new Set(this.acceptedNotCompleted.values())];
  }

  wrapStore(store: StateStore): StateStore {
    const step = <T>(name: string, call: () => Promise<T>) => this.step(`store.${name}`, call);
    return {
      getCursor: () => step('getCursor', () => store.getCursor()),
      saveCursor: (watermark, expectedVersion) =>
        step('saveCursor', () => store.saveCursor(watermark, expectedVersion)),
      claimAlert: (key, opts) => step('claimAlert', () => store.claimAlert(key, opts)),
      completeAlert: (key, opts) =>
        step('completeAlert', async () => {
          await store.completeAlert(key, opts);
          this.acceptedNotCompleted.delete(key);
        }),
      releaseAlert: (key, rejection) => step('releaseAlert', () => store.releaseAlert(key, rejection)),
      deadLetterAlert: (key, letter) => step('deadLetterAlert', () => store.deadLetterAlert(key, letter)),
      listDeadLetters: () => step('listDeadLetters', () => store.listDeadLetters()),
      markDeadLettersReported: (keys) =>
        step('markDeadLettersReported', () => store.markDeadLettersReported(keys)),
      putOutbox: (entry, expiresAtSec) => step('putOutbox', () => store.putOutbox(entry, expiresAtSec)),
      listOutbox: () => step('listOutbox', () => store.listOutbox()),
      deleteOutbox: (key) => step('deleteOutbox', () => store.deleteOutbox(key)),
      listPendingInsights: () => step('listPendingInsights', () => store.listPendingInsights()),
      putPendingInsights: (items, expiresAtSec) =>
        step('putPendingInsights', () => store.putPendingInsights(items, expiresAtSec)),
      deletePendingInsights: (uuids) =>
        step('deletePendingInsights', () => store.deletePendingInsights(uuids)),
      getEvaluatedCalls: (range) => step('getEvaluatedCalls', () => store.getEvaluatedCalls(range)),
      recordEvaluatedCalls: (span, uuids, expiresAtSec) =>
        step('recordEvaluatedCalls', () => store.recordEvaluatedCalls(span, uuids, expiresAtSec)),
      acquireLease: (owner, opts) => step('acquireLease', () => store.acquireLease(owner, opts)),
      releaseLease: (owner) => step('releaseLease', () => store.releaseLease(owner)),
      getHealth: () => step('getHealth', () => store.getHealth()),
      listRuns: (limit) => step('listRuns', () => store.listRuns(limit)),
      saveHealth: (health) => step('saveHealth', () => store.saveHealth(health)),
      listGroups: () => step('listGroups', () => store.listGroups()),
      saveGroup: (group, expiresAtSec) => step('saveGroup', () => store.saveGroup(group, expiresAtSec)),
      listWindows: () => step('listWindows', () => store.listWindows()),
      saveWindow: (window, expiresAtSec) => step('saveWindow', () => store.saveWindow(window, expiresAtSec)),
      listTraffic: () => step('listTraffic', () => store.listTraffic()),
      saveTraffic: (item, expiresAtSec) => step('saveTraffic', () => store.saveTraffic(item, expiresAtSec)),
      listSilences: () => step('listSilences', () => store.listSilences()),
      recordRun: (record) => step('recordRun', () => store.recordRun(record)),
    };
  }

  wrapSource(source: CallSource): CallSource {
    return {
      listCalls: (window) => this.step('source.listCalls', () => source.listCalls(window)),
      countCalls: (range) => this.step('source.countCalls', () => source.countCalls(range)),
      getInsights: (uuid) => this.step('source.getInsights', () => source.getInsights(uuid)),
    };
  }

  wrapNotifier(notifier: Notifier): Notifier {
    return {
      publish: (message) =>
        this.step(
          'notifier.publish',
          async () => {
            const result = await notifier.publish(message);
            for (const key of notifiedKeysOf(message)) this.acceptedNotCompleted.set(key, message.dedupKey);
            return result;
          },
          // Dying after acceptance: the message went out, the caller never learns it.
          this.publishMode === 'after-accepted',
        ),
    };
  }

  private async step<T>(operation: string, call: () => Promise<T>, runBeforeDying = false): Promise<T> {
    if (this.crash) {
      this.callsAfterCrash += 1;
      throw this.crash;
    }
    const killed = this.killWhen?.() ?? null;
    const n = this.operations.push(operation);
    if (killed !== null) throw this.die(n, operation, killed);
    if (this.crashAt === null || n < this.crashAt) return call();
    if (runBeforeDying) {
      try {
        await call();
      } catch {
        // It failed on its own (e.g. the channel refused); the process dies all the same.
      }
      throw this.die(n, operation, 'after-accepted');
    }
    throw this.die(n, operation, operation === 'notifier.publish' ? 'before-accepted' : 'injected');
  }

  private die(step: number, operation: string, reason: string): SimulatedCrash {
    this.crash = new SimulatedCrash(step, operation, reason);
    return this.crash;
  }
}

const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * One poll run of a test pipeline through the given ports (pipeline.run cannot swap the call
 * source, which crash and outage tests need). Unset ports are the pipeline's own.
 */
export function pollThrough(
  pipeline: Pipeline,
  ports: {
    source?: CallSource;
    store?: StateStore;
    notifier?: Notifier;
    remainingTimeMs?: () => number;
    runId?: string;
  } = {},
): Promise<PollSummary> {
  return poll({
    source: ports.source ?? pipeline.client,
    store: ports.store ?? pipeline.store,
    notifier: ports.notifier ?? pipeline.notifier,
    logger: silentLogger,
    config: pipeline.config,
    now: pipeline.clock.now,
    remainingTimeMs: ports.remainingTimeMs ?? (() => 240_000),
    runId: ports.runId ?? randomUUID(),
  });
}

/** One run with every port behind the injector; a crash (or any failure) is the run's business. */
export async function crashingRun(
  pipeline: Pipeline,
  injector: CrashInjector,
  options: { remainingTimeMs?: () => number } = {},
): Promise<PollSummary | Error> {
  try {
    return await pollThrough(pipeline, {
      source: injector.wrapSource(pipeline.client),
      store: injector.wrapStore(pipeline.store),
      notifier: injector.wrapNotifier(pipeline.notifier),
      remainingTimeMs: options.remainingTimeMs,
    });
  } catch (error) {
    return error as Error;
  }
}
