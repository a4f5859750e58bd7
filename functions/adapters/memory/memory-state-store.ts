/**
 * The StateStore port in memory, with the DynamoDB store's semantics: the same claim states
 * and conditions (absent, expired by TTL, a stale in-progress claim, a refused record), claims
 * owned by id, expiry decided by the clock on every read, optimistic versions on the cursor,
 * groups and windows. It is what `zentrunk-alerts backtest` replays into, and what the poll
 * use case's fast tests use where a DynamoDB-compatible server adds nothing. Both stores pass
 * the same contract tests (test/integration/state-store-contract.test.ts), so a behaviour
 * proven here holds over DynamoDB.
 *
 * Not for production: nothing survives the process, and it is one process's view.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_POLLER } from '../../core/accounts';
import { EvaluatedCalls, type EvaluatedEntry, type EvaluatedRecord } from '../../core/evaluated-calls';
import type { GroupState } from '../../core/groups/group';
import type { HealthState } from '../../core/health/run-health';
import type { RunRecord } from '../../core/health/run-log';
import type {
  ClaimResult,
  Cursor,
  DeadLetter,
  DeadLetterInput,
  OutboxEntry,
  PendingInsightsItem,
  ReadRange,
  StateStore,
} from '../../core/ports';
import type { StoredSilence } from '../../core/stored-silences';
import type { StoredTraffic } from '../../core/traffic/traffic-state';
import type { WindowState } from '../../core/windowed/window';

type AlertStatus = 'IN_PROGRESS' | 'COMPLETED' | 'REJECTED' | 'DEAD_LETTER';

interface AlertRecord {
  status: AlertStatus;
  inProgressUntil?: number;
  claimId?: string;
  messageId?: string;
  rejections: number;
  expiresAtSec: number;
}

interface Expiring<T> {
  value: T;
  expiresAtSec: number;
}

/** Structured clone, so a caller can never change what the store holds (as with a real table). */
const copy = <T>(value: T): T => structuredClone(value);

/** One poller's state in a MemoryStateTable: what the DynamoDB store keeps under its `<poller>` keys. */
interface PollerState {
  cursor: Cursor | null;
  alerts: Map<string, AlertRecord>;
  deadLetters: Map<string, Expiring<DeadLetter>>;
  outbox: Map<string, Expiring<OutboxEntry>>;
  pending: Map<string, Expiring<PendingInsightsItem>>;
  /** Compact records of evaluated calls, as the DynamoDB store keeps them (one per batch). */
  evaluated: Array<{ fromMs: number; toMs: number; calls: EvaluatedEntry[]; expiresAtSec: number }>;
  lease: { owner: string; until: number } | null;
  health: HealthState | null;
  groups: Map<string, Expiring<GroupState>>;
  windows: Map<string, Expiring<WindowState>>;
  traffic: Map<string, Expiring<StoredTraffic>>;
  silences: Map<string, StoredSilence>;
  runs: RunRecord[];
}

/**
 * What several MemoryStateStores share, as stores share one DynamoDB table: stores of the same
 * poller see the same state, stores of different pollers (accounts) never see each other's.
 */
export class MemoryStateTable {
  private readonly pollers = new Map<string, PollerState>();

  /** The state of one poller, created empty on first use. */
  stateOf(poller: string): PollerState {
    let state = this.pollers.get(poller);
    if (!state) {
      state = {
        cursor: null,
        alerts: new Map(),
        deadLetters: new Map(),
        outbox: new Map(),
        pending: new Map(),
        evaluated: [],
        lease: null,
        health: null,
        groups: new Map(),
        windows: new Map(),
        traffic: new Map(),
        silences: new Map(),
        runs: [],
      };
      this.pollers.set(poller, state);
    }
    return state;
  }
}

export interface MemoryStateStoreOptions {
  /** Names this store's state in `table`, as the DynamoDB store's `poller` does (default 'poller'). */
  poller?: string;
  /** A table shared with other stores (default: one of its own). */
  table?: MemoryStateTable;
}

export class MemoryStateStore implements StateStore {
  /** Cursor, lease and health: the poller's, in the table. */
  private readonly state: PollerState;
  private readonly alerts: Map<string, AlertRecord>;
  private readonly deadLetters: Map<string, Expiring<DeadLetter>>;
  private readonly outbox: Map<string, Expiring<OutboxEntry>>;
  private readonly pending: Map<string, Expiring<PendingInsightsItem>>;
  private readonly evaluated: PollerState['evaluated'];
  private readonly groups: Map<string, Expiring<GroupState>>;
  private readonly windows: Map<string, Expiring<WindowState>>;
  private readonly silences: Map<string, StoredSilence>;
  private readonly runs: RunRecord[];
  /** The claim ids this store handed out, so a release never frees a claim another run took over. */
  private readonly claims = new Map<string, string>();

