import { parseConfig } from '../../../functions/core/config/load-config';
import { RULE_IDS, type RuleId } from '../../../functions/core/config/schema';
import {
  ALERTING_INCIDENTS,
  DEFAULT_TRUNKS,
  INCIDENT_KINDS,
  QUIET_INCIDENTS,
  demoTraffic,
  generateTraffic,
} from '../../../sandbox/traffic';

const from = new Date('2024-06-01T10:00:00Z');
const to = new Date('2024-06-01T12:00:00Z');
const traffic = (seed = 42) => generateTraffic({ seed, from, to, callsPerMinute: 2 });

/** What each alerting incident is there to show: the rule it pages for (expectedAlerts come from the real rules). */
const PAGES_FOR: Record<(typeof ALERTING_INCIDENTS)[number], RuleId> = {
  'low-quality-score': 'low-quality-score',
  'low-quality-score-critical': 'low-quality-score',
  'packet-loss': 'packet-loss',
  'packet-loss-critical': 'packet-loss',
  'zentrunk-hangup': 'zentrunk-hangup',
  'zentrunk-hangup-unanswered': 'zentrunk-hangup',
  'stir-not-verified-b': 'stir-unverified',
  'stir-not-verified-c': 'stir-unverified',
  'high-jitter': 'high-jitter',
  'high-rtt': 'high-rtt',
  'high-post-dial-delay': 'high-post-dial-delay',
  'late-cdr': 'packet-loss',
  'insights-late': 'high-jitter',
};

