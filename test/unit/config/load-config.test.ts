import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../../functions/core/config/load-config';
import { loadProjectConfig, runtimeConfigOf } from '../../../lib/config/project-config';
import { tempDir } from '../../support/temp-dir';

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('fills every default from an empty object', () => {
    const config = parseConfig({});
    expect(config.rules['low-quality-score'].below).toBe(3);
    expect(config.rules['packet-loss'].thresholdPct).toBe(0.9);
    expect(config.rules['zentrunk-hangup'].ignoreCodes).toEqual([3000, 3010, 4410, 4340, 4550]);
    expect(config.poll.firstRunLookbackMinutes).toBe(60);
    expect(config.plivo.maxRequestsPer5s).toBeLessThan(300);
  });

  it('names each bad field by its path and says why', () => {
    const issues = issuesOf({
      poll: { overlapMinutes: 'fifteen' },
      rules: {
        'packet-loss': { thresholdPct: -1 },
        'low-quality-score': { below: 2, criticalBelow: 2.5 },
        'stir-unverified': { scope: { countries: ['usa'] } },
      },
      plivo: { maxRequestsPer5s: 500 },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^poll\.overlapMinutes: .*expected number/),
        expect.stringMatching(/^rules\.packet-loss\.thresholdPct: .*>0/),
        expect.stringMatching(
          /^rules\.low-quality-score\.criticalBelow: criticalBelow must not be above below/,
        ),
        expect.stringMatching(/^rules\.stir-unverified\.scope\.countries\[0\]: must be an ISO 3166-1/),
        expect.stringMatching(/^plivo\.maxRequestsPer5s: .*300/),
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  it('rejects unknown keys (a typo must not silently fall back to a default)', () => {
    expect(issuesOf({ rules: { 'packet-los': {} } })).toEqual([
      expect.stringMatching(/^rules: .*packet-los/),
    ]);
  });

  it('rejects the flap control counted in runs, naming its replacement in minutes', () => {
    expect(issuesOf({ windowedRules: { 'packet-loss-spike': { forEvaluations: { m: 3, n: 4 } } } })).toEqual([
      'windowedRules.packet-loss-spike.forEvaluations: counted runs, so what it meant changed with the schedule: use for (minutes) instead; at a 5-minute schedule this value is "for": {"breachMinutes": 15, "withinMinutes": 20} (scale by deployment.scheduleMinutes / 5 at another)',
    ]);
    expect(issuesOf({ windowedRules: { 'answer-seizure-ratio': { baseline: { alpha: 0.2 } } } })).toEqual([
      expect.stringMatching(
        /^windowedRules\.answer-seizure-ratio\.baseline\.alpha: counted runs.*use baseline\.halfLifeMinutes \(minutes\).*"halfLifeMinutes": 16/,
      ),
    ]);
  });

  it('rejects the runs that look again for insights, naming the minutes that replace them', () => {
    expect(issuesOf({ poll: { insightsMaxAttempts: 12 } })).toEqual([
      'poll.insightsMaxAttempts: counted runs, so what it meant changed with the schedule: use poll.insightsWaitMinutes (minutes) instead; at a 5-minute schedule this value is "insightsWaitMinutes": 60 (scale by deployment.scheduleMinutes / 5 at another)',
    ]);
    expect(parseConfig({}).poll.insightsWaitMinutes).toBe(60);
  });

  it('rejects the failed runs before operations are told, naming the minutes that replace them', () => {
    expect(issuesOf({ operations: { failuresBeforeAlert: 3 } })).toEqual([
      'operations.failuresBeforeAlert: counted runs, so what it meant changed with the schedule: use operations.failingAlertMinutes (minutes) instead; at a 5-minute schedule this value is "failingAlertMinutes": 15 (scale by deployment.scheduleMinutes / 5 at another)',
    ]);
    expect(parseConfig({}).operations.failingAlertMinutes).toBe(10);
  });

  it('checks flap control in minutes: breach minutes within the span', () => {
    expect(
      issuesOf({ windowedRules: { 'packet-loss-spike': { for: { breachMinutes: 20, withinMinutes: 15 } } } }),
    ).toEqual([
      'windowedRules.packet-loss-spike.for.breachMinutes: must not exceed withinMinutes (15): a rule cannot breach for longer than it looks back',
    ]);
    expect(parseConfig({}).windowedRules['packet-loss-spike'].for).toEqual({
      breachMinutes: 2,
      withinMinutes: 3,
    });
  });

  it('reports an unreadable or non-JSON file with its path', () => {
    const dir = tempDir('zta-config-');
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "rules": ');
    expect(() => loadConfigFile(file)).toThrow(/broken\.json[\s\S]*not valid JSON/);
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(/missing\.json[\s\S]*cannot read file/);
  });
});

describe('loadConfigFile on a whole config/<stage>.json', () => {
  it('reads the runtime part exactly as the stack ships it, setting the deployment section aside', () => {
    for (const stage of ['dev', 'prod']) {
      const file = join(__dirname, '..', '..', '..', 'config', `${stage}.json`);
      expect(loadConfigFile(file)).toEqual(runtimeConfigOf(loadProjectConfig(file)));
    }
  });
});
