import { alertConfigSchema } from '../../../functions/core/config/schema';
import { nextHealth, type HealthState } from '../../../functions/core/health/run-health';
import { trackRunHealth } from '../../../functions/core/health/track-health';
import type { AlertMessage, Logger } from '../../../functions/core/ports';

const operations = alertConfigSchema.parse({}).operations; // failingAlertMinutes 10, lagAlertMinutes 60
const FIVE = 5 * 60_000; // the shipped schedule
const t0 = new Date('2026-11-23T10:00:00Z');
const failure = {
  ok: false as const,
  kind: 'plivo-unavailable' as const,
  reason: 'HTTP 503 after 5 attempts',
};
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('nextHealth', () => {
  it('alerts once per failure streak, once runs have failed for operations.failingAlertMinutes', () => {
    const first = nextHealth(null, failure, t0, operations, FIVE);
    expect(first.notify).toBeNull();
    expect(first.next).toMatchObject({ status: 'failing', consecutiveFailures: 1, since: t0.toISOString() });

    const second = nextHealth(first.next, failure, new Date(t0.getTime() + 300_000), operations, FIVE);
    expect(second.notify).toBe('failing');
    expect(second.next).toMatchObject({ consecutiveFailures: 2, notified: true, since: t0.toISOString() });

    const third = nextHealth(second.next, failure, new Date(t0.getTime() + 600_000), operations, FIVE);
    expect(third.notify).toBeNull();
    expect(third.next.consecutiveFailures).toBe(3);
  });

  it('tells operations after the same failing time at a 1-minute and a 5-minute schedule', () => {
    const toldAfter = (everyMinutes: number) => {
      let health: HealthState | null = null;
      for (let run = 1; run <= 30; run += 1) {
        const now = new Date(t0.getTime() + run * everyMinutes * 60_000);
        const step = nextHealth(health, failure, now, operations, everyMinutes * 60_000);
        if (step.notify === 'failing') return run * everyMinutes;
        health = step.next;
      }
      return null;
    };
    // 10 minutes of failed runs: the second at 5 minutes, the tenth at 1 minute.
    expect(toldAfter(5)).toBe(10);
    expect(toldAfter(1)).toBe(10);
  });

  it('reads a streak saved before the failing time was kept as its count of runs', () => {
    // As the previous code saved it: a count of failed runs only.
    const saved: HealthState = {
      status: 'failing',
      since: t0.toISOString(),
      kind: 'plivo-unavailable',
      reason: 'HTTP 503 after 5 attempts',
      consecutiveFailures: 1,
      notified: false,
    };
    const next = nextHealth(saved, failure, new Date(t0.getTime() + FIVE), operations, FIVE);
    expect(next.notify).toBe('failing');
    expect(next.next).toMatchObject({ consecutiveFailures: 2, failingMs: 2 * FIVE });
    // One failed 1-minute run before, and this one: 2 minutes, not yet 10.
    expect(nextHealth(saved, failure, t0, operations, 60_000).next).toMatchObject({ failingMs: 120_000 });
    expect(nextHealth(saved, failure, t0, operations, 60_000).notify).toBeNull();
  });

  it('sends a recovery only after a streak that was announced', () => {
    const blip = nextHealth(null, failure, t0, operations, FIVE);
    expect(nextHealth(blip.next, { ok: true, lagSeconds: 10 }, t0, operations, FIVE).notify).toBeNull();

    const announced = nextHealth(blip.next, failure, t0, operations, FIVE);
    const recovered = nextHealth(announced.next, { ok: true, lagSeconds: 10 }, t0, operations, FIVE);
    expect(recovered.notify).toBe('recovered');
    expect(recovered.next.status).toBe('healthy');
  });

  it('treats a run that succeeds but is too far behind as failing', () => {
    const lagging = { ok: true as const, lagSeconds: 61 * 60 };
    const once = nextHealth(null, lagging, t0, operations, FIVE);
    expect(once.next).toMatchObject({ status: 'failing', kind: 'falling-behind' });
    expect(nextHealth(null, { ok: true, lagSeconds: 60 * 60 }, t0, operations, FIVE).next.status).toBe(
      'healthy',
    );
  });
});

describe('trackRunHealth', () => {
  function harness(publish: (m: AlertMessage) => Promise<{ messageId: string }>) {
    let stored: HealthState | null = null;
    const sent: AlertMessage[] = [];
    const deps = {
      store: {
        getHealth: async () => stored,
        saveHealth: async (h: HealthState) => {
          stored = h;
        },
      },
      opsNotifier: {
        publish: async (m: AlertMessage) => {
          const result = await publish(m);
          sent.push(m);
          return result;
        },
      },
      logger: silent,
      operations,
      deploymentName: 'acme',
      now: t0,
    };
    return { deps, sent, stored: () => stored };
  }

  it('tells operations once with the reason, then once when it recovers', async () => {
    const h = harness(async () => ({ messageId: 'm' }));
    await trackRunHealth(h.deps, failure);
    await trackRunHealth(h.deps, failure);
    await trackRunHealth(h.deps, failure);
    await trackRunHealth(h.deps, { ok: true, lagSeconds: 0 });
    expect(h.sent.map((m) => m.attributes.state)).toEqual(['firing', 'resolved']);
    expect(h.sent[0]?.subject).toBe('[acme CRITICAL] alerter not working: plivo-unavailable');
    expect(h.sent[0]?.text).toContain('HTTP 503 after 5 attempts');
    expect(h.sent[1]?.text).toContain('working again');
  });

  it('does not record a notification that failed to go out, so the next run tries again', async () => {
    let fail = true;
    const h = harness(async () => {
      if (fail) throw new Error('SNS down');
      return { messageId: 'm' };
    });
    await trackRunHealth(h.deps, failure);
    await expect(trackRunHealth(h.deps, failure)).resolves.toBeNull();
    expect(h.stored()?.notified).toBe(false);
    fail = false;
    await expect(trackRunHealth(h.deps, failure)).resolves.toBe('failing');
    expect(h.sent).toHaveLength(1);
  });
});

describe('an outcome that must be told at once', () => {
  it('notifies with the first failing run instead of after failingAlertMinutes', () => {
    const now = new Date('2026-12-03T12:00:00Z');
    const stuck = {
      ok: false as const,
      kind: 'falling-behind' as const,
      reason: 'the run could not move the cursor while 3 slice(s) of calls wait past it',
      immediate: true,
    };
    expect(nextHealth(null, stuck, now, operations, FIVE).notify).toBe('failing');
    const { immediate: _, ...ordinary } = stuck;
    expect(nextHealth(null, ordinary, now, operations, FIVE).notify).toBeNull();
  });
});
