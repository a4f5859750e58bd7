import type * as z from 'zod/mini';
import type { EvaluatedCall } from '../call';
import type { WINDOW_LABELS } from '../dimensions';
import type { Severity } from '../rules/rule-schema';

/** One call as a windowed rule sees it: a value (mean, p95) and whether it counts as a hit (share, count). */
export interface Observation {
  atMs: number;
  value: number | null;
  hit: boolean;
}

/** What a windowed rule reads of the config (the whole AlertConfig passes). */
export interface WindowedConfigOf {
  // Each rule reads its own extra fields, which only its own module knows.
  windowedRules: Record<string, Record<string, unknown>>;
  rules: { 'zentrunk-hangup': { ignoreCodes: readonly number[] } };
}

/**
 * One windowed rule, whole: its config (the defaults of the fields every windowed rule has, and
 * its own extra fields), what it reads of each call, how its value reads, which way it fires,
 * and what on-call should check. Each is one module in catalog/, listed once in registry.ts; the
 * config schema, WINDOWED_RULE_IDS, observe, the messages and explain read the registry.
 */
export interface WindowedRuleDescriptor<
  Id extends string = string,
  Extra extends z.core.$ZodLooseShape = z.core.$ZodLooseShape,
> {
  id: Id;
  defaults: {
    groupBy: Array<(typeof WINDOW_LABELS)[number]>;
    aggregate: 'share' | 'mean' | 'p95' | 'count';
    threshold: number;
    recovery: number;
    severity: Severity;
  };
  /** Its own config fields (beside enabled, severity, overrides, groupBy, windowMinutes...). */
  extra: Extra;
  /** 'insights': it reads a call's Insights (a sample under overload); 'cdr': every call. */
  reads: 'cdr' | 'insights';
  /** It fires at or BELOW its threshold (a ratio that is good when high); the others at or above. */
  firesBelow: boolean;
  /** How its value reads in messages and explain. */
  metric: { metric: string; unit: string };
  /** What on-call should check when it fires. */
  advice: string[];
  /** What it reads from one finished call; null when the call says nothing about it. */
  observe(subject: EvaluatedCall, atMs: number, config: WindowedConfigOf): Observation | null;
}

/** A windowed rule's descriptor, its id kept literal. */
export function defineWindowedRule<const Id extends string, Extra extends z.core.$ZodLooseShape>(
  rule: WindowedRuleDescriptor<Id, Extra>,
): WindowedRuleDescriptor<Id, Extra> {
  return rule;
}
