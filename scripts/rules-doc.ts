import { CALL_LABELS, CALL_MATCHERS } from '../functions/core/dimensions';
import { alertConfigSchema } from '../functions/core/config/schema';
import { RULES } from '../functions/core/rules/registry';
import { TRAFFIC_RULES } from '../functions/core/traffic/registry';

/**
 * docs/rules.md, generated from the rule registry and the table of call dimensions: what each
 * per-call rule fires on, its defaults, severity and windowed counterpart, and the dimensions
 * scopes and silences match. `npm run docs:rules` writes it; test/unit/rules/registry.test.ts
 * fails while the committed file differs.
 */
export function renderRulesDoc(): string {
  const rules = table(
    ['id', 'fires when', 'default', 'severity', 'judged on', 'per group'],
    RULES.map((rule) => {
      const fields = Object.entries(rule.fields).map(
        ([name, f]) =>
          f.shown ?? `\`${name}\` ${Array.isArray(f.default) ? f.default.join(', ') : String(f.default)}`,
      );
      return [
        `\`${rule.id}\``,
        rule.docs.firesWhen,
        [...(rule.enabledByDefault ? [] : ['off']), ...fields].join(', ') || '—',
        `${rule.severity}${rule.escalates ? ' / critical' : ''}`,
        rule.needsInsights ? 'Insights' : 'CDR',
        rule.windowed ? `\`${rule.windowed}\`` : '—',
      ];
    }),
  );
  const defaults = alertConfigSchema.parse({}).trafficRules;
  const shown = (value: unknown) => (Array.isArray(value) ? value.join(', ') : String(value));
  const traffic = table(
    ['id', 'fires when', 'default', 'severity', 'can fire after'],
    TRAFFIC_RULES.map((rule) => {
      const { enabled, severity, overrides: _o, ...fields } = defaults[rule.id] as Record<string, unknown>;
      return [
        `\`${rule.id}\``,
        rule.summary,
        [...(enabled ? [] : ['off']), ...Object.entries(fields).map(([k, v]) => `\`${k}\` ${shown(v)}`)].join(
          ', ',
        ),
        String(severity),
        rule.needs,
      ];
    }),
  );
  const labelOf = (label: string) => CALL_LABELS.find((row) => row.label === label);
  const dimensions = table(
    ['scope / silence key', '`--matcher` names', 'group labels', 'call fields'],
    CALL_MATCHERS.map((m) => [
      `\`${m.key}\``,
      m.cli.map((name) => `\`${name}\``).join(', '),
      m.labels.map((label) => `\`${label}\``).join(', '),
      m.labels.map((label) => `\`${labelOf(label)?.field ?? '—'}\``).join(', '),
    ]),
  );
  const groupOnly = CALL_LABELS.filter(
    (row) => !CALL_MATCHERS.some((m) => (m.labels as readonly string[]).includes(row.label)),
  );
  return [
    '# Rules',
    '',
    '<!-- Generated from functions/core/rules/registry.ts and functions/core/dimensions.ts by `npm run docs:rules`: edit those, not this file. -->',
    '',
    '## Per-call rules',
    '',
    ...rules,
    '',
    'A rule judged on the CDR alone alerts without waiting for Insights; the others are asked once',
    "the call's Insights are known. The windowed rule in the last column judges the same thing per",
    'group of calls over a sliding window (`windowedRules.<id>`).',
    '',
    '## Traffic rules',
    '',
    'Judged per trunk (and, but for new-destination, for the whole account) against a baseline',
    'learnt from the calls the poller lists (`trafficRules.<id>`; docs/traffic-rules.md). They make',
    'no Plivo request of their own.',
    '',
    ...traffic,
    '',
    '## Call dimensions',
    '',
    "A rule's `scope`, an override's scope and a silence's `matchers` list values under these keys",
    '(every list given must match, any value within a list); `zentrunk-alerts silence add',
    '--matcher NAME=VALUE` takes the names shown. A group or a window is matched on its labels.',
    '',
    ...dimensions,
    '',
    `Labels that group calls without being matched: ${groupOnly.map((row) => `\`${row.label}\`${'windowsOnly' in row ? ' (windowed rules only)' : ''}`).join(', ')}.`,
    '',
  ].join('\n');
}

/** A Markdown table with its columns padded, as prettier writes it. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
