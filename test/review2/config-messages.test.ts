/**
 * REVIEW 2: trafficRules validation messages (traffic-config.ts).
 *  1. `share: 0.8` alone is refused on a field the user did not write: "recoveryShare: must be
 *     above share (0.8)", without saying recoveryShare is the default 0.7 (superRefine
 *     recoveryShare check). The same for an override's share.
 *  2. `minExpectedCalls: 3` gets two contradicting minimums: "expected number to be >=5" (the
 *     field's z.minimum(5)) and "must be at least 10" (the refinement).
 *  3. A country scope gets a second, wrong message: "an override needs a scope: trunkDomains"
 *     under the first (the refine runs on a scope that failed as strict object).
 *  4. forgetAfterDays up to 60 is accepted, though the items expire after 35 days without a
 *     write (see forget-after-item-lifetime.test.ts: above ~35 the trunk is never forgotten).
 */
import { parseConfig } from '../../functions/core/config/load-config';

const errorOf = (trafficRules: unknown) => {
  try {
    parseConfig({ trafficRules }, 'config.json');
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

it('names the default when a share is refused because of recoveryShare', () => {
  const message = errorOf({ 'traffic-drop': { share: 0.8 } });
  console.log(message);
  expect(message).toMatch(/recoveryShare[^\n]*0\.7/);
});

it('gives one minimum for minExpectedCalls', () => {
  const message = errorOf({ 'traffic-drop': { minExpectedCalls: 3 } });
  console.log(message);
  expect(message).not.toMatch(/>=5/);
});

it('says one thing about a country scope', () => {
  const message = errorOf({
    'traffic-drop': { overrides: [{ scope: { toCountries: ['US'] }, enabled: false }] },
  });
  console.log(message);
  expect(message).toMatch(/scoped by trunk only \(trunkDomains\)[^\n]*toCountries/);
});

it('refuses a forgetAfterDays the items do not live for', () => {
  expect(errorOf({ 'traffic-drop': { forgetAfterDays: 40 } })).not.toBe('');
});
