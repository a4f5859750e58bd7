/**
 * trafficRules in the config: the defaults, and the settings that would make a rule unable to
 * fire, unable to clear, or judge unsettled minutes, each rejected with its field path.
 */
import { ConfigError, parseConfig } from '../../../functions/core/config/load-config';

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
}

describe('trafficRules', () => {
  it('ships every traffic rule on, with defaults that can fire and clear', () => {
    const { trafficRules } = parseConfig({});
    expect(trafficRules['traffic-drop']).toMatchObject({
      enabled: true,
      severity: 'critical',
      windowMinutes: 15,
      share: 0.5,
      recoveryShare: 0.7,
      minExpectedCalls: 20,
      forMinutes: 5,
    });
    expect(trafficRules['traffic-surge']).toMatchObject({ enabled: true, multiple: 3, minCalls: 30 });
    expect(trafficRules.spend).toMatchObject({ enabled: true, severity: 'critical', minSpend: 10 });
    expect(trafficRules.spend.maxSpendPerHour).toBeUndefined();
    expect(trafficRules['new-destination']).toMatchObject({
      minCalls: 3,
      lookbackDays: 30,
      minHistoryDays: 7,
    });
    expect(trafficRules.settle).toEqual({ minMinutes: 2, maxMinutes: 15 });
  });

  it('rejects thresholds that cannot fire or cannot clear, naming the field', () => {
    expect(issuesOf({ trafficRules: { 'traffic-drop': { share: 1 } } })).toContainEqual(
      expect.stringMatching(/^trafficRules\.traffic-drop\.share: /),
    );
    expect(issuesOf({ trafficRules: { 'traffic-drop': { share: 0.6, recoveryShare: 0.5 } } })).toEqual([
      expect.stringMatching(/^trafficRules\.traffic-drop\.recoveryShare: must be above share \(0\.6\)/),
    ]);
    expect(issuesOf({ trafficRules: { 'traffic-drop': { minExpectedCalls: 6 } } })).toEqual([
      expect.stringMatching(
        /^trafficRules\.traffic-drop\.minExpectedCalls: must be at least 10: .*could never fire/,
      ),
    ]);
    expect(issuesOf({ trafficRules: { 'traffic-surge': { multiple: 1 } } })).toEqual([
      expect.stringMatching(/^trafficRules\.traffic-surge\.multiple: /),
    ]);
    expect(
      issuesOf({
        trafficRules: {
          'traffic-drop': {
            overrides: [{ scope: { trunkDomains: ['a.zt.plivo.com'] }, recoveryShare: 0.4 }],
          },
        },
      }),
    ).toEqual([
      expect.stringMatching(
        /^trafficRules\.traffic-drop\.overrides\[0\]\.recoveryShare: must be above share/,
      ),
    ]);
  });

  it('rejects a cap that is not a positive number', () => {
    for (const cap of [0, -5]) {
      expect(issuesOf({ trafficRules: { spend: { maxSpendPerHour: cap } } })).toEqual([
        expect.stringMatching(/^trafficRules\.spend\.maxSpendPerHour: a cap must be a positive number/),
      ]);
    }
    expect(issuesOf({ trafficRules: { 'traffic-surge': { maxCallsPerHour: '500' } } })).toEqual([
      expect.stringMatching(/^trafficRules\.traffic-surge\.maxCallsPerHour: /),
    ]);
    expect(
      parseConfig({ trafficRules: { spend: { maxSpendPerHour: 250 } } }).trafficRules.spend.maxSpendPerHour,
    ).toBe(250);
  });

  it('rejects a window shorter than the settle time, and a settle range upside down', () => {
    expect(issuesOf({ trafficRules: { spend: { windowMinutes: 10 } } })).toEqual([
      expect.stringMatching(
        /^trafficRules\.spend\.windowMinutes: must be at least settle\.maxMinutes \(15\)/,
      ),
    ]);
    expect(issuesOf({ trafficRules: { settle: { maxMinutes: 10 }, spend: { windowMinutes: 10 } } })).toEqual(
      [],
    );
    expect(issuesOf({ trafficRules: { settle: { minMinutes: 20, maxMinutes: 15 } } })).toContainEqual(
      expect.stringMatching(/^trafficRules\.settle\.minMinutes: must not exceed settle\.maxMinutes/),
    );
    expect(issuesOf({ trafficRules: { 'traffic-drop': { windowMinutes: 12 } } })).toEqual([
      expect.stringMatching(/^trafficRules\.traffic-drop\.windowMinutes: must be a multiple of 5/),
    ]);
  });
});
