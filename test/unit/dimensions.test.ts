/**
 * The table of call dimensions and everything that reads it agree: the config schema's scope
 * and silence keys, the CLI's --matcher names, the labels incidents and windows are grouped by,
 * and the one matching rule whether a call (a finding) or a group's labels are matched.
 */
import { parseMatchers, describeMatchers } from '../../cli/commands/silence';
import type { Call } from '../../functions/core/call';
import { parseConfig } from '../../functions/core/config/load-config';
import { GROUP_LABELS, scopeSchema } from '../../functions/core/config/schema';
import {
  CALL_LABELS,
  CALL_MATCHERS,
  callMatches,
  callValue,
  labelsMatch,
  labelsOf,
  SCOPE_MATCHERS,
} from '../../functions/core/dimensions';
import { inScope } from '../../functions/core/rules/scope';
import { activeSilenceFor } from '../../functions/core/silences';
import { windowRuleFor } from '../../functions/core/windowed/window-rule';
import { makeCall, makeInsights } from '../support/calls';

const calls: Call[] = [
  makeCall(),
  makeCall({ direction: 'inbound', fromCountry: 'GB', toCountry: 'US', trunkDomain: 'b.zt.plivo.com' }),
  makeCall({ direction: null, fromCountry: null, toCountry: 'IN', trunkDomain: null }),
];
const FAR = { startsAt: '2026-01-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' };
const NOW = new Date('2026-06-01T00:00:00Z');

/** A list for matcher `key` that holds the call's own value (when it has one), and one that does not. */
function listsFor(call: Call, m: (typeof CALL_MATCHERS)[number]): Array<readonly string[]> {
  const own = m.labels.map((label) => callValue(call, label)).filter((v): v is string => v !== null);
  const other = { trunkDomains: 'nowhere.zt.plivo.com', countries: 'DE', directions: 'inbound' }[m.key];
  return [...(own.length > 0 ? [own.slice(0, 1)] : []), own.includes(other) ? ['outbound'] : [other]];
}

describe('the call dimensions', () => {
  it('match a CDR field each, and name labels that incidents or windows group by', () => {
    for (const m of CALL_MATCHERS) {
      for (const label of m.labels) {
        const row = CALL_LABELS.find((r) => r.label === label);
        expect({ key: m.key, label, field: row?.field ?? null }).toEqual({
          key: m.key,
          label,
          field: expect.any(String),
        });
      }
    }
    expect(GROUP_LABELS).toEqual(CALL_LABELS.filter((r) => !('windowsOnly' in r)).map((r) => r.label));
  });

  it('are the keys of a scope and of a silence, in the config schema', () => {
    expect(Object.keys(scopeSchema.shape)).toEqual(SCOPE_MATCHERS.map((m) => m.key));
    expect([...SCOPE_MATCHERS].map((m) => m.key).sort()).toEqual(CALL_MATCHERS.map((m) => m.key).sort());
    const silence = parseConfig({
      silences: {
        rules: [
          {
            id: 's',
            ...FAR,
            matchers: Object.fromEntries(CALL_MATCHERS.map((m) => [m.key, listsFor(calls[0] as Call, m)[0]])),
          },
        ],
      },
    }).silences.rules[0];
    expect(Object.keys(silence?.matchers ?? {}).sort()).toEqual(CALL_MATCHERS.map((m) => m.key).sort());
  });

  it('are what the CLI parses and describes, under every name it accepts', () => {
    for (const m of CALL_MATCHERS) {
      for (const name of m.cli) {
        expect(parseMatchers([`${name}=a,b`])).toEqual({ [m.key]: ['a', 'b'] });
      }
      expect(describeMatchers({ [m.key]: ['a', 'b'] })).toBe(`${m.cli[0]}=a,b`);
    }
    expect(() => parseMatchers(['nope=1'])).toThrow(
      `name one of rule, severity, ${CALL_MATCHERS.map((m) => m.cli[0]).join(', ')}`,
    );
  });

  it('match a call, its finding and its group alike: scope, silence and window override agree', () => {
    for (const call of calls) {
      const insights = makeInsights(call.callUuid);
      const labels = labelsOf(
        call,
        insights,
        CALL_LABELS.map((r) => r.label),
      );
      for (const m of CALL_MATCHERS) {
        for (const list of listsFor(call, m)) {
          const lists = { [m.key]: list };
          const expected = callMatches(call, lists);
          const config = parseConfig({
            silences: { rules: [{ id: 's', ...FAR, matchers: lists }] },
            windowedRules: { 'packet-loss-spike': { overrides: [{ scope: lists, threshold: 0.5 }] } },
          });
          const finding = { ruleId: 'packet-loss', severity: 'warning' as const, call };
          const group = { ruleId: 'packet-loss', severity: 'warning' as const, labels };
          expect({
            key: m.key,
            list,
            call: call.callUuid,
            results: [
              inScope(call, lists),
              activeSilenceFor(finding, NOW, config.silences) !== null,
              // A group named by this call: the trunk label falls back to the trunk id, not the case here.
              labelsMatch(labels, lists),
              activeSilenceFor(group, NOW, config.silences) !== null,
              windowRuleFor(config, 'packet-loss-spike', labels).override !== null,
            ],
          }).toEqual({ key: m.key, list, call: call.callUuid, results: Array(5).fill(expected) });
        }
      }
    }
  });

  it('a value the subject lacks matches no list: a group without the label, a call without the field', () => {
    for (const m of CALL_MATCHERS) {
      const listed = listsFor(calls[0] as Call, m)[0] as readonly string[];
      expect(labelsMatch({}, { [m.key]: listed })).toBe(false);
      expect(labelsMatch({}, {})).toBe(true);
    }
    expect(callMatches(calls[2] as Call, { directions: ['inbound', 'outbound'] })).toBe(false);
  });
});
