import type { Judgement } from './define-traffic-rule';
import { quietIncident, type TrafficIncident } from './traffic-state';

export { quietIncident };

export type TrafficNotice = 'firing' | 'update' | 'resolved';

/**
 * A traffic rule's incident for one trunk, one judgement at a time: it fires on a breach, sends
 * at most one update (when the value is materially worse than its peak: a drop to nothing, a
 * surge doubled, a country more), and resolves on 'ok'. 'hold' and 'unjudged' change nothing.
 * A firing notice that could not go out (a silence holds it, the channel failed) is tried again.
 * With `forMinutes`, it fires only once every run has breached for that long.
 */
export function stepIncident(
  incident: TrafficIncident,
  judgement: Judgement,
  now: Date,
  worse: (peak: number, value: number) => boolean,
  forMinutes = 0,
): { incident: TrafficIncident; notice: TrafficNotice | null } {
  const value = judgement.value;
  if (!incident.firing) {
    if (judgement.state !== 'breach') {
      // 'unjudged' (a run that could not tell) does not break a breach; anything else does.
      const breachSince = judgement.state === 'unjudged' ? (incident.breachSince ?? null) : null;
      return { incident: { ...incident, breachSince }, notice: null };
    }
    const since = incident.breachSince ?? now.toISOString();
    const breachedMs = now.getTime() - Date.parse(since);
    if (!(breachedMs >= forMinutes * 60_000))
      return { incident: { ...incident, breachSince: since }, notice: null };
    return {
      incident: {
        firing: true,
        since: now.toISOString(),
        episode: incident.episode + 1,
        notices: 0,
        updates: 0,
        peak: value,
        lastNotifiedAt: null,
        breachSince: null,
      },
      notice: 'firing',
    };
  }
  if (judgement.state === 'ok')
    return { incident: { ...incident, firing: false }, notice: incident.notices > 0 ? 'resolved' : null };
  if (incident.notices === 0) return { incident, notice: judgement.state === 'breach' ? 'firing' : null };
  if (
    judgement.state === 'breach' &&
    value !== null &&
    incident.peak !== null &&
    incident.updates === 0 &&
    worse(incident.peak, value)
  ) {
    return { incident: { ...incident, peak: value }, notice: 'update' };
  }
  return { incident, notice: null };
}

/** After a notice went out. */
export function afterNotice(incident: TrafficIncident, notice: TrafficNotice, now: Date): TrafficIncident {
  return {
    ...incident,
    notices: incident.notices + 1,
    updates: incident.updates + (notice === 'update' ? 1 : 0),
    lastNotifiedAt: now.toISOString(),
  };
}
