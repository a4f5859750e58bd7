/**
 * REVIEW: a traffic rule's override scoped by anything but the trunk is accepted by the config
 * and silently never applies. The config takes the full scope schema (trafficRules overrides use
 * rule-schema.ts overrideScope: trunkDomains, countries, directions...), but trafficRuleFor
 * matches it against the trunk's labels only ({trunk_domain}, traffic-state.ts labelsOfKey), and
 * a label the subject lacks never matches (dimensions.ts isListed). "Don't page new-destination
 * for Cuba, we call it" keeps paging; nothing warns.
 */
import { parseConfig } from '../../functions/core/config/load-config';
import { DAY_MS, HOUR_MS, show, simulator, type Stream } from './harness';

const T0 = Date.parse('2026-11-02T00:00:00.000Z'); // a Monday
const TRUNK = 'acme.zt.plivo.com';
const office = (h: number) => {
  const d = new Date(h);
  return d.getUTCDay() >= 1 && d.getUTCDay() <= 5 && d.getUTCHours() >= 8 && d.getUTCHours() < 18 ? 120 : 0;
};

it('either refuses an override scoped by country, or honours it', async () => {
  const input = {
    trafficRules: { 'new-destination': { overrides: [{ scope: { countries: ['CU'] }, enabled: false }] } },
  };
  let refused = false;
  try {
    parseConfig(input, 'test');
  } catch {
    refused = true;
  }
  if (refused) return;
  const sim = simulator(input);
  const normal: Stream = { trunk: TRUNK, perHour: office, toCountry: 'US' };
  const start = T0 + 8 * DAY_MS + 10 * HOUR_MS;
  await sim.runSpan([normal], T0, start);
  const cuba: Stream = {
    trunk: TRUNK,
    perHour: () => 12,
    direction: () => 'outbound',
    toCountry: 'CU',
    within: [0.2, 0.8],
  };
  await sim.runSpan([normal, cuba], start, start + HOUR_MS);
  const nd = sim.sent.filter((s) => s.rule === 'new-destination');

  console.log(`config accepted; sent:\n${nd.map((s) => `${show([s])[0]} | ${s.subject}`).join('\n')}`);
  expect(nd).toEqual([]);
});
