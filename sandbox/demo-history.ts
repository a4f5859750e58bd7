import { demoTraffic, type SandboxCall, seededTraffic } from './traffic';

/**
 * The traffic a demo sandbox serves: 'demo', calls with an incident for every per-call rule
 * (npm start's two hours, the CLI's six), or 'seasonal', 14 days with a week's rhythm and four
 * volume and spend events (seasonal-traffic.ts).
 */
export const DEMO_TRAFFIC_KINDS = ['demo', 'seasonal'] as const;
export type DemoTrafficKind = (typeof DEMO_TRAFFIC_KINDS)[number];

export function isDemoTrafficKind(value: string): value is DemoTrafficKind {
  return (DEMO_TRAFFIC_KINDS as readonly string[]).includes(value);
}

/** How far back the CLI's own sandbox has calls. */
export const DEMO_HISTORY_HOURS = 6;

/**
 * What `zentrunk-alerts` serves when it starts its own sandbox: `npm start`'s demo traffic for
 * the same seed (the last two hours, so a call uuid printed by `npm start` can be explained),
 * four more hours of quiet traffic before it, and one carrier incident to tune against: 300
 * calls on acme.zt.plivo.com losing 3 % of their packets, 4 h to 3 h 40 min ago. Like the demo
 * traffic it depends on the seed only, not on the clock.
 */
export function demoHistory(now: Date, seed = 1): SandboxCall[] {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const quiet = seededTraffic({
    seed: seed * 1000 + 7,
    from: at(DEMO_HISTORY_HOURS * 60),
    to: at(120),
    callsPerMinute: 2,
    incidents: 'none',
  });
  const incident = seededTraffic({
    seed: seed * 1000 + 8,
    from: at(240),
    to: at(220),
    callsPerMinute: 40,
    incidents: 'none',
  })
    .filter((c) => c.trunkDomain === 'acme.zt.plivo.com' && c.answerTime !== null)
    .slice(0, 300);
  for (const c of incident) {
    c.packetLossPct = 3;
    c.scenario = 'packet-loss';
    c.expectedAlerts = ['packet-loss'];
  }
  return [...quiet, ...incident, ...demoTraffic(now, seed)];
}
