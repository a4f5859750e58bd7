import * as z from 'zod/mini';
import type { Call, CallInsights } from './call';
import './zod-locale';

/**
 * The dimensions a call is known by, in one place: the trunk, the countries, the direction...
 * Each label row says which `Call` field holds it, the name it has in group and window labels
 * and in SNS message attributes (one and the same), and how a group reads it from a call.
 * Each matcher row says which labels a rule's `scope`, an override's scope and a silence's
 * `matchers` list under one key (`trunkDomains`), what the CLI calls it, and how explain and the
 * alerts describe it. Scope checks, silence checks (of a finding, a group or a window), the
 * config schema, the CLI's `--matcher` and grouping all read these rows; a new dimension is a
 * row here (and its test).
 */

interface LabelRow {
  /** The group/window label, and the SNS message attribute of a notice that carries it. */
  label: string;
  /** The `Call` field a scope or silence matches; null: not on the CDR (the carrier is in the Insights). */
  field: keyof Call | null;
  /** How a group or window names a call by it, when not simply `field` (null: unknown). */
  read?: (call: Call, insights: CallInsights | null) => string | null;
  /** Only windowed rules group by it. */
  windowsOnly?: true;
}

/** Group and window labels, in the order the config schema lists them. */
export const CALL_LABELS = [
  // Named by the trunk id when Plivo sends no domain; scopes and silences match the domain only.
  { label: 'trunk_domain', field: 'trunkDomain', read: (call) => call.trunkDomain ?? call.trunkId },
  { label: 'to_country', field: 'toCountry' },
  { label: 'from_country', field: 'fromCountry' },
  { label: 'direction', field: 'direction' },
  {
    label: 'carrier',
    field: null,
    read: (_call, insights) => insights?.to.carrier ?? insights?.from.carrier ?? null,
  },
  // The caller ID's first digits, e.g. +1202.
  {
    label: 'from_prefix',
    field: 'fromNumber',
    read: (call) => call.fromNumber?.slice(0, 5) ?? null,
    windowsOnly: true,
  },
] as const satisfies readonly LabelRow[];

type LabelOf<R> = R extends { label: infer L } ? L : never;
export type CallLabel = LabelOf<(typeof CALL_LABELS)[number]>;
export type GroupLabel = LabelOf<Exclude<(typeof CALL_LABELS)[number], { windowsOnly: true }>>;

const LABEL_ROWS: ReadonlyMap<string, LabelRow> = new Map(CALL_LABELS.map((row) => [row.label, row]));

/** The labels incidents (grouped per-call findings) can be grouped by. */
export const GROUP_LABELS = CALL_LABELS.flatMap((row) =>
  'windowsOnly' in row ? [] : [row.label],
) as unknown as readonly [GroupLabel, ...GroupLabel[]];

/** The labels windowed rules can group by: every label. */
export const WINDOW_LABELS = CALL_LABELS.map((row) => row.label) as unknown as readonly [
  CallLabel,
  ...CallLabel[],
];

/** A call's labels for `groupBy`, sorted by name; a label the call does not have reads "unknown". */
export function labelsOf(
  call: Call,
  insights: CallInsights | null,
  groupBy: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    [...groupBy].sort().map((label) => {
      const row = LABEL_ROWS.get(label);
      const value = row?.read ? row.read(call, insights) : row?.field ? call[row.field] : null;
      return [label, typeof value === 'string' ? value : 'unknown'];
    }),
  );
}

interface MatcherRow {
  /** The key in a scope and in a silence's matchers. */
  key: string;
  /** The labels it matches: the subject matches when any of their values is listed. */
  labels: readonly CallLabel[];
  /** The CLI's name for it (`--matcher trunk=...`), then the other names the CLI accepts. */
  cli: readonly [string, ...string[]];
  /** One listed value. */
  item: z.core.$ZodType<string>;
  /** How explain and the alerts name a list of it ("trunk a/b"); null: the values alone ("inbound"). */
  noun: string | null;
  /** Why a call is outside a scope that lists `listed`, given the call's values of `labels`. */
  outside?: (values: ReadonlyArray<string | null>, listed: readonly string[]) => string;
  /** Named in "outside the rule's scope" even when the call matched it (as explain always has). */
  alwaysExplained?: true;
}

const ISO2 = z
  .string()
  .check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code in upper case, e.g. "US"'));

