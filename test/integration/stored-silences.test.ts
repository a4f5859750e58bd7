/**
 * Silences and the run log in the state table (what the on-call CLI writes and reads), and the
 * poller honouring a stored silence from its next run, over dynalite.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbStateStore, StateStoreError } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { runRecordOf } from '../../functions/core/health/run-log';
import { emptySummary } from '../../functions/core/poll/run-context';
import type { StoredSilence } from '../../functions/core/stored-silences';
import { generateTraffic } from '../../sandbox/traffic';
import { makeTestTable } from '../support/dynalite';
import { pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);

const pipelines = pipelinesForEachTest();

function silence(overrides: Partial<StoredSilence> = {}): StoredSilence {
  return {
    id: 's-test0001',
    matchers: { rule: ['zentrunk-hangup'] },
    startsAt: at(0).toISOString(),
    endsAt: at(120).toISOString(),
    comment: 'carrier maintenance, CHG-42',
    createdBy: 'alice',
    createdAt: at(0).toISOString(),
    ...overrides,
  };
}

async function storeAt(nowMs: number) {
  const table = await makeTestTable(pipelines.endpoint());
  const store = new DynamoDbStateStore({
    tableName: table.tableName,
    client: table.documentClient,
    now: () => nowMs,
  });
  return { table, store };
}

describe('stored silences', () => {
  it('are added once per id, listed, and replaced (ended early) only if they exist', async () => {
    const { store, table } = await storeAt(T0.getTime());
    const expires = Math.floor(at(120).getTime() / 1000) + 7 * 86_400;
    await store.putSilence(silence(), expires);
    await expect(store.putSilence(silence({ comment: 'again' }), expires)).rejects.toMatchObject({
      name: 'StateStoreError',
      kind: 'conflict',
    });
    expect(await store.listSilences()).toEqual([silence()]);

    const ended = silence({
      endsAt: at(30).toISOString(),
      expiredAt: at(30).toISOString(),
      expiredBy: 'bob',
    });
    expect(await store.replaceSilence(ended, expires)).toEqual(ended);
    expect(await store.listSilences()).toEqual([ended]);
    expect(await store.replaceSilence(silence({ id: 's-missing' }), expires)).toBeNull();
    table.client.destroy();
  });

  it('skips an item without a usable body instead of failing the poller', async () => {
    const { store, table } = await storeAt(T0.getTime());
    await table.documentClient.send(
      new PutCommand({ TableName: table.tableName, Item: { pk: 'silence#poller', sk: 'broken', body: 'x' } }),
    );
    await store.putSilence(silence(), Math.floor(at(500).getTime() / 1000));
    expect((await store.listSilences()).map((s) => s.id)).toEqual(['s-test0001']);
    table.client.destroy();
  });
});

describe('the run log', () => {
  it('keeps each run, newest first, and the latest N on request', async () => {
    const { store, table } = await storeAt(T0.getTime());
    for (let i = 0; i < 4; i += 1) {
      const summary = { ...emptySummary(`run-${i}`), callsSeen: 10 * i };
      await store.recordRun(
        runRecordOf({
          runId: `run-${i}`,
          startedAt: at(5 * i),
          finishedAt: at(5 * i + 1),
          summary,
          failure: i === 3 ? { kind: 'plivo-unavailable', reason: 'HTTP 503 after 5 attempts' } : null,
        }),
      );
    }
    const runs = await store.listRuns(3);
    expect(runs.map((r) => r.runId)).toEqual(['run-3', 'run-2', 'run-1']);
    expect(runs[0]).toMatchObject({
      status: 'failed',
      callsSeen: 30,
      durationMs: MIN,
      error: { kind: 'plivo-unavailable' },
    });
    expect(runs[1]).toMatchObject({ status: 'completed', error: null });
    table.client.destroy();
  });
});

describe('the poller and stored silences', () => {
  it('honours a silence added between runs from its next run, and alerts again once it is expired', async () => {
    const calls = generateTraffic({
      seed: 77,
      from: at(-40),
      to: at(-5),
      callsPerMinute: 1,
      incidents: ['zentrunk-hangup', 'packet-loss'],
    });
    const later = generateTraffic({
      seed: 78,
      from: at(20),
      to: at(25),
      callsPerMinute: 1,
      incidents: ['zentrunk-hangup'],
    });
    for (const c of [...calls, ...later]) c.insightsReadyAt = c.endTime;
    const pipeline = await pipelines.start({
      calls: [...calls, ...later],
      start: T0,
      config: { plivo: { maxRequestsPer5s: 300 } },
    });
    const store = pipeline.store as DynamoDbStateStore;
    await store.putSilence(silence({ startsAt: at(-1).toISOString() }), Math.floor(at(600).getTime() / 1000));

    const first = await pipeline.run();
    expect(first.alertsSilencedByRule).toEqual({ 'zentrunk-hangup': 1 });
    expect(pipeline.notifier.sent.map((m) => m.attributes.rule)).toEqual(['packet-loss']);
    expect(pipeline.logs.join('\n')).toMatch(/Alert silenced; recorded and not sent.*"silence":"s-test0001"/);

    // `silence expire`: the silence ends now; the next hangup pages again.
    pipeline.clock.advance(30 * MIN);
    const [stored] = await store.listSilences();
    if (!stored) throw new Error('the silence is gone');
    await store.replaceSilence({ ...stored, endsAt: pipeline.clock.now().toISOString() }, 2_000_000_000);
    const second = await pipeline.run();
    expect(second.alertsSilenced).toBe(0);
    expect(pipeline.notifier.sent.map((m) => m.attributes.rule)).toEqual(['packet-loss', 'zentrunk-hangup']);
  });

  it('skips a stored silence the schema no longer accepts, and the run goes on', async () => {
    const calls = generateTraffic({
      seed: 79,
      from: at(-30),
      to: at(-5),
      callsPerMinute: 1,
      incidents: ['zentrunk-hangup'],
    });
    const pipeline = await pipelines.start({
      calls,
      start: T0,
      config: { plivo: { maxRequestsPer5s: 300 } },
    });
    const store = pipeline.store as DynamoDbStateStore;
    await store.putSilence(
      silence({ id: 's-bad', matchers: { countries: ['germany'] } }),
      Math.floor(at(600).getTime() / 1000),
    );

    const summary = await pipeline.run();
    expect(summary.status).toBe('completed');
    expect(summary.alertsPublishedByRule['zentrunk-hangup']).toBe(1);
    expect(pipeline.logs.join('\n')).toMatch(/Skipped a stored silence that is not valid.*s-bad.*countries/);
  });

  it('reports a state table failure as such', async () => {
    const { store, table } = await storeAt(T0.getTime());
    const missing = new DynamoDbStateStore({ tableName: 'no-such-table', client: table.documentClient });
    await expect(missing.listSilences()).rejects.toBeInstanceOf(StateStoreError);
    expect(await store.listSilences()).toEqual([]);
    table.client.destroy();
  });
});
