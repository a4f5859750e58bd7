/**
 * The ports of a poll run, in memory, for replaying history: a call source that serves calls
 * already fetched, a state store that behaves like the DynamoDB one (claims, versions) for one
 * process, and a notifier that only counts. Nothing leaves the process; nothing is sent.
 */
import type { Call, CallInsights } from '../../functions/core/call';
import type { GroupState } from '../../functions/core/groups/group';
import type { HealthState } from '../../functions/core/health/run-health';
import type { RunRecord } from '../../functions/core/health/run-log';
import type {
  DeadLetter,
  OutboxEntry,
  AlertMessage,
  CallSource,
  CallWindow,
  ClaimResult,
  Cursor,
  ListCallsResult,
  Notifier,
  PendingInsightsItem,
  StateStore,
} from '../../functions/core/ports';
import type { StoredSilence } from '../../functions/core/stored-silences';
import type { WindowState } from '../../functions/core/windowed/window';

/** Calls by end time, with their insights (null: Plivo never had them). */
export class MemoryCallSource implements CallSource {
  private readonly calls: Call[];
  constructor(
    calls: readonly Call[],
    private readonly insights: ReadonlyMap<string, CallInsights>,
  ) {
    this.calls = [...calls]
      .filter((c) => c.endTime !== null)
      .sort((a, b) => (a.endTime as string).localeCompare(b.endTime as string));
  }

  async listCalls(window: CallWindow): Promise<ListCallsResult> {
    const from = window.from.toISOString();
    const to = window.to.toISOString();
    const start = this.firstAtOrAfter(from);
    const out: Call[] = [];
    for (let i = start; i < this.calls.length; i += 1) {
      const call = this.calls[i] as Call;
      if ((call.endTime as string) >= to) break;
      out.push(call);
    }
    return { calls: out, skipped: [], pages: 0 };
  }

  async getInsights(callUuid: string): Promise<CallInsights | null> {
    return this.insights.get(callUuid) ?? null;
  }

