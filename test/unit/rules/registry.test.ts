/**
 * The rule registry is complete: every rule module in catalog/ is registered, and every
 * registered rule is reached by the config (schema, defaults, JSON Schema, silences), the
 * evaluation, explain, backtest, the sandbox's expectations and docs/rules.md. A rule added as
 * one module plus its line in registry.ts passes; one left out, or a part of the system that
 * keeps its own list, fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../../../cli/backtest/replay';
import { parseConfig } from '../../../functions/core/config/load-config';
import { RULE_IDS, WINDOWED_RULE_IDS } from '../../../functions/core/config/schema';
import { CALL_RULES, evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { explainRules } from '../../../functions/core/rules/explain-rules';
import { RULES } from '../../../functions/core/rules/registry';
import { projectConfigJsonSchema } from '../../../lib/config/project-config';
import { CDR_RULES, expectedAlertsOf } from '../../../sandbox/traffic';
import { renderRulesDoc } from '../../../scripts/rules-doc';
import { evaluated } from '../../support/calls';

const CATALOG = join(__dirname, '..', '..', '..', 'functions', 'core', 'rules', 'catalog');
const REPO = join(__dirname, '..', '..', '..');

/** A call that trips the rule, and the config that has it on. */
function tripping(rule: (typeof RULES)[number]) {
  const subject = evaluated(rule.example.call ?? {}, rule.example.insights ?? {});
  const config = parseConfig({ rules: { [rule.id]: { enabled: true } } });
  return { subject, config };
}

describe('the rule registry', () => {
  it('registers every rule module in catalog/, once', () => {
    const registered = new Set<unknown>(RULES);
    for (const file of readdirSync(CATALOG).filter((f) => f.endsWith('.ts'))) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(join(CATALOG, file)) as Record<string, unknown>);
      expect({ file, registered: exported.length > 0 && exported.every((e) => registered.has(e)) }).toEqual({
        file,
        registered: true,
      });
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it.each(RULES.map((rule) => [rule.id, rule] as const))('reaches %s from the config', (id, rule) => {
    expect(RULE_IDS).toContain(id);
    const defaults = parseConfig({}).rules[id];
    expect(defaults.enabled).toBe(rule.enabledByDefault);
    expect(defaults.severity).toBe(rule.severity);
    for (const [name, f] of Object.entries(rule.fields)) {
      expect((defaults as Record<string, unknown>)[name]).toEqual(f.default);
    }
    const schema = projectConfigJsonSchema() as {
      properties: { rules: { properties: Record<string, { properties: Record<string, unknown> }> } };
    };
    expect(Object.keys(schema.properties.rules.properties[id]?.properties ?? {})).toEqual([
      'enabled',
      'scope',
      'severity',
      ...Object.keys(rule.fields),
      'overrides',
    ]);
    // A silence can name it, an override can change each of its fields.
    const overridden = parseConfig({
      rules: { [id]: { overrides: [{ scope: { countries: ['GB'] }, enabled: false }] } },
      silences: {
        rules: [
          {
            id: 's',
            matchers: { rule: [id] },
            startsAt: '2026-01-01T00:00:00Z',
            endsAt: '2026-01-02T00:00:00Z',
          },
        ],
      },
    });
    expect(overridden.silences.rules[0]?.matchers.rule).toEqual([id]);
  });

  it.each(RULES.map((rule) => [rule.id, rule] as const))(
    'evaluates and explains %s: its example fires, a healthy call does not',
    (id, rule) => {
      expect(CALL_RULES).toContain(rule);
      const { subject, config } = tripping(rule);
      expect(evaluateRules([subject], config).map((f) => f.ruleId)).toContain(id);
      expect(evaluateRules([evaluated()], config).map((f) => f.ruleId)).not.toContain(id);
      const verdict = explainRules(subject, config).find((v) => v.ruleId === id);
      expect(verdict).toMatchObject({ verdict: 'fires', finding: { ruleId: id } });
      expect(verdict?.thresholds).not.toBe('');
      const quiet = explainRules(evaluated(), config).find((v) => v.ruleId === id);
      expect(quiet?.verdict).toBe('quiet');
      expect(quiet?.why).not.toBe('');
      // Without its Insights a rule that needs them has no data; a CDR rule judges all the same.
      const waiting = explainRules({ ...subject, insights: null }, config).find((v) => v.ruleId === id);
      expect(waiting?.verdict).toBe(rule.needsInsights ? 'no-data' : 'fires');
      expect([null, ...WINDOWED_RULE_IDS]).toContain(rule.windowed);
    },
  );

  it.each(RULES.map((rule) => [rule.id, rule] as const))(
    'backtests %s: the call it trips is matched and sent',
    async (id, rule) => {
      const { subject, config } = tripping(rule);
      const { call, insights } = subject;
      const result = await replay({
        calls: [call],
        insights: new Map(insights ? [[call.callUuid, insights]] : []),
        config,
        from: new Date(Date.parse(call.endTime ?? '') - 60_000),
        to: new Date(Date.parse(call.endTime ?? '') + 60_000),
        scheduleMinutes: 5,
      });
      expect(result.rules[id]).toMatchObject({ callsMatched: 1, fired: 1 });
    },
  );

  it.each(RULES.map((rule) => [rule.id, rule] as const))(
    'has the sandbox expect %s under the defaults, as the poller judges it',
    (id, rule) => {
      const { subject } = tripping(rule);
      expect(expectedAlertsOf(subject).includes(id)).toBe(rule.enabledByDefault);
      expect(CDR_RULES.has(id)).toBe(!rule.needsInsights);
    },
  );

  it('is what docs/rules.md says (npm run docs:rules writes it)', () => {
    const doc = readFileSync(join(REPO, 'docs', 'rules.md'), 'utf8');
    expect(doc).toBe(renderRulesDoc());
    for (const rule of RULES) expect(doc).toContain(`| \`${rule.id}\``);
  });
});
