import { RateLimiter } from '../../../functions/adapters/plivo/rate-limiter';
import { mulberry32 } from '../../../sandbox/traffic';

/** A clock that only moves when the limiter sleeps. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
    elapsed: () => now - start,
  };
}

/** Most of `times` inside any window (t - windowMs, t]. */
function peakInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let i = 0; i < sorted.length; i += 1) {
    while ((sorted[first] as number) <= (sorted[i] as number) - windowMs) first += 1;
    peak = Math.max(peak, i - first + 1);
  }
  return peak;
}

describe('RateLimiter', () => {
  it('grants up to maxRequests at once, then waits for the oldest grant to leave the 5 s window plus the 200 ms margin', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 3, now: time.now, sleep: time.sleep });
    for (let i = 0; i < 3; i += 1) await limiter.acquire();
    expect(time.sleeps).toEqual([]);
    await limiter.acquire();
    expect(time.sleeps).toEqual([5200]);
    expect(time.elapsed()).toBe(5200);
  });

  it('slides: a grant made later frees its slot later', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 2, now: time.now, sleep: time.sleep });
    await limiter.acquire(); // t = 0
    time.advance(3000);
    await limiter.acquire(); // t = 3000
    await limiter.acquire(); // waits for t = 5200
    expect(time.elapsed()).toBe(5200);
    await limiter.acquire(); // waits for t = 8200 (the grant at 3000 leaves)
    expect(time.elapsed()).toBe(8200);
    expect(time.sleeps).toEqual([2200, 3000]);
  });

  it('never allows more than maxRequests in any window of 5.2 s', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 4, now: time.now, sleep: time.sleep });
    const grants: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      await limiter.acquire();
      grants.push(time.now());
      if (i % 3 === 0) time.advance(700);
    }
    expect(peakInWindow(grants, 5200)).toBeLessThanOrEqual(4);
  });

  it('keeps arrivals within the budget at the server when the one-way delay varies by up to the margin', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 300, now: time.now, sleep: time.sleep });
    const random = mulberry32(7);
    const arrivals: number[] = [];
    // Demand well above the budget, in uneven bursts; each request arrives 40–240 ms after its grant.
    for (let i = 0; i < 3000; i += 1) {
      await limiter.acquire();
      arrivals.push(time.now() + 40 + random() * 200);
      if (random() < 0.05) time.advance(Math.floor(random() * 300));
    }
    expect(peakInWindow(arrivals, 5000)).toBeLessThanOrEqual(300);
    // The margin costs no more than 5000 / 5200 of the budget under steady demand.
    const perSecond = (3000 / time.elapsed()) * 1000;
    expect(perSecond / 60).toBeGreaterThanOrEqual(0.95);
  });

  it('counts a request answered after the margin until 5 s after its answer', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 1, now: time.now, sleep: time.sleep });
    const slow = await limiter.acquire();
    time.advance(700);
    slow(); // answered 700 ms after the grant: it may have reached Plivo only just now
    await limiter.acquire();
    expect(time.elapsed()).toBe(5700);
    const fast = await limiter.acquire();
    expect(time.elapsed()).toBe(5700 + 5200);
    time.advance(120);
    fast(); // a normal answer changes nothing
    await limiter.acquire();
    expect(time.elapsed()).toBe(5700 + 2 * 5200);
  });

  it('keeps arrivals within the budget when some requests are much slower than the margin, if their answers are reported', async () => {
    const run = async (report: boolean) => {
      let now = 0;
      /** Answers due, by time: reported as the clock passes them, also while the limiter sleeps. */
      const due: Array<{ at: number; answered: () => void }> = [];
      const advanceTo = (target: number) => {
        due.sort((a, b) => a.at - b.at);
        while (due.length > 0 && (due[0] as { at: number }).at <= target) {
          const next = due.shift() as { at: number; answered: () => void };
          now = Math.max(now, next.at);
          next.answered();
        }
        now = Math.max(now, target);
      };
      const limiter = new RateLimiter({
        maxRequests: 300,
        now: () => now,
        sleep: async (ms) => advanceTo(now + ms),
      });
      const random = mulberry32(11);
      const arrivals: number[] = [];
      for (let i = 0; i < 3000; i += 1) {
        const answered = await limiter.acquire();
        // One in 20 is stalled (a new connection's handshakes, a paused process): 0.2–1 s to arrive.
        const oneWay = random() < 0.05 ? 200 + random() * 800 : 40 + random() * 35;
        arrivals.push(now + oneWay);
        if (report) due.push({ at: now + 2 * oneWay, answered });
        if (random() < 0.05) advanceTo(now + Math.floor(random() * 300));
      }
      return peakInWindow(arrivals, 5000);
    };
    expect(await run(true)).toBeLessThanOrEqual(300);
    // Without the answers reported, the margin alone is not enough for those.
    expect(await run(false)).toBeGreaterThan(300);
  });

  it('uses the whole margin-adjusted budget under steady demand, whatever the budget', async () => {
    for (const maxRequests of [1, 7, 60, 150, 300]) {
      const time = fakeTime();
      const limiter = new RateLimiter({ maxRequests, now: time.now, sleep: time.sleep });
      for (let i = 0; i < maxRequests * 20; i += 1) await limiter.acquire();
      // 20 windows' worth: the first window is free, then one window of 5.2 s each.
      expect(time.elapsed()).toBe(19 * 5200);
    }
  });

  it('serves concurrent waiters first come, first served', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({
      maxRequests: 1,
      windowMs: 100,
      marginMs: 0,
      now: time.now,
      sleep: time.sleep,
    });
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(time.elapsed()).toBe(400);
  });

  it('a waiter whose sleep fails does not block the queue', async () => {
    const time = fakeTime();
    let failNext = true;
    const limiter = new RateLimiter({
      maxRequests: 1,
      windowMs: 100,
      now: time.now,
      sleep: async (ms) => {
        if (failNext) {
          failNext = false;
          throw new Error('sleep interrupted');
        }
        await time.sleep(ms);
      },
    });
    await limiter.acquire();
    const second = limiter.acquire();
    const third = limiter.acquire();
    await expect(second).rejects.toThrow('sleep interrupted');
    await expect(third).resolves.toEqual(expect.any(Function));
  });

  it('an abandoned waiter rejects at once, takes no grant, and does not block the queue', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({
      maxRequests: 1,
      windowMs: 100,
      marginMs: 0,
      now: time.now,
      sleep: time.sleep,
    });
    await limiter.acquire();
    const controller = new AbortController();
    const abandoned = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    await next;
    expect(limiter.stats().granted).toBe(2);
    expect(time.elapsed()).toBe(100);
    await expect(limiter.acquire(controller.signal)).rejects.toThrow();
  });

  it('works with real time for small windows', async () => {
    const limiter = new RateLimiter({ maxRequests: 2, windowMs: 50, marginMs: 0 });
    const started = Date.now();
    for (let i = 0; i < 3; i += 1) await limiter.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('rejects a limit that is not a positive integer, and a negative margin', () => {
    expect(() => new RateLimiter({ maxRequests: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ maxRequests: 1.5 })).toThrow(RangeError);
    expect(() => new RateLimiter({ maxRequests: 1, marginMs: -1 })).toThrow(RangeError);
  });

  describe('after a 429 (throttled)', () => {
    it('pauses every grant until the Retry-After, in FIFO order, even with room in the window', async () => {
      const time = fakeTime();
      const limiter = new RateLimiter({ maxRequests: 300, now: time.now, sleep: time.sleep });
      await limiter.acquire();
      limiter.throttled(3000);
      const order: number[] = [];
      const at: number[] = [];
      await Promise.all(
        [0, 1, 2].map((i) =>
          limiter.acquire().then(() => {
            order.push(i);
            at.push(time.elapsed());
          }),
        ),
      );
      expect(order).toEqual([0, 1, 2]);
      expect(at).toEqual([3000, 3000, 3000]);
      expect(time.sleeps).toEqual([3000]);
    });

    it('pauses 1 s without a Retry-After, at most 20 s with one, and never shortens a pause', async () => {
      const time = fakeTime();
      const limiter = new RateLimiter({ maxRequests: 300, now: time.now, sleep: time.sleep });
      limiter.throttled(null);
      await limiter.acquire();
      expect(time.elapsed()).toBe(1000);
      limiter.throttled(10 * 60_000);
      limiter.throttled(500);
      await limiter.acquire();
      expect(time.elapsed()).toBe(21_000);
    });

    it('halves the limit once per 5 s window of 429s, never below a tenth of the budget', async () => {
      const time = fakeTime();
      const limiter = new RateLimiter({ maxRequests: 300, now: time.now, sleep: time.sleep });
      expect(limiter.stats().effectiveLimit).toBe(300);
      // 16 requests in flight come back 429 together: one decrease. (Retry-After 5 s: no
      // recovery in between, which would blur the figures.)
      for (let i = 0; i < 16; i += 1) limiter.throttled(5000);
      expect(limiter.stats()).toMatchObject({ effectiveLimit: 150, throttleEvents: 16, decreases: 1 });
      time.advance(4999);
      limiter.throttled(5000);
      expect(limiter.stats()).toMatchObject({ effectiveLimit: 150, decreases: 1 });
      time.advance(1);
      limiter.throttled(5000);
      expect(limiter.stats()).toMatchObject({ effectiveLimit: 75, decreases: 2 });
      for (let i = 0; i < 10; i += 1) {
        time.advance(5000);
        limiter.throttled(5000);
      }
      expect(limiter.stats()).toMatchObject({ effectiveLimit: 30, decreases: 12 });
    });

    it('recovers additively after the pause: a tenth of the budget per 5 s without a 429', async () => {
      const time = fakeTime();
      const limiter = new RateLimiter({ maxRequests: 300, now: time.now, sleep: time.sleep });
      limiter.throttled(2000);
      expect(limiter.stats().effectiveLimit).toBe(150);
      time.advance(2000);
      expect(limiter.stats().effectiveLimit).toBe(150);
      time.advance(5000);
      expect(limiter.stats().effectiveLimit).toBe(180);
      time.advance(10_000);
      limiter.throttled(0); // a 429 within the window of the last decrease: recovery restarts from here
      expect(limiter.stats()).toMatchObject({ effectiveLimit: 120, decreases: 2 });
      time.advance(2500);
      expect(limiter.stats().effectiveLimit).toBe(135);
      time.advance(60_000);
      expect(limiter.stats().effectiveLimit).toBe(300);
    });

    it('grants only what the lowered limit allows, and more as it grows back', async () => {
      const time = fakeTime();
      const limiter = new RateLimiter({ maxRequests: 10, now: time.now, sleep: time.sleep });
      limiter.throttled(1000); // limit 5, +1 per 5 s from t = 1000
      const grants: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        await limiter.acquire();
        grants.push(time.elapsed());
      }
      // Five at the end of the pause; the sixth when the limit reaches 6 (t = 6000), before
      // the first five leave the window (t = 6200); the seventh when they do.
      expect(grants).toEqual([1000, 1000, 1000, 1000, 1000, 6000, 6200]);
      expect(limiter.stats()).toMatchObject({ granted: 7, effectiveLimit: 6 });
    });
  });
});