  private firstAtOrAfter(iso: string): number {
    let lo = 0;
    let hi = this.calls.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (((this.calls[mid] as Call).endTime as string) < iso) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface AlertItem {
  status: 'IN_PROGRESS' | 'COMPLETED';
  inProgressUntil: number;
}

/** The state store's behaviour, for one process and a simulated clock (no expiry needed within a replay). */
export class MemoryStateStore implements StateStore {
  private cursor: Cursor | null = null;
  private readonly alerts = new Map<string, AlertItem>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly pending = new Map<string, PendingInsightsItem>();
  private readonly evaluated = new Set<string>();
  private readonly groups = new Map<string, GroupState>();
  private readonly windows = new Map<string, WindowState>();
  private health: HealthState | null = null;
  private lease: { owner: string; until: number } | null = null;

  async getCursor(): Promise<Cursor | null> {
    return this.cursor && { ...this.cursor };
  }
  async saveCursor(watermark: string, expectedVersion: number | null): Promise<void> {
    if ((this.cursor?.version ?? null) !== expectedVersion) throw new Error('cursor changed by another run');
    this.cursor = { watermark, version: (expectedVersion ?? 0) + 1 };
  }
  async claimAlert(key: string, opts: { nowMs: number; inProgressUntilMs: number }): Promise<ClaimResult> {
    const item = this.alerts.get(key);
    if (item?.status === 'COMPLETED') return 'already-sent';
    if (item && item.inProgressUntil >= opts.nowMs) return 'in-progress';
    this.alerts.set(key, { status: 'IN_PROGRESS', inProgressUntil: opts.inProgressUntilMs });
    return 'claimed';
  }
  async completeAlert(key: string): Promise<void> {
    this.alerts.set(key, { status: 'COMPLETED', inProgressUntil: 0 });
  }
  async releaseAlert(key: string, rejection?: { reason: string }): Promise<number> {
    if (this.alerts.get(key)?.status !== 'IN_PROGRESS') return 0;
    this.alerts.delete(key);
    // A backtest never publishes, so nothing is ever refused for good.
    return rejection ? 1 : 0;
  }
  async deadLetterAlert(key: string): Promise<void> {
    this.alerts.set(key, { status: 'COMPLETED', inProgressUntil: 0 });
  }
  async listDeadLetters(): Promise<DeadLetter[]> {
    return [];
  }
  async markDeadLettersReported(): Promise<void> {}
  async putOutbox(entry: OutboxEntry): Promise<void> {
    this.outbox.set(entry.key, entry);
  }
  async listOutbox(): Promise<OutboxEntry[]> {
    return [...this.outbox.values()];
  }
  async deleteOutbox(key: string): Promise<void> {
    this.outbox.delete(key);
  }
  async listPendingInsights(): Promise<PendingInsightsItem[]> {
    return [...this.pending.values()];
  }
  async putPendingInsights(items: PendingInsightsItem[]): Promise<void> {
    for (const item of items) this.pending.set(item.call.callUuid, item);
  }
  async deletePendingInsights(callUuids: string[]): Promise<void> {
    for (const uuid of callUuids) this.pending.delete(uuid);
  }
  async getEvaluatedCalls(callUuids: string[]): Promise<Set<string>> {
    return new Set(callUuids.filter((uuid) => this.evaluated.has(uuid)));
  }
  async markCallsEvaluated(callUuids: string[]): Promise<void> {
    for (const uuid of callUuids) this.evaluated.add(uuid);
  }
  async acquireLease(owner: string, opts: { nowMs: number; untilMs: number }): Promise<boolean> {
    if (this.lease && this.lease.until >= opts.nowMs && this.lease.owner !== owner) return false;
    this.lease = { owner, until: opts.untilMs };
    return true;
  }
  async releaseLease(owner: string): Promise<void> {
    if (this.lease?.owner === owner) this.lease = null;
  }
  async getHealth(): Promise<HealthState | null> {
    return this.health;
  }
  async saveHealth(health: HealthState): Promise<void> {
    this.health = health;
  }
  async listGroups(): Promise<GroupState[]> {
    return [...this.groups.values()];
  }
  async saveGroup(group: GroupState): Promise<number> {
    const version = group.version + 1;
    this.groups.set(group.id, { ...group, version });
    return version;
  }
  async listWindows(): Promise<WindowState[]> {
    return [...this.windows.values()];
  }
  async saveWindow(window: WindowState): Promise<number> {
    const version = window.version + 1;
    this.windows.set(window.id, { ...window, version });
    return version;
  }
  /** A replay applies the config's silences only: today's silences say nothing about the past. */
  async listSilences(): Promise<StoredSilence[]> {
    return [];
  }
  async recordRun(_record: RunRecord): Promise<void> {}

  /** For the replay's first run: everything before `watermark` counts as done. */
  startAt(watermark: string): void {
    this.cursor = { watermark, version: 0 };
  }
}

/** One message that would have gone out. */
export interface WouldSend {
  rule: string;
  /** firing, update, reminder, resolved; 'firing' for a per-call alert; 'catch-up' for a summary. */
  notice: string;
  kind: string;
  dedupKey: string;
  labels: Record<string, string>;
  /** Findings a catch-up summary carried, by rule. */
  carried?: Record<string, number>;
}

/** Counts what would have been sent, by rule and notice; sends nothing. */
export class CountingNotifier implements Notifier {
  readonly messages: WouldSend[] = [];
  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    const json = message.json as Record<string, unknown>;
    const kind = String(json.kind ?? 'unknown');
    let carried: Record<string, number> | undefined;
    if (kind === 'catch-up-summary' && Array.isArray(json.calls)) {
      carried = {};
      for (const entry of json.calls as Array<{ rule?: unknown }>) {
        const rule = String(entry.rule);
        carried[rule] = (carried[rule] ?? 0) + 1;
      }
    }
    this.messages.push({
      rule: message.attributes.rule ?? String(json.rule ?? 'unknown'),
      notice: kind === 'catch-up-summary' ? 'catch-up' : String(json.notice ?? 'firing'),
      kind,
      dedupKey: message.dedupKey,
      labels: (json.labels as Record<string, string>) ?? {},
      ...(carried ? { carried } : {}),
    });
    return { messageId: `backtest-${this.messages.length}` };
  }
}
