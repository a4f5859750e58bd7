import { sleep } from '../../core/time';

export interface RateLimiterOptions {
  /** The configured budget: requests allowed per server window (`windowMs`). */
  maxRequests: number;
  /** Plivo counts its limit (300 requests per account) over 5 seconds. */
  windowMs?: number;
  /** Added to `windowMs` for the window the limiter counts its grants over; default 200 ms. */
  marginMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateLimiterStats {
  /** The configured budget per server window. */
  maxRequests: number;
  /** Grants allowed per counting window right now: maxRequests, or less after 429s. */
  effectiveLimit: number;
  /** Grants made since the limiter was made. */
  granted: number;
  /** 429s reported through throttled(). */
  throttleEvents: number;
  /** Times the effective limit was lowered (at most once per server window). */
  decreases: number;
}

const PLIVO_RATE_WINDOW_MS = 5_000;
/**
 * Plivo counts requests when they ARRIVE, in a sliding 5 s window; the limiter can only count
 * them when they LEAVE. A request arrives one one-way delay d after its grant, d in
 * [dMin, dMax]. If the grants in any window of 5 s + M number at most N, the arrivals in any
 * 5 s window (t - 5 s, t] come from grants in (t - 5 s - dMax, t - dMin], a span of
 * 5 s + (dMax - dMin): at most N of them as long as M >= dMax - dMin. The round trip is
 * 80–150 ms, so the one-way delay varies by well under 100 ms even if all of it fell on the way
 * there; 200 ms also covers a busy event loop between the grant and the socket write. The cost:
 * at most N per 5.2 s can be granted, 5000 / 5200 = 96 % of the budget, which keeps the goal
 * of using >= 95 % of it reachable.
 *
 * What the margin cannot cover is a request slower than it: a new connection's handshakes, a
 * pause of the process (GC, a busy machine) between the grant and the write. So a caller
 * reports when the answer came back (the release function acquire() resolves to), and the
 * grant then counts until 5 s after that if this is later than 5.2 s after the grant: the
 * request reached Plivo before its answer came back, so Plivo stops counting it before that.
 * Normal answers (faster than the margin) change nothing; slow ones hold their slot longer.
 */
const DEFAULT_MARGIN_MS = 200;
/** Pause after a 429 without a usable Retry-After. */
const DEFAULT_PAUSE_MS = 1_000;
/**
 * A longer Retry-After is shortened, here and in the client's backoff: a run has a deadline, and
 * the next attempt may 429 again anyway.
 */
export const MAX_RETRY_AFTER_MS = 20_000;
/**
 * After a 429 the effective limit is halved (the account's budget is shared by every API it
 * uses: someone else is using part of it), never below a tenth of the budget: lower than that
 * a run could not finish anyway, and every further 429 still pauses all grants.
 */
const DECREASE_FACTOR = 0.5;
const MIN_SHARE = 0.1;
/** Then it grows back by a tenth of the budget per server window without a 429 (half to full: 25 s). */
const RECOVERY_SHARE_PER_WINDOW = 0.1;

/**
 * Rejects as soon as `signal` is aborted, else settles like `promise` (which carries on either
 * way: its outcome is then ignored).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/**
 * Client-side throttle: at most `maxRequests` grants in any sliding window of `windowMs`
 * plus a margin (see DEFAULT_MARGIN_MS). Plivo's 300 requests / 5 s is shared by every API the
 * account uses, so the poller keeps to its configured share instead of discovering the limit
 * through 429s. Waiters are served in the order they asked (FIFO), so a burst of insights
 * lookups cannot starve the list request.
 *
 * When a 429 comes back anyway (reported through throttled()), someone else is using the
 * account's budget: every grant pauses until the Retry-After (or a short default), and the
 * limit is lowered multiplicatively, then raised additively back to the budget while no 429
 * comes (AIMD, as TCP does with a shared link).
 */
export class RateLimiter {
  private readonly maxRequests: number;
  private readonly windowMs: number;
  /** The window grants are counted over: the server's plus the margin. */
  private readonly spanMs: number;
  private readonly minLimit: number;
  /** Growth of the effective limit per ms while recovering. */
  private readonly recoveryPerMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Grants still counted, in grant order: each until a time (the window + margin, or later when answered late). */
  private grants: Array<{ until: number }> = [];
  /** Settles when every earlier caller has been granted: the FIFO queue. */
  private tail: Promise<void> = Promise.resolve();
  /** No grant before this time (a 429's Retry-After). */
  private pausedUntil = 0;
  /** The effective limit is `base` at `recoverFrom` and grows from there up to maxRequests. */
  private base: number;
  private recoverFrom = 0;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private counts = { granted: 0, throttleEvents: 0, decreases: 0 };

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.maxRequests) || options.maxRequests < 1) {
      throw new RangeError(`maxRequests must be a positive integer, got ${options.maxRequests}`);
    }
    const marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
    if (!Number.isFinite(marginMs) || marginMs < 0) {
      throw new RangeError(`marginMs must be a non-negative number, got ${marginMs}`);
    }
    this.maxRequests = options.maxRequests;
    this.windowMs = options.windowMs ?? PLIVO_RATE_WINDOW_MS;
    this.spanMs = this.windowMs + marginMs;
    this.minLimit = Math.max(1, Math.ceil(this.maxRequests * MIN_SHARE));
    this.recoveryPerMs = (this.maxRequests * RECOVERY_SHARE_PER_WINDOW) / this.windowMs;
    this.base = this.maxRequests;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  /**
   * Resolves when the caller may send one request, to a function to call when its answer (or
   * failure) has come back (see DEFAULT_MARGIN_MS; not calling it is safe as long as requests
   * are faster than the margin). With `signal`, rejects as soon as it is aborted, and a caller
   * whose turn comes after that leaves without a grant.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const turn = this.tail.then(() => this.take(signal));
    // A failed sleep (or an abandoned caller) ends that caller's turn, not the queue.
    this.tail = turn.then(
      () => undefined,
      () => undefined,
    );
    return raceAbort(turn, signal);
  }

  /**
   * Plivo answered 429: no grant until `retryAfterMs` from now (1 s when unknown, at most
   * 20 s), and a lower limit. Many requests in flight come back 429 together, and for up to a
   * window the server still counts requests granted at the old rate: the limit is lowered at
   * most once per server window. Every 429 restarts the recovery after the pause.
   */
  throttled(retryAfterMs?: number | null): void {
    const now = this.now();
    this.counts.throttleEvents += 1;
    const pauseMs =
      typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs)
        ? Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS)
        : DEFAULT_PAUSE_MS;
    let limit = this.limitAt(now);
    if (now - this.lastDecreaseAt >= this.windowMs) {
      limit = Math.max(this.minLimit, limit * DECREASE_FACTOR);
      this.lastDecreaseAt = now;
      this.counts.decreases += 1;
    }
    this.base = limit;
    this.pausedUntil = Math.max(this.pausedUntil, now + pauseMs);
    this.recoverFrom = this.pausedUntil;
  }

  stats(): RateLimiterStats {
    return {
      maxRequests: this.maxRequests,
      effectiveLimit: Math.floor(this.limitAt(this.now())),
      ...this.counts,
    };
  }

  /** The effective limit (fractional while recovering). */
  private limitAt(now: number): number {
    return Math.min(this.maxRequests, this.base + this.recoveryPerMs * Math.max(0, now - this.recoverFrom));
  }

  private async take(signal: AbortSignal | undefined): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        continue;
      }
      if (this.grants.some((g) => g.until <= now)) this.grants = this.grants.filter((g) => g.until > now);
      const exact = this.limitAt(now);
      const limit = Math.floor(exact);
      if (this.grants.length < limit) {
        const grant = { until: now + this.spanMs };
        this.grants.push(grant);
        this.counts.granted += 1;
        return () => {
          grant.until = Math.max(grant.until, this.now() + this.windowMs);
        };
      }
      // Wait until enough grants have left the window, or until the recovering limit grows by
      // one, whichever comes first.
      const untils = this.grants.map((g) => g.until).sort((a, b) => a - b);
      const leaves = (untils[untils.length - limit] as number) - now;
      const grows =
        exact < this.maxRequests
          ? this.recoverFrom + (limit + 1 - this.base) / this.recoveryPerMs - now
          : Number.POSITIVE_INFINITY;
      // At least 1 ms, so a clock that has not moved cannot make this a busy loop.
      await this.sleep(Math.max(1, Math.ceil(Math.min(leaves, grows))));
    }
  }
}