describe('generateTraffic', () => {
  it('is deterministic: same arguments, same calls; another seed, other calls', () => {
    expect(traffic(42)).toEqual(traffic(42));
    const other = traffic(43).map((c) => c.callUuid);
    expect(traffic(42).map((c) => c.callUuid)).not.toEqual(other);
  });

  it('never uses Math.random', () => {
    const spy = jest.spyOn(Math, 'random');
    traffic();
    demoTraffic(to);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('gives different UUIDs for the same seed over a different window', () => {
    const a = generateTraffic({ seed: 1, from, to: new Date(from.getTime() + 600_000), callsPerMinute: 3 });
    const b = generateTraffic({
      seed: 1,
      from: new Date(from.getTime() + 600_000),
      to: new Date(from.getTime() + 1_200_000),
      callsPerMinute: 3,
    });
    const uuids = new Set(a.map((c) => c.callUuid));
    expect(b.some((c) => uuids.has(c.callUuid))).toBe(false);
  });

  it('trips every rule the default config has on at least once', () => {
    const calls = traffic();
    const defaults = parseConfig({});
    for (const rule of RULE_IDS.filter((id) => defaults.rules[id].enabled)) {
      expect({ rule, viaLabel: calls.some((c) => c.expectedAlerts.includes(rule)) }).toEqual({
        rule,
        viaLabel: true,
      });
    }
  });

  it('each alerting incident pages for the rule it is there for', () => {
    const calls = traffic();
    for (const kind of ALERTING_INCIDENTS) {
      const call = calls.find((c) => c.scenario === kind);
      expect({ kind, pages: call?.expectedAlerts.includes(PAGES_FOR[kind]) }).toEqual({ kind, pages: true });
    }
  });

  it('is mostly healthy, and healthy calls never alert', () => {
    const calls = traffic();
    const healthy = calls.filter((c) => c.scenario === 'healthy');
    expect(healthy).toHaveLength(240);
    expect(healthy.length / calls.length).toBeGreaterThan(0.85);
    expect(healthy.every((c) => c.expectedAlerts.length === 0)).toBe(true);
  });

  it('includes every incident once, alerting ones alert and quiet ones do not', () => {
    const calls = traffic();
    for (const kind of INCIDENT_KINDS) {
      expect({ kind, count: calls.filter((c) => c.scenario === kind).length }).toEqual({ kind, count: 1 });
    }
    for (const kind of ALERTING_INCIDENTS) {
      expect({
        kind,
        alerts: (calls.find((c) => c.scenario === kind)?.expectedAlerts.length ?? 0) > 0,
      }).toEqual({
        kind,
        alerts: true,
      });
    }
    for (const kind of QUIET_INCIDENTS) {
      expect({ kind, alerts: calls.find((c) => c.scenario === kind)?.expectedAlerts }).toEqual({
        kind,
        alerts: [],
      });
    }
  });

  it('has the calls that must not alert: boundaries, Not Applicable STIR, ignored Zentrunk codes', () => {
    const calls = traffic();
    const boundary = calls.find((c) => c.scenario === 'boundary-values');
    expect(boundary).toMatchObject({
      qualityScore: 3,
      rttMs: 300,
      postDialDelayMs: 5000,
      expectedAlerts: [],
    });
    expect(calls.find((c) => c.scenario === 'stir-not-applicable')).toMatchObject({
      stirVerification: 'Not Applicable',
      attestation: null,
      variant: 'current-production',
    });
    const ignored = calls.filter((c) => c.hangupSource === 'zentrunk' && c.expectedAlerts.length === 0);
    expect(ignored.map((c) => c.hangupCauseCode).sort()).toEqual([3000, 4340, 4410, 4550]);
    expect(
      calls
        .filter((c) => c.stirVerification === 'Not Verified')
        .map((c) => c.attestation)
        .sort(),
    ).toEqual(['B', 'C']);
  });

  it('has a couple of malformed records and late CDRs/insights', () => {
    const calls = traffic();
    expect(
      calls
        .filter((c) => c.malformed)
        .map((c) => c.malformed)
        .sort(),
    ).toEqual(['bad-end-time', 'missing-call-uuid']);
    expect(calls.some((c) => c.cdrReadyAt.getTime() > c.endTime.getTime())).toBe(true);
    expect(calls.some((c) => c.insightsReadyAt === null)).toBe(true);
  });

  it('produces coherent, realistic records', () => {
    const calls = traffic();
    const domains = new Set(DEFAULT_TRUNKS.map((t) => t.domain));
    expect(new Set(calls.map((c) => c.callUuid)).size).toBe(calls.length);
    for (const c of calls) {
      expect(c.endTime.getTime()).toBeGreaterThanOrEqual(from.getTime());
      expect(c.endTime.getTime()).toBeLessThan(to.getTime());
      expect(c.initiationTime.getTime()).toBeLessThanOrEqual((c.answerTime ?? c.endTime).getTime());
      expect(c.initiationTime.getTime() + c.postDialDelayMs).toBeLessThanOrEqual(
        (c.answerTime ?? c.endTime).getTime(),
      );
      expect(c.insightsReadyAt === null || c.insightsReadyAt.getTime() > c.endTime.getTime()).toBe(true);
      expect(c.fromNumber).toMatch(/^\+\d{10,14}$/);
      expect(c.toNumber).toMatch(/^\+\d{10,14}$/);
      expect(domains.has(c.trunkDomain)).toBe(true);
      expect(c.billDurationSec).toBeGreaterThanOrEqual(c.durationSec);
    }
    const countries = new Set(calls.map((c) => c.toCountry));
    expect([...countries].sort()).toEqual(['DE', 'GB', 'IN', 'US']);
    const variants = new Set(calls.map((c) => c.variant));
    expect([...variants].sort()).toEqual(['current', 'current-production', 'legacy']);
  });

  it('honours incidents: none, a list, variants and an empty window', () => {
    const none = generateTraffic({ seed: 3, from, to, callsPerMinute: 1, incidents: 'none' });
    expect(none).toHaveLength(120);
    expect(none.every((c) => c.scenario === 'healthy')).toBe(true);
    const one = generateTraffic({
      seed: 3,
      from,
      to,
      callsPerMinute: 0,
      incidents: ['high-rtt'],
      variants: ['legacy'],
    });
    expect(one.map((c) => [c.scenario, c.variant, c.expectedAlerts])).toEqual([
      ['high-rtt', 'legacy', ['high-rtt']],
    ]);
    expect(generateTraffic({ seed: 3, from: to, to: from, callsPerMinute: 5 })).toEqual([]);
  });
});

describe('demoTraffic', () => {
  it('covers the last two hours with every incident inside the last hour', () => {
    const now = new Date('2024-06-01T12:00:00Z');
    const calls = demoTraffic(now);
    expect(calls.length).toBeGreaterThan(240);
    const ends = calls.map((c) => c.endTime.getTime());
    expect(Math.min(...ends)).toBeGreaterThanOrEqual(now.getTime() - 2 * 3600_000);
    expect(Math.max(...ends)).toBeLessThan(now.getTime());
    const incidents = calls.filter((c) => c.scenario !== 'healthy');
    expect(new Set(incidents.map((c) => c.scenario)).size).toBe(INCIDENT_KINDS.length);
    for (const c of incidents) expect(c.endTime.getTime()).toBeGreaterThan(now.getTime() - 3600_000);
    expect(demoTraffic(now)).toEqual(calls);
  });
});
