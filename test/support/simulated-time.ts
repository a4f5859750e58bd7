/**
 * Timers on a clock that moves only when a test says so (`advance`), for code that takes its
 * clock as a parameter (e.g. `npm start`'s progress line and countdown): what happens "after a
 * second" happens when the test lets a second pass, however fast or slow the machine is.
 * Bench section 7 drives whole poll runs on it, from one timer to the next (`nextDue`).
 */
export class SimulatedTime {
  private nowMs: number;
  private nextId = 1;
  private advancing = false;
  private readonly timers = new Map<number, { at: number; every: number | null; fn: () => void }>();

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now = (): number => this.nowMs;

  setTimeout = (fn: () => void, ms: number): number => this.add(fn, ms, null);

  setInterval = (fn: () => void, ms: number): number => this.add(fn, ms, Math.max(1, ms));

  clearTimeout = (timer: unknown): void => {
    this.timers.delete(timer as number);
  };

  clearInterval = (timer: unknown): void => {
    this.timers.delete(timer as number);
  };

  /** Timers not yet fired (intervals count until cleared). */
  get pending(): number {
    return this.timers.size;
  }

  /** When the next timer falls due (on this clock), or null when none is pending. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const timer of this.timers.values()) if (next === null || timer.at < next) next = timer.at;
    return next;
  }

  /** Moves the clock `ms` on, firing every timer that falls due on the way, in time order. */
  advance(ms: number): void {
    if (this.advancing) throw new Error('SimulatedTime.advance called from a timer it fired');
    this.advancing = true;
    try {
      const end = this.nowMs + ms;
      for (;;) {
        let due: [number, { at: number; every: number | null; fn: () => void }] | undefined;
        for (const entry of this.timers) {
          if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
        }
        if (!due) break;
        const [id, timer] = due;
        this.nowMs = Math.max(this.nowMs, timer.at);
        if (timer.every === null) this.timers.delete(id);
        else timer.at += timer.every;
        timer.fn();
      }
      this.nowMs = end;
    } finally {
      this.advancing = false;
    }
  }

  private add(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId;
    this.nextId += 1;
    this.timers.set(id, { at: this.nowMs + Math.max(0, ms), every, fn });
    return id;
  }
}
