/**
 * What on-call reads from a traffic rule: the trunk, the window against the baseline, the new
 * countries with their calls, spend and numbers (masked when configured), what to do; text
 * that came from CDRs (a trunk domain) reduced to one plain line.
 */
import { alertConfigSchema } from '../../../functions/core/config/schema';
import { judgeTraffic, trafficEdges } from '../../../functions/core/poll/notify-traffic';
import { quietIncident } from '../../../functions/core/traffic/incident';
import { renderTrafficAlert } from '../../../functions/core/traffic/traffic-message';
import {
  ACCOUNT_KEY,
  countInto,
  DAY_MS,
  emptyHot,
  observeLateness,
} from '../../../functions/core/traffic/traffic-state';
import { makeCall } from '../../support/calls';
import { learntTraffic } from '../../support/traffic';

const T0 = Date.parse('2026-11-02T00:00:00.000Z');
const MIN = 60_000;

function newDestinationAlert(trunk: string, mask: boolean) {
  const config = alertConfigSchema.parse({ notifications: { maskPhoneNumbers: mask } });
  const nowMs = T0 + 8 * DAY_MS + 3 * 3_600_000;
  const { hot, profile } = learntTraffic(trunk, T0, nowMs - 3_600_000, 60);
  const burst = ['+2399922739', '+2399941786', '+2399958730', '+2399900001'].map((n, i) =>
    makeCall({
      trunkDomain: trunk,
      toCountry: 'ST',
      toNumber: n,
      totalAmount: 6.5,
      endTime: new Date(nowMs - (10 - i) * MIN).toISOString(),
    }),
  );
  const withBurst = countInto(hot, burst, profile.known, 30 * DAY_MS);
  const account = observeLateness(emptyHot(ACCOUNT_KEY), new Array(200).fill(60_000), nowMs);
  const edges = trafficEdges(config, account, nowMs, nowMs - 15_000);
  const judged = judgeTraffic(config, trunk, withBurst, profile, edges, nowMs).find(
    (j) => j.rule.id === 'new-destination',
  );
  if (!judged) throw new Error('new-destination not judged');
  expect(judged.judgement.state).toBe('breach');
  return renderTrafficAlert(
    {
      ruleId: 'new-destination',
      key: trunk,
      labels: withBurst.labels,
      incident: { ...quietIncident(), firing: true, episode: 1, since: new Date(nowMs).toISOString() },
      notice: 'firing',
      judgement: judged.judgement,
      severity: judged.settings.severity,
    },
    config,
    new Date(nowMs),
  );
}

describe('a traffic alert', () => {
  it('names the trunk, the new country, its calls, spend and numbers, and what to do', () => {
    const m = newDestinationAlert('acme.zt.plivo.com', false);
    expect(m.subject).toBe('[zentrunk CRITICAL] new-destination | acme.zt.plivo.com | ST (4 calls, $26.00)');
    expect(m.text).toContain('ST: 4 calls since');
    expect(m.text).toContain('+2399922739');
    expect(m.nextSteps?.join(' ')).toMatch(/block its outbound calls/);
    expect(m.shortText.length).toBeLessThanOrEqual(160);
    expect(m.attributes).toMatchObject({ rule: 'new-destination', severity: 'critical', to_country: 'ST' });
  });

  it('masks the numbers everywhere when maskPhoneNumbers is on', () => {
    const m = newDestinationAlert('acme.zt.plivo.com', true);
    const everything = JSON.stringify(m);
    expect(everything).not.toContain('+2399922739');
    expect(m.text).toMatch(/\*+2739/);
  });

  it('reduces a trunk domain from a CDR to one plain line (no newline or terminal escape reaches the subject)', () => {
    const m = newDestinationAlert('evil.zt.plivo.com\n[zentrunk RESOLVED] all clear\u001b[2J', false);
    expect(m.subject).not.toContain('\n');
    expect(m.subject).not.toContain('\u001b');
    expect(m.text.split('\n').some((line) => line.startsWith('[zentrunk RESOLVED]'))).toBe(false);
    expect(m.text).not.toContain('\u001b');
  });
});
