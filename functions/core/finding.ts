import type { Call, CallInsights } from './call';
import type { Severity } from './config/schema';

export type Comparison = '<' | '<=' | '>' | '>=' | '=' | 'in';

/** One rule tripped by one call. Pure data: rules produce these, notifiers render them. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  /** One line: what was measured against what, e.g. "quality score 2.1 < 3". */
  headline: string;
  measured: { metric: string; value: number | string; unit: string };
  threshold: { comparison: Comparison; value: number | string; unit: string };
  call: Call;
  insights: CallInsights | null;
  /** What an on-call engineer should look at next. */
  nextSteps: string[];
  /** The override the call was judged by ("trunk acme.zt.plivo.com"), or null for the rule's own settings. */
  override?: string | null;
  /**
   * Rules with a second, critical level: both thresholds, and the one that set the severity
   * (`threshold` stays the level at which the rule fires at all).
   */
  levels?: SeverityLevels;
}

/** A rule's two thresholds, e.g. packet loss >= 0.9 % fires, >= 5 % is critical. */
export interface SeverityLevels {
  fires: { comparison: Comparison; value: number; unit: string };
  critical: { comparison: Comparison; value: number; unit: string };
  /** Which of the two set this finding's severity. */
  setBy: 'fires' | 'critical';
}

/** The dedup identity of a per-call alert: one (rule, call) is published at most once. */
export function findingKey(finding: Pick<Finding, 'ruleId' | 'call'>): string {
  return `${finding.ruleId}#${finding.call.callUuid}`;
}