  constructor(
    private readonly now: () => number = Date.now,
    options: MemoryStateStoreOptions = {},
  ) {
    this.state = (options.table ?? new MemoryStateTable()).stateOf(options.poller ?? DEFAULT_POLLER);
    this.alerts = this.state.alerts;
    this.evaluated = this.state.evaluated;
    this.deadLetters = this.state.deadLetters;
    this.outbox = this.state.outbox;
    this.pending = this.state.pending;
    this.groups = this.state.groups;
    this.windows = this.state.windows;
    this.silences = this.state.silences;
    this.runs = this.state.runs;
  }

  private nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  private live<T>(item: Expiring<T> | undefined): T | undefined {
    return item && item.expiresAtSec >= this.nowSec() ? item.value : undefined;
  }

  async getCursor(): Promise<Cursor | null> {
    return this.state.cursor && copy(this.state.cursor);
  }

  async saveCursor(watermark: string, expectedVersion: number | null): Promise<void> {
    if ((this.state.cursor?.version ?? null) !== expectedVersion) {
      throw new Error(`saveCursor: the cursor is no longer at expected version ${expectedVersion}`);
    }
    this.state.cursor = { watermark, version: (expectedVersion ?? 0) + 1 };
  }

  async claimAlert(
    key: string,
    opts: { nowMs: number; inProgressUntilMs: number; expiresAtSec: number },
  ): Promise<ClaimResult> {
    const record = this.alerts.get(key);
    const claimable =
      record === undefined ||
      record.expiresAtSec < Math.floor(opts.nowMs / 1000) ||
      (record.status === 'IN_PROGRESS' && (record.inProgressUntil ?? 0) < opts.nowMs) ||
      record.status === 'REJECTED';
    if (!claimable) {
      if (record.status === 'COMPLETED') return 'already-sent';
      return record.status === 'DEAD_LETTER' ? 'dead-letter' : 'in-progress';
    }
    const claimId = randomUUID();
    this.alerts.set(key, {
      status: 'IN_PROGRESS',
      inProgressUntil: opts.inProgressUntilMs,
      claimId,
      rejections: record?.rejections ?? 0,
      expiresAtSec: opts.expiresAtSec,
    });
    this.claims.set(key, claimId);
    return 'claimed';
  }

  async completeAlert(
    key: string,
    opts: { nowMs: number; messageId: string; expiresAtSec: number },
  ): Promise<void> {
    const record = this.alerts.get(key);
    this.alerts.set(key, {
      status: 'COMPLETED',
      messageId: opts.messageId,
      rejections: record?.rejections ?? 0,
      expiresAtSec: opts.expiresAtSec,
    });
    this.claims.delete(key);
  }

  async releaseAlert(key: string, rejection?: { reason: string }): Promise<number> {
    const claimId = this.claims.get(key);
    this.claims.delete(key);
    const record = this.alerts.get(key);
    const ours = record?.status === 'IN_PROGRESS' && (claimId === undefined || record.claimId === claimId);
    if (!record || !ours) return 0;
    if (!rejection) {
      this.alerts.delete(key);
      return 0;
    }
    record.status = 'REJECTED';
    record.rejections += 1;
    delete record.inProgressUntil;
    delete record.claimId;
    return record.rejections;
  }

  async deadLetterAlert(key: string, letter: DeadLetterInput): Promise<void> {
    this.deadLetters.set(key, {
      value: {
        key,
        subject: letter.subject,
        reason: letter.reason,
        rejections: letter.rejections,
        deadLetteredAt: new Date(letter.nowMs).toISOString(),
        reported: false,
        covers: [...(letter.covers ?? [])],
      },
      expiresAtSec: letter.expiresAtSec,
    });
    const record = this.alerts.get(key);
    this.alerts.set(key, {
      status: 'DEAD_LETTER',
      rejections: record?.rejections ?? letter.rejections,
      expiresAtSec: letter.expiresAtSec,
    });
    this.claims.delete(key);
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    return [...this.deadLetters.values()].flatMap((item) => {
      const value = this.live(item);
      return value ? [copy(value)] : [];
    });
  }

  async markDeadLettersReported(keys: string[]): Promise<void> {
    for (const key of keys) {
      const item = this.deadLetters.get(key);
      if (item) item.value.reported = true;
    }
  }

  async putOutbox(entry: OutboxEntry, expiresAtSec: number): Promise<void> {
    this.outbox.set(entry.key, { value: copy(entry), expiresAtSec });
  }

  async listOutbox(): Promise<OutboxEntry[]> {
    return [...this.outbox.values()].flatMap((item) => {
      const value = this.live(item);
      return value ? [copy(value)] : [];
    });
  }

