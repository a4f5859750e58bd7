/**
 * Defaults that page once: with the shipped config files, as they are, a carrier incident of
 * 300 bad calls on one trunk reaches on-call as at most three notifications — firing, at most
 * one update, resolved — under one alert key. Driven over simulated time (a poll every 5
 * minutes, the shipped schedule) through the sandbox and dynalite.
 */
import { join } from 'node:path';
import { loadRuntimeConfigFile } from '../../lib/config/project-config';
import { generateTraffic, type SandboxCall } from '../../sandbox/traffic';
import { pipelinesForEachTest } from '../support/pipeline';

const MIN = 60_000;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const TRUNK = 'acme.zt.plivo.com';
const CONFIG_DIR = join(__dirname, '..', '..', 'config');

// The lifecycle over simulated time is the subject, not DynamoDB: the in-memory store.
const pipelines = pipelinesForEachTest({ store: 'memory' });

type Incident = 'packet-loss' | 'packet-loss-critical' | 'zentrunk-hangup';

/** Quiet traffic on three trunks for 80 minutes; 300 answered calls on one trunk go bad over 20 minutes. */
function traffic(incident: Incident): { calls: SandboxCall[]; bad: SandboxCall[] } {
  const calls = generateTraffic({ seed: 10, from: T0, to: at(80), callsPerMinute: 3, incidents: 'none' });
  const bad = generateTraffic({ seed: 11, from: at(10), to: at(30), callsPerMinute: 40, incidents: 'none' })
    .filter((c) => c.trunkDomain === TRUNK && c.answerTime !== null)
    .slice(0, 300);
  for (const c of bad) {
    if (incident === 'packet-loss') c.packetLossPct = 3;
    if (incident === 'packet-loss-critical') c.packetLossPct = 6.2;
    if (incident === 'zentrunk-hangup') {
      c.hangupSource = 'zentrunk';
      c.hangupCauseCode = 3020;
      c.hangupCauseName = 'rtp_timeout';
    }
  }
  const all = [...calls, ...bad];
  for (const c of all) c.insightsReadyAt = c.endTime;
  return { calls: all, bad };
}

// The default stage gets two kinds of incident; prod (the same incident mode) one, to keep the suite quick.
const CASES: Array<[string, Incident[]]> = [
  ['dev.json', ['packet-loss-critical', 'zentrunk-hangup']],
  ['prod.json', ['packet-loss']],
];

describe.each(CASES)('the shipped config/%s', (file, incidents) => {
  // The file exactly as shipped; only the request budget is raised so the test does not wait on
  // its own rate limiter (it changes no alerting decision).
  const shipped = loadRuntimeConfigFile(join(CONFIG_DIR, file));
  const config = { ...shipped, plivo: { ...shipped.plivo, maxRequestsPer5s: 300, insightsConcurrency: 8 } };

  it('is in incident mode: grouping by trunk, the windowed packet-loss spike on', () => {
    expect(shipped.grouping).toMatchObject({ enabled: true, groupBy: ['trunk_domain'] });
    expect(shipped.windowedRules['packet-loss-spike'].enabled).toBe(true);
  });

  it.each(incidents)(
    'turns a 300-call %s incident on one trunk into at most 3 notifications: firing, update, resolved',
    async (incident) => {
      const { calls, bad } = traffic(incident);
      expect(bad).toHaveLength(300);
      const pipeline = await pipelines.start({ calls, start: T0, config });

      const summaries = [];
      // The bad calls end by minute 30; the incident resolves 30 quiet minutes later.
      while (pipeline.clock.now() < at(70)) {
        pipeline.clock.advance(5 * MIN);
        summaries.push(await pipeline.run());
      }

      const sent = pipeline.notifier.sent;
      const notices = sent.map((m) => String(m.json.notice));
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(sent.length).toBeLessThanOrEqual(3);
      expect(notices[0]).toBe('firing');
      expect(notices.at(-1)).toBe('resolved');
      expect(notices.slice(1, -1).every((n) => n === 'update')).toBe(true);
      // One conversation: every message carries the same alert key and names the trunk.
      expect(new Set(sent.map((m) => m.dedupKey)).size).toBe(1);
      expect(sent.every((m) => m.attributes.trunk_domain === TRUNK)).toBe(true);
      expect(summaries.every((s) => s.status === 'completed' && s.catchUpSummaries === 0)).toBe(true);
    },
  );
});
