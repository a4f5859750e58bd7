import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../functions/core/config/load-config';

/**
 * Whatever JSON arrives as config, the loader either returns a config or throws a
 * ConfigError whose every issue names a field path: never another exception.
 */
describe('config loader on arbitrary JSON', () => {
  function check(value: unknown): void {
    try {
      const config = parseConfig(value);
      expect(config.rules['low-quality-score'].below).toBeGreaterThan(1);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      expect(error.issues.length).toBeGreaterThan(0);
      for (const issue of error.issues) expect(issue).toMatch(/^[^:]+: .+/);
    }
  }

  it('never throws anything but ConfigError for any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 500 });
  });

  it('never throws anything but ConfigError for config-shaped objects with random leaves', () => {
    const leaf = fc.oneof(fc.jsonValue(), fc.double(), fc.integer(), fc.string(), fc.constant('null'));
    const ruleish = fc.dictionary(
      fc.constantFrom(
        'enabled',
        'severity',
        'below',
        'criticalBelow',
        'thresholdPct',
        'criticalPct',
        'ignoreCodes',
        'scope',
        'thresholdMs',
      ),
      leaf,
    );
    const shaped = fc.record(
      {
        poll: fc.dictionary(
          fc.constantFrom('firstRunLookbackMinutes', 'overlapMinutes', 'maxWindowMinutes'),
          leaf,
        ),
        plivo: fc.dictionary(fc.constantFrom('maxRequestsPer5s', 'insightsConcurrency', 'callFilters'), leaf),
        rules: fc.dictionary(
          fc.constantFrom('low-quality-score', 'packet-loss', 'zentrunk-hangup', 'stir-unverified'),
          ruleish,
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(shaped, check), { numRuns: 500 });
  });
});
