import { createHash } from 'node:crypto';
import type { GroupLabel, Severity } from '../config/schema';
import { labelsOf } from '../dimensions';
import type { Finding } from '../finding';

/** One incident: the findings of one rule that share the group-by labels, and its lifecycle. */
export interface GroupState {
  /** Stable identity: a hash of the rule and the labels. Pagers and chat threads key on it. */
  id: string;
  ruleId: string;
  labels: Record<string, string>;
  status: 'firing' | 'resolved';
  /** Incidents of the same group are numbered; notifications are deduplicated per episode. */
  episode: number;
  firstSeenAt: string;
  /** When a finding last joined (resolution counts from here). */
  lastSeenAt: string;
  /** End times of the earliest and latest bad call: when the incident happened, for people. */
  firstCallAt?: string | null;
  lastCallAt?: string | null;
  count: number;
  severity: Severity;
  worst: { value: number | string; unit: string; callUuid: string } | null;
  /** Most recent call uuids, newest first. */
  samples: string[];
  /** The first finding of the episode: what the rule said, for rendering and silence matching. */
  sample: Finding;
  /** Notifications sent in this episode (the next one's sequence number). */
  notices: number;
  updates: number;
  countAtLastNotice: number;
  lastNotifiedAt: string | null;
  /** Optimistic-lock version; 0 before the first save. */
  version: number;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

export function worseSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/** The group-by labels of a finding; a label the call does not have reads "unknown". */
export function groupLabels(finding: Finding, groupBy: readonly GroupLabel[]): Record<string, string> {
  return labelsOf(finding.call, finding.insights, groupBy);
}

export function groupIdOf(ruleId: string, labels: Record<string, string>): string {
  const canonical = JSON.stringify([ruleId, Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
