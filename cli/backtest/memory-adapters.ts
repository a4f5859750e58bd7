/**
 * The ports of a poll run, in memory, for replaying history: a call source that serves calls
 * already fetched and a notifier that only counts (the state store is the in-memory adapter,
 * functions/adapters/memory). Nothing leaves the process; nothing is sent.
 */
import type { Call, CallInsights } from '../../functions/core/call';
import type {
  AlertMessage,
  CallSource,
  ReadRange,
  ListCallsResult,
  Notifier,
} from '../../functions/core/ports';

/** Calls by end time, with their insights (null: Plivo never had them). */
export class MemoryCallSource implements CallSource {
  private readonly calls: Call[];
  constructor(
    calls: readonly Call[],
    private readonly insights: ReadonlyMap<string, CallInsights>,
    /** Answer every call with Insights without figures (they were never fetched). */
    private readonly blankInsights = false,
  ) {
    this.calls = [...calls]
      .filter((c) => c.endTime !== null)
      .sort((a, b) => (a.endTime as string).localeCompare(b.endTime as string));
  }

  async listCalls(range: ReadRange): Promise<ListCallsResult> {
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const start = this.firstAtOrAfter(from);
    const out: Call[] = [];
    for (let i = start; i < this.calls.length; i += 1) {
      const call = this.calls[i] as Call;
      if ((call.endTime as string) >= to) break;
      out.push(call);
    }
    return { calls: out, skipped: [], pages: 0 };
  }

  async countCalls(range: ReadRange): Promise<number | null> {
    return this.firstAtOrAfter(range.to.toISOString()) - this.firstAtOrAfter(range.from.toISOString());
  }

  async getInsights(callUuid: string): Promise<CallInsights | null> {
    const found = this.insights.get(callUuid);
    if (found || !this.blankInsights) return found ?? null;
    const party = { carrier: null, number: null, region: null };
    return {
      callUuid,
      from: party,
      to: party,
      hangupCause: null,
      hangupSource: null,
      rttMs: null,
      jitterMs: null,
      packetLossPct: null,
      postDialDelayMs: null,
      qualityScore: null,
    };
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

/** One message that would have gone out. */
export interface WouldSend {
  rule: string;
  /** firing, update, reminder, resolved; 'firing' for a per-call alert; 'catch-up' for a summary. */
  notice: string;
  kind: string;
  dedupKey: string;
  labels: Record<string, string>;
  subject: string;
  /** When it would have gone out (the replay's clock, ISO). */
  at: string;
  /** Findings a catch-up summary carried, by rule. */
  carried?: Record<string, number>;
}

/** Counts what would have been sent, by rule and notice; sends nothing. */
export class CountingNotifier implements Notifier {
  readonly messages: WouldSend[] = [];
  constructor(private readonly clock: () => number = Date.now) {}
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
      subject: message.subject,
      at: new Date(this.clock()).toISOString(),
      ...(carried ? { carried } : {}),
    });
    return { messageId: `backtest-${this.messages.length}` };
  }
}
