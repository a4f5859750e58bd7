import { RateLimiter } from '../../../functions/adapters/plivo/rate-limiter';

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

describe('RateLimiter', () => {
  it('grants up to maxRequests at once, then waits for the oldest grant to leave the 5 s window', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 3, now: time.now, sleep: time.sleep });
    for (let i = 0; i < 3; i += 1) await limiter.acquire();
    expect(time.sleeps).toEqual([]);
    await limiter.acquire();
    expect(time.sleeps).toEqual([5000]);
    expect(time.elapsed()).toBe(5000);
  });

  it('slides: a grant made later frees its slot later', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 2, now: time.now, sleep: time.sleep });
    await limiter.acquire(); // t = 0
    time.advance(3000);
    await limiter.acquire(); // t = 3000
    await limiter.acquire(); // waits for t = 5000
    expect(time.elapsed()).toBe(5000);
    await limiter.acquire(); // waits for t = 8000 (the grant at 3000 leaves)
    expect(time.elapsed()).toBe(8000);
    expect(time.sleeps).toEqual([2000, 3000]);
  });

  it('never allows more than maxRequests in any 5 s window', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 4, now: time.now, sleep: time.sleep });
    const grants: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      await limiter.acquire();
      grants.push(time.now());
      if (i % 3 === 0) time.advance(700);
    }
    for (const t of grants) {
      expect(grants.filter((g) => g > t - 5000 && g <= t).length).toBeLessThanOrEqual(4);
    }
  });

  it('serves concurrent waiters first come, first served', async () => {
    const time = fakeTime();
    const limiter = new RateLimiter({ maxRequests: 1, windowMs: 100, now: time.now, sleep: time.sleep });
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
    await expect(third).resolves.toBeUndefined();
  });

  it('works with real time for small windows', async () => {
    const limiter = new RateLimiter({ maxRequests: 2, windowMs: 50 });
    const started = Date.now();
    for (let i = 0; i < 3; i += 1) await limiter.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new RateLimiter({ maxRequests: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ maxRequests: 1.5 })).toThrow(RangeError);
  });
});
