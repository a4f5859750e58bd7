import { sleep } from '../../core/time';

export interface RateLimiterOptions {
  /** Requests allowed in any window of `windowMs`. */
  maxRequests: number;
  /** Plivo counts its limit (300 requests per account) over 5 seconds. */
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const PLIVO_RATE_WINDOW_MS = 5_000;

/**
 * Client-side throttle: at most `maxRequests` grants in any sliding window of `windowMs`.
 * Plivo's 300 requests / 5 s is shared by every API the account uses, so the poller keeps to
 * its configured share instead of discovering the limit through 429s. Waiters are served in
 * the order they asked (FIFO), so a burst of insights lookups cannot starve the list request.
 */
export class RateLimiter {
  private readonly maxRequests: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Grant times still inside the window, oldest first. */
  private readonly granted: number[] = [];
  /** Settles when every earlier caller has been granted: the FIFO queue. */
  private tail: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions) {
    if (!Number.isInteger(options.maxRequests) || options.maxRequests < 1) {
      throw new RangeError(`maxRequests must be a positive integer, got ${options.maxRequests}`);
    }
    this.maxRequests = options.maxRequests;
    this.windowMs = options.windowMs ?? PLIVO_RATE_WINDOW_MS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  /** Resolves when the caller may send one request. */
  acquire(): Promise<void> {
    const turn = this.tail.then(() => this.take());
    // A failed sleep ends that caller's turn, not the queue.
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.granted.length > 0 && (this.granted[0] as number) <= now - this.windowMs) {
        this.granted.shift();
      }
      if (this.granted.length < this.maxRequests) {
        this.granted.push(now);
        return;
      }
      const oldest = this.granted[0] as number;
      // At least 1 ms, so a clock that has not moved cannot make this a busy loop.
      await this.sleep(Math.max(1, oldest + this.windowMs - now));
    }
  }
}
