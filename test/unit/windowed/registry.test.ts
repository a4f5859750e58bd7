/**
 * The windowed rules' registry is complete: every module in functions/core/windowed/catalog/ is
 * registered, and every registered rule is reached by the config (schema, defaults, JSON
 * Schema, WINDOWED_RULE_IDS), by what a call is observed as, by its messages (metric, which
 * way it fires, advice, the sample note of Insights rules), and by the per-call rules that name
 * it as their windowed counterpart.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../functions/core/config/load-config';
import { WINDOWED_RULE_IDS } from '../../../functions/core/config/schema';
import { RULES } from '../../../functions/core/rules/registry';
import { FIRES_BELOW, observe, WINDOW_METRIC } from '../../../functions/core/windowed/observe';
import { WINDOWED_RULES } from '../../../functions/core/windowed/registry';
import { emptyWindow, evaluateWindow } from '../../../functions/core/windowed/window';
import { renderWindowAlert } from '../../../functions/core/windowed/window-message';
import { windowRuleFor } from '../../../functions/core/windowed/window-rule';
import { projectConfigJsonSchema } from '../../../lib/config/project-config';
import { evaluated } from '../../support/calls';

const CATALOG = join(__dirname, '..', '..', '..', 'functions', 'core', 'windowed', 'catalog');

describe('the windowed rules registry', () => {
  it('registers every windowed rule module in catalog/, once, in config order', () => {
    const registered = new Set<unknown>(WINDOWED_RULES);
    const files = readdirSync(CATALOG).filter((f) => f.endsWith('.ts'));
    expect(files).toHaveLength(WINDOWED_RULES.length);
    for (const file of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(join(CATALOG, file)) as Record<string, unknown>);
      expect({ file, registered: exported.length > 0 && exported.every((e) => registered.has(e)) }).toEqual({
        file,
        registered: true,
      });
    }
    expect(WINDOWED_RULE_IDS).toEqual(WINDOWED_RULES.map((r) => r.id));
    expect(new Set(WINDOWED_RULE_IDS).size).toBe(WINDOWED_RULE_IDS.length);
  });

  it.each(WINDOWED_RULES.map((rule) => [rule.id, rule] as const))(
    '%s is reached by the config, observation and messages',
    (id, rule) => {
      // Config: off unless turned on, its defaults and its own fields, in the JSON Schema.
      const defaults = parseConfig({}).windowedRules[id];
      expect(defaults).toMatchObject({
        enabled: false,
        groupBy: rule.defaults.groupBy,
        aggregate: rule.defaults.aggregate,
        threshold: rule.defaults.threshold,
        recoveryThreshold: rule.defaults.recovery,
        severity: rule.defaults.severity,
      });
      for (const field of Object.keys(rule.extra)) expect(defaults).toHaveProperty(field);
      const schema = projectConfigJsonSchema() as {
        properties: { windowedRules: { properties: Record<string, unknown> } };
      };
      expect(Object.keys(schema.properties.windowedRules.properties)).toContain(id);

      // Observation: a call with everything known says something to every windowed rule.
      const config = parseConfig({ windowedRules: { [id]: { enabled: true } } });
      const subject = evaluated({ stirVerification: 'verified' }, { postDialDelayMs: 2000 });
      const seen = observe(id, subject, config);
      expect(seen).not.toBeNull();
      expect(seen?.atMs).toBe(Date.parse(subject.call.endTime as string));

      // Messages: its metric, its direction, its advice.
      expect(WINDOW_METRIC[id]).toEqual(rule.metric);
      expect(FIRES_BELOW.has(id)).toBe(rule.firesBelow);
      const windowRule = windowRuleFor(config, id, { trunk_domain: 't', to_country: 'US' });
      const state = emptyWindow('w-1', id, { trunk_domain: 't', to_country: 'US' });
      const evaluation = evaluateWindow(state, windowRule);
      const message = renderWindowAlert(state, { kind: 'firing' } as never, evaluation, windowRule, config, {
        now: new Date('2026-12-03T12:00:00Z'),
      });
      for (const advice of rule.advice) expect(message.text).toContain(advice);
    },
  );

  it('every per-call rule that names a windowed counterpart names a registered one', () => {
    const counterparts = RULES.map((rule) => rule.windowed).filter((w): w is string => w !== null);
    expect(counterparts.length).toBeGreaterThan(0);
    for (const windowed of counterparts) expect(WINDOWED_RULE_IDS).toContain(windowed);
  });
});
