/**
 * The one send path, against a small in-memory store: the order of its steps and how each
 * outcome is counted. The dynalite-backed behaviour is covered in test/fault/never-silent.
 */
import { parseConfig } from '../../../functions/core/config/load-config';
import { NotificationRejectedError } from '../../../functions/core/errors';
import { emptySummary, type PollDeps } from '../../../functions/core/poll/run-context';
import { type Notice, sendNotice, type SendContext } from '../../../functions/core/poll/send-notice';
import type { AlertMessage, ClaimResult, Notifier, StateStore } from '../../../functions/core/ports';

const NOW = new Date('2026-11-20T12:00:00Z');

function message(key: string): AlertMessage {
  return { dedupKey: key, subject: 'S', text: 'T', shortText: 't', json: {}, attributes: {} };
}

/** Only what sendNotice calls; every call is recorded in order. */
function fakeStore(options: { completeFails?: boolean; rejections?: number } = {}) {
  const calls: string[] = [];
  const store = {
    claimAlert: async (key: string): Promise<ClaimResult> => {
      calls.push(`claim ${key}`);
      return 'claimed';
    },
    completeAlert: async (key: string) => {
      calls.push(`complete ${key}`);
      if (options.completeFails) throw new Error('StateStoreError: table unavailable');
    },
    releaseAlert: async (key: string, rejection?: { reason: string }) => {
      calls.push(rejection ? `reject ${key}` : `release ${key}`);
      return rejection ? (options.rejections ?? 1) : 0;
    },
    deadLetterAlert: async (key: string) => {
      calls.push(`dead-letter ${key}`);
    },
    putOutbox: async (entry: { key: string }) => {
      calls.push(`outbox ${entry.key}`);
    },
    deleteOutbox: async (key: string) => {
      calls.push(`drop-outbox ${key}`);
    },
  };
  return { store: store as unknown as StateStore, calls };
}

function context(store: StateStore, notifier: Notifier): SendContext {
  const deps: PollDeps = {
    source: {
      listCalls: async () => ({ calls: [], skipped: [], pages: 0 }),
      countCalls: async () => 0,
      getInsights: async () => null,
    },
    store,
    notifier,
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    config: parseConfig({}, 'test'),
    now: () => NOW,
    remainingTimeMs: () => 60_000,
    runId: 'run-1',
  };
  return { deps, summary: emptySummary('run-1'), silencedAt: NOW, expiresAtSec: 2_000_000_000 };
}

const notice = (extra: Partial<Notice> = {}): Notice => ({
  key: 'k',
  kind: 'window',
  stage: 'firing',
  ruleId: 'packet-loss-spike',
  silenceSubject: null,
  whenSilenced: 'hold',
  render: () => message('k'),
  ...extra,
});

describe('sendNotice', () => {
  it('claims, publishes, then completes what it covers, and counts the notice by kind', async () => {
    const { store, calls } = fakeStore();
    const ctx = context(store, { publish: async () => ({ messageId: 'm-1' }) });
    await expect(sendNotice(ctx, notice({ covers: ['a', 'b'], outbox: true }))).resolves.toBe('published');
    expect(calls).toEqual(['claim k', 'outbox k', 'complete k', 'complete a', 'complete b', 'drop-outbox k']);
    expect(ctx.summary).toMatchObject({
      alertsPublished: 1,
      windowNotices: 1,
      windowNoticesByKind: { firing: 1 },
    });
  });

  it('fails the state write after the channel accepted as a state failure, not as a publish failure', async () => {
    const { store } = fakeStore({ completeFails: true });
    const ctx = context(store, { publish: async () => ({ messageId: 'm-1' }) });
    await expect(sendNotice(ctx, notice())).rejects.toThrow(/table unavailable/);
    expect(ctx.summary.publishFailures).toBe(0);
  });

  it('gives the claim back and counts a failure the run must report when the channel fails', async () => {
    const { store, calls } = fakeStore();
    const ctx = context(store, {
      publish: async () => {
        throw new Error('Throttling: Rate exceeded');
      },
    });
    await expect(sendNotice(ctx, notice({ covers: ['a'] }))).resolves.toBe('failed');
    expect(calls).toEqual(['claim k', 'release k', 'release a']);
    expect(ctx.summary.publishFailures).toBe(1);
    expect(ctx.summary.publishFailureReasons).toEqual(['k: Throttling: Rate exceeded']);
  });

  it('counts a refusal for good, and sets the notice aside once it reaches the limit', async () => {
    const refuse: Notifier = {
      publish: async () => {
        throw new NotificationRejectedError('InvalidParameterException: bad');
      },
    };
    const early = fakeStore({ rejections: 2 });
    const ctxEarly = context(early.store, refuse);
    await expect(sendNotice(ctxEarly, notice())).resolves.toBe('failed');
    expect(early.calls).toEqual(['claim k', 'reject k']);

    const last = fakeStore({ rejections: 3 });
    const ctxLast = context(last.store, refuse);
    await expect(sendNotice(ctxLast, notice({ covers: ['a'] }))).resolves.toBe('dead-lettered');
    expect(last.calls).toEqual(['claim k', 'reject k', 'dead-letter k', 'complete a']);
    expect(ctxLast.summary).toMatchObject({ publishFailures: 0, alertsDeadLettered: 1 });
    expect(ctxLast.summary.deadLetters).toEqual([
      { key: 'k', subject: 'S', reason: 'InvalidParameterException: bad' },
    ]);
  });

  it('holds an incident notice back while a silence matches, touching no state', async () => {
    const { store, calls } = fakeStore();
    const ctx = context(store, { publish: async () => ({ messageId: 'm' }) });
    ctx.deps.config = parseConfig(
      {
        silences: {
          rules: [
            {
              id: 's1',
              matchers: { trunkDomains: ['acme.zt.plivo.com'] },
              startsAt: '2026-11-20T00:00:00Z',
              endsAt: '2026-11-21T00:00:00Z',
            },
          ],
        },
      },
      'test',
    );
    const subject = {
      ruleId: 'packet-loss-spike',
      severity: 'warning' as const,
      call: { trunkDomain: 'acme.zt.plivo.com', fromCountry: null, toCountry: null, direction: null },
    };
    await expect(sendNotice(ctx, notice({ silenceSubject: subject }))).resolves.toBe('held');
    expect(calls).toEqual([]);
    await expect(
      sendNotice(ctx, notice({ kind: 'alert', silenceSubject: subject, whenSilenced: 'record' })),
    ).resolves.toBe('silenced');
    expect(calls).toEqual(['claim k', 'complete k']);
  });
});
