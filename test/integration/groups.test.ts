/**
 * Incidents, not floods: with grouping on, a carrier incident on one trunk is one alert with a
 * lifecycle (firing, bounded updates, resolved), driven over simulated time through the
 * sandbox and dynalite.
 */
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { type Pipeline, pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const INCIDENT_TRUNK = 'acme.zt.plivo.com';

// The lifecycle over simulated time is the subject, not DynamoDB: the in-memory store.
const pipelines = pipelinesForEachTest({ store: 'memory' });
let pipeline: Pipeline;

/** Healthy traffic for an hour; every call on one trunk loses 3 % of its packets for 10 minutes. */
function incident(): { calls: SandboxCall[]; bad: SandboxCall[] } {
  const calls = generateTraffic({ seed: 5, from: T0, to: at(60), callsPerMinute: 5, incidents: 'none' });
  const heavy = generateTraffic({ seed: 6, from: at(5), to: at(15), callsPerMinute: 100, incidents: 'none' });
  const bad = heavy.filter((c) => c.trunkDomain === INCIDENT_TRUNK);
  for (const c of bad) c.packetLossPct = 3;
  const all = [...calls, ...heavy];
  for (const c of all) c.insightsReadyAt = c.endTime;
  return { calls: all, bad };
}

const config = (extra: Record<string, unknown> = {}) => ({
  plivo: { maxRequestsPer5s: 300, insightsConcurrency: 8 },
  poll: { firstRunLookbackMinutes: 10 },
  grouping: { enabled: true, groupBy: ['trunk_domain'], resolveAfterMinutes: 20, maxUpdates: 2 },
  ...extra,
});

async function runEvery5Minutes(p: Pipeline, untilMinute: number) {
  const summaries = [];
  while (p.clock.now() < at(untilMinute)) {
    p.clock.advance(5 * MIN);
    summaries.push(await p.run());
  }
  return summaries;
}

describe('alert groups', () => {
  it('turns an incident of hundreds of bad calls into one firing, a few updates and one resolution', async () => {
    const { calls, bad } = incident();
    expect(bad.length).toBeGreaterThanOrEqual(500);
    pipeline = await pipelines.start({ calls, start: T0, config: config() });

    const summaries = await runEvery5Minutes(pipeline, 70);

    const packetLoss = pipeline.notifier.sent.filter((m) => m.attributes.rule === 'packet-loss');
    const notices = packetLoss.map((m) => m.json.notice);
    expect(notices[0]).toBe('firing');
    expect(notices.at(-1)).toBe('resolved');
    expect(notices.filter((n) => n === 'firing')).toHaveLength(1);
    expect(notices.filter((n) => n === 'resolved')).toHaveLength(1);
    expect(notices.filter((n) => n === 'update').length).toBeLessThanOrEqual(2);
    expect(packetLoss.length).toBeLessThanOrEqual(4);
    // Every notice is about the same incident, under one key; the last one counts every bad call.
    expect(new Set(packetLoss.map((m) => m.dedupKey)).size).toBe(1);
    expect(packetLoss.at(-1)?.json.count).toBe(bad.length);
    expect(packetLoss[0]?.attributes).toMatchObject({ trunk_domain: INCIDENT_TRUNK, state: 'firing' });
    expect(packetLoss.at(-1)?.attributes.state).toBe('resolved');
    expect(packetLoss[0]?.subject).toMatch(
      /^\[zentrunk WARNING\] packet-loss: \d+ calls \| acme\.zt\.plivo\.com$/,
    );
    expect(summaries.reduce((n, s) => n + s.findingsGrouped, 0)).toBe(bad.length);
  });

  it('holds notices back during a silence, and sends the resolution after it only if the incident was announced', async () => {
    const { calls } = incident();
    const silence = {
      rules: [
        {
          id: 'carrier-maintenance',
          matchers: { trunkDomains: [INCIDENT_TRUNK] },
          startsAt: at(12).toISOString(),
          endsAt: at(50).toISOString(),
        },
      ],
    };
    pipeline = await pipelines.start({ calls, start: T0, config: { ...config(), silences: silence } });

    await runEvery5Minutes(pipeline, 70);

    const sent = pipeline.notifier.sent.filter((m) => m.attributes.rule === 'packet-loss');
    const times = sent.map((m) => ({ notice: m.json.notice, at: m.json.lastSeenAt }));
    expect(times[0]?.notice).toBe('firing'); // announced at minute 10, before the silence
    expect(times.at(-1)?.notice).toBe('resolved');
    // Nothing between: the silence held the updates back, and the resolution waited for its end.
    expect(sent).toHaveLength(2);
  });

  it('sends nothing at all for an incident that a silence covered from start to end', async () => {
    const { calls } = incident();
    const silence = {
      rules: [
        {
          id: 'planned-work',
          matchers: { trunkDomains: [INCIDENT_TRUNK] },
          startsAt: T0.toISOString(),
          endsAt: at(120).toISOString(),
        },
      ],
    };
    pipeline = await pipelines.start({ calls, start: T0, config: { ...config(), silences: silence } });

    const summaries = await runEvery5Minutes(pipeline, 70);

    expect(pipeline.notifier.sent.filter((m) => m.attributes.rule === 'packet-loss')).toEqual([]);
    expect(summaries.reduce((n, s) => n + s.alertsSilenced, 0)).toBeGreaterThanOrEqual(400);
  });
});
