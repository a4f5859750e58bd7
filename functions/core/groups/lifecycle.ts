import type { AlertConfig } from '../config/schema';
import type { Finding } from '../finding';
import { type GroupState, groupIdOf, worseSeverity } from './group';

export type GroupNotice = 'firing' | 'update' | 'reminder' | 'resolved';

const MINUTE = 60_000;

function numeric(finding: Finding): number | null {
  return typeof finding.measured.value === 'number' ? finding.measured.value : null;
}

/** True when `candidate` is a worse measurement than `current` for this finding's comparison. */
function isWorse(finding: Finding, candidate: number, current: number): boolean {
  return finding.threshold.comparison === '<' || finding.threshold.comparison === '<='
    ? candidate < current
    : candidate > current;
}

/** Folds this run's new findings of one group into its state (a new episode if it was over). */
export function addFindings(
  previous: GroupState | null,
  findings: readonly Finding[],
  labels: Record<string, string>,
  now: Date,
  sampleSize: number,
): GroupState {
  const [first] = findings;
  if (!first) throw new Error('addFindings needs at least one finding');
  const nowIso = now.toISOString();
  const fresh = previous === null || previous.status === 'resolved';
  let state: GroupState = fresh
    ? {
        id: groupIdOf(first.ruleId, labels),
        ruleId: first.ruleId,
        labels,
        status: 'firing',
        episode: (previous?.episode ?? 0) + 1,
        firstSeenAt: nowIso,
        lastSeenAt: nowIso,
        firstCallAt: null,
        lastCallAt: null,
        count: 0,
        severity: first.severity,
        worst: null,
        samples: [],
        sample: first,
        notices: 0,
        updates: 0,
        countAtLastNotice: 0,
        lastNotifiedAt: null,
        version: previous?.version ?? 0,
      }
    : { ...previous };
  for (const finding of findings) {
    const value = numeric(finding);
    const worst =
      value !== null &&
      (state.worst === null ||
        typeof state.worst.value !== 'number' ||
        isWorse(finding, value, state.worst.value))
        ? { value, unit: finding.measured.unit, callUuid: finding.call.callUuid }
        : (state.worst ??
          (value === null
            ? { value: finding.measured.value, unit: finding.measured.unit, callUuid: finding.call.callUuid }
            : null));
    const ended = finding.call.endTime;
    state = {
      ...state,
      firstCallAt:
        ended && (!state.firstCallAt || ended < state.firstCallAt) ? ended : (state.firstCallAt ?? null),
      lastCallAt:
        ended && (!state.lastCallAt || ended > state.lastCallAt) ? ended : (state.lastCallAt ?? null),
      count: state.count + 1,
      lastSeenAt: nowIso,
      severity: worseSeverity(state.severity, finding.severity),
      worst,
      samples: [finding.call.callUuid, ...state.samples.filter((u) => u !== finding.call.callUuid)].slice(
        0,
        sampleSize,
      ),
    };
  }
  return state;
}

/**
 * What, if anything, to tell people about a group now (Alertmanager's lifecycle): the first
 * notice after the group wait, an update when it grew materially (bounded), a reminder after
 * the repeat interval, and the resolution once it has been quiet long enough — the resolution
 * only if something was ever sent. Pure: the state only changes once the notice went out.
 */
export function nextNotice(
  state: GroupState,
  now: Date,
  grouping: AlertConfig['grouping'],
): GroupNotice | null {
  if (state.status !== 'firing') return null;
  const nowMs = now.getTime();
  const quietMs = nowMs - Date.parse(state.lastSeenAt);
  if (quietMs >= grouping.resolveAfterMinutes * MINUTE) return state.notices > 0 ? 'resolved' : null;
  if (state.notices === 0) {
    return nowMs - Date.parse(state.firstSeenAt) >= grouping.groupWaitSeconds * 1000 ? 'firing' : null;
  }
  const grown = state.count >= state.countAtLastNotice * (1 + grouping.updateWhenGrownPct / 100);
  if (grown && state.updates < grouping.maxUpdates) return 'update';
  if (
    state.lastNotifiedAt &&
    nowMs - Date.parse(state.lastNotifiedAt) >= grouping.repeatIntervalMinutes * MINUTE
  ) {
    return 'reminder';
  }
  return null;
}

/** A group that was quiet long enough but never notified ends without a message. */
export function isOverUnannounced(state: GroupState, now: Date, grouping: AlertConfig['grouping']): boolean {
  return (
    state.status === 'firing' &&
    state.notices === 0 &&
    now.getTime() - Date.parse(state.lastSeenAt) >= grouping.resolveAfterMinutes * MINUTE
  );
}

/** The state after `notice` went out. */
export function afterNotice(state: GroupState, notice: GroupNotice, now: Date): GroupState {
  return {
    ...state,
    status: notice === 'resolved' ? 'resolved' : 'firing',
    notices: state.notices + 1,
    updates: state.updates + (notice === 'update' ? 1 : 0),
    countAtLastNotice: state.count,
    lastNotifiedAt: now.toISOString(),
  };
}