  async deleteOutbox(key: string): Promise<void> {
    this.outbox.delete(key);
  }

  async listPendingInsights(): Promise<PendingInsightsItem[]> {
    return [...this.pending.values()].flatMap((item) => {
      const value = this.live(item);
      return value ? [copy(value)] : [];
    });
  }

  async putPendingInsights(items: PendingInsightsItem[], expiresAtSec: number): Promise<void> {
    for (const item of items) {
      this.pending.set(item.call.callUuid, {
        value: copy({ ...item, errors: item.errors ?? 0 }),
        expiresAtSec,
      });
    }
  }

  async deletePendingInsights(callUuids: string[]): Promise<void> {
    for (const uuid of callUuids) this.pending.delete(uuid);
  }

  async getEvaluatedCalls(range: ReadRange): Promise<EvaluatedCalls> {
    const nowSec = this.nowSec();
    const records: EvaluatedRecord[] = [];
    for (const record of this.evaluated) {
      if (record.expiresAtSec < nowSec) continue;
      if (record.toMs <= range.from.getTime() || record.fromMs >= range.to.getTime()) continue;
      records.push({
        span: { from: new Date(record.fromMs), to: new Date(record.toMs) },
        calls: record.calls,
      });
    }
    return new EvaluatedCalls(records);
  }

  async recordEvaluatedCalls(
    span: ReadRange,
    calls: readonly EvaluatedEntry[],
    expiresAtSec: number,
  ): Promise<void> {
    if (calls.length === 0) return;
    this.evaluated.push({
      fromMs: span.from.getTime(),
      toMs: span.to.getTime(),
      calls: calls.map((c) => ({ ...c })),
      expiresAtSec,
    });
  }

  async acquireLease(owner: string, opts: { nowMs: number; untilMs: number }): Promise<boolean> {
    if (this.state.lease && this.state.lease.until >= opts.nowMs && this.state.lease.owner !== owner)
      return false;
    this.state.lease = { owner, until: opts.untilMs };
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    if (this.state.lease?.owner === owner) this.state.lease = null;
  }

  async getHealth(): Promise<HealthState | null> {
    return this.state.health && copy(this.state.health);
  }

  async saveHealth(health: HealthState): Promise<void> {
    this.state.health = copy(health);
  }

  async listGroups(): Promise<GroupState[]> {
    return this.listVersioned(this.groups);
  }

  async saveGroup(group: GroupState, expiresAtSec: number): Promise<number> {
    return this.saveVersioned(this.groups, 'group', group, expiresAtSec);
  }

  async listWindows(): Promise<WindowState[]> {
    return this.listVersioned(this.windows);
  }

  async saveWindow(window: WindowState, expiresAtSec: number): Promise<number> {
    return this.saveVersioned(this.windows, 'window', window, expiresAtSec);
  }

  async listTraffic(): Promise<StoredTraffic[]> {
    return this.listVersioned(this.state.traffic);
  }

  async saveTraffic(item: StoredTraffic, expiresAtSec: number): Promise<number> {
    return this.saveVersioned(this.state.traffic, 'traffic', item, expiresAtSec);
  }

  async listSilences(): Promise<StoredSilence[]> {
    return [...this.silences.values()].map(copy);
  }

  /** Not in the port: what `zentrunk-alerts silence add` does against a real table. */
  async putSilence(silence: StoredSilence): Promise<void> {
    this.silences.set(silence.id, copy(silence));
  }

  async recordRun(record: RunRecord): Promise<void> {
    this.runs.unshift(copy(record));
  }

  /** The runs recorded, newest first. */
  async listRuns(limit = 20): Promise<RunRecord[]> {
    return this.runs.slice(0, limit).map(copy);
  }

  private listVersioned<T extends { version: number }>(items: Map<string, Expiring<T>>): T[] {
    return [...items.values()].flatMap((item) => {
      const value = this.live(item);
      return value ? [copy(value)] : [];
    });
  }

  private saveVersioned<T extends { id: string; version: number }>(
    items: Map<string, Expiring<T>>,
    kind: string,
    value: T,
    expiresAtSec: number,
  ): number {
    // An expired item counts as gone for a new one (version 0), as the DynamoDB store's
    // conditional put allows; any other write must match the stored version, expired or not.
    const stored = items.get(value.id);
    const storedVersion =
      stored && !(value.version === 0 && stored.expiresAtSec < this.nowSec()) ? stored.value.version : 0;
    if (storedVersion !== value.version) {
      throw new Error(`${kind} ${value.id} was changed by another run`);
    }
    const version = value.version + 1;
    items.set(value.id, { value: copy({ ...value, version }), expiresAtSec });
    return version;
  }
}