/** Scope and silence keys, in the order silences list them (and alerts describe them). */
export const CALL_MATCHERS = [
  {
    key: 'trunkDomains',
    labels: ['trunk_domain'],
    cli: ['trunk', 'trunk_domain', 'trunkDomains'],
    item: z.string().check(z.minLength(1)),
    noun: 'trunk',
  },
  {
    key: 'countries',
    // Matches when either the caller's or the callee's country is listed.
    labels: ['from_country', 'to_country'],
    cli: ['country', 'countries'],
    item: ISO2,
    noun: 'country',
    outside: ([from, to], listed) => `countries ${from ?? '??'}->${to ?? '??'} are not ${listed.join('/')}`,
    alwaysExplained: true,
  },
  {
    key: 'directions',
    labels: ['direction'],
    cli: ['direction', 'directions'],
    item: z.enum(['inbound', 'outbound']),
    noun: null,
    outside: ([direction], listed) => `direction ${direction ?? 'unknown'} is not ${listed.join('/')}`,
  },
] as const satisfies readonly MatcherRow[];

type Matcher = (typeof CALL_MATCHERS)[number];
export type MatcherKey = Matcher['key'];

/**
 * The order of a scope's keys (directions first, as the config schema has always listed them:
 * config/config.schema.json and "outside the rule's scope" keep it); the other matchers follow
 * in table order.
 */
export const SCOPE_MATCHERS: readonly Matcher[] = [
  ...CALL_MATCHERS.filter((m) => m.key === 'directions'),
  ...CALL_MATCHERS.filter((m) => m.key !== 'directions'),
];

/** The lists of a scope or of a silence's matchers: every list given must match. */
export type DimensionLists = { readonly [K in MatcherKey]?: readonly string[] };

/** The schema of each list (at least one value), one object per key shared by scopes and silences. */
export const MATCHER_LISTS = Object.fromEntries(
  CALL_MATCHERS.map((m) => [m.key, z.optional(z.array(m.item).check(z.minLength(1)))]),
) as unknown as {
  [M in Matcher as M['key']]: z.ZodMiniOptional<z.ZodMiniArray<M['item']>>;
};

/** "a, b or c" */
export function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/**
 * The one matching rule of scopes and silences: every list given must hold one of the subject's
 * values for it (AND across keys, OR within a list); a value the subject lacks (null) matches
 * no list. `valueOf` reads a label of the subject: a call's field, or a group's label.
 */
export function matchesLists(lists: DimensionLists, valueOf: (label: CallLabel) => string | null): boolean {
  return CALL_MATCHERS.every((m) => {
    const listed = lists[m.key];
    return !listed || m.labels.some((label) => isListed(valueOf(label), listed));
  });
}

function isListed(value: string | null, listed: readonly string[]): boolean {
  return value !== null && listed.includes(value);
}

/** The fields of a call that scopes and silences read. */
export type MatchedField = Extract<
  (typeof CALL_LABELS)[number],
  { label: Matcher['labels'][number] }
>['field'];

/** A call's value for a label, as scopes and silences match it (the CDR field itself). */
export function callValue(call: Partial<Pick<Call, MatchedField>>, label: CallLabel): string | null {
  const field = LABEL_ROWS.get(label)?.field;
  const value = field ? (call as Partial<Call>)[field] : null; // a field the subject lacks: null
  return typeof value === 'string' ? value : null;
}

/** Whether a call falls in the lists (a scope, or a silence's matchers). */
export function callMatches(call: Partial<Pick<Call, MatchedField>>, lists: DimensionLists): boolean {
  return matchesLists(lists, (label) => callValue(call, label));
}

/** Whether a group or window, known by its labels, falls in the lists; a label it lacks matches nothing. */
export function labelsMatch(labels: Readonly<Record<string, string>>, lists: DimensionLists): boolean {
  return matchesLists(lists, (label) => labels[label] ?? null);
}

/** "trunk acme.zt.plivo.com, country GB" — how an alert names a scope. */
export function describeLists(lists: DimensionLists): string {
  return CALL_MATCHERS.flatMap((m) => {
    const listed = lists[m.key];
    if (!listed) return [];
    return [m.noun === null ? listed.join('/') : `${m.noun} ${listed.join('/')}`];
  }).join(', ');
}

/** The parts of a scope a call is outside of: "direction outbound is not inbound; trunk ...". */
export function describeOutside(call: Partial<Pick<Call, MatchedField>>, lists: DimensionLists): string {
  return SCOPE_MATCHERS.flatMap((m: MatcherRow) => {
    const listed = lists[m.key as MatcherKey];
    if (!listed) return [];
    const values = m.labels.map((label) => callValue(call, label));
    if (!m.alwaysExplained && values.some((v) => isListed(v, listed))) return [];
    return [
      m.outside
        ? m.outside(values, listed)
        : `${m.noun} ${values[0] ?? 'unknown'} is not ${listed.join('/')}`,
    ];
  }).join('; ');
}
