import type { AlertConfig, QuietPeriod, SilenceMatchers, Weekday } from './config/schema';
import type { Call } from './call';
import { callMatches, labelsMatch, type MatchedField } from './dimensions';
import type { Finding } from './finding';

/**
 * What a silence matches on: a finding (by its call), or an incident (group, window) by its
 * labels. A dimension the subject does not have matches no list that names it.
 */
export type SilenceSubject = {
  ruleId: Finding['ruleId'];
  severity: Finding['severity'];
} & ({ call: Partial<Pick<Call, MatchedField>> } | { labels: Readonly<Record<string, string>> });

/** The silence or quiet period that mutes a finding, for the logs and the dedup record. */
export interface ActiveSilence {
  id: string;
  kind: 'silence' | 'quiet-period';
  /** When a one-off silence ends (ISO, UTC); null for a recurring quiet period. */
  endsAt: string | null;
}

const WEEKDAY_ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * The silence that mutes `finding` at `at`, or null. `at` is the run's time, not the call's:
 * a silence mutes the notifications sent while it is active. One-off silences are checked
 * before quiet periods, each in config order, and the first match wins. Pure: no clock reads.
 */
export function activeSilenceFor(
  finding: SilenceSubject,
  at: Date,
  silences: AlertConfig['silences'],
): ActiveSilence | null {
  const atMs = at.getTime();
  for (const silence of silences.rules) {
    const endsMs = Date.parse(silence.endsAt);
    if (Date.parse(silence.startsAt) <= atMs && atMs < endsMs && matches(finding, silence.matchers)) {
      return { id: silence.id, kind: 'silence', endsAt: new Date(endsMs).toISOString() };
    }
  }
  for (const period of silences.quietPeriods) {
    if (matches(finding, period.matchers) && inQuietPeriod(period, at)) {
      return { id: period.id, kind: 'quiet-period', endsAt: null };
    }
  }
  return null;
}

/** Every list given must match (AND across fields, OR within a list): a rule's scope, plus rule and severity. */
export function matches(subject: SilenceSubject, matchers: SilenceMatchers): boolean {
  if (matchers.rule && !(matchers.rule as readonly string[]).includes(subject.ruleId)) return false;
  if (matchers.severity && !matchers.severity.includes(subject.severity)) return false;
  return 'labels' in subject ? labelsMatch(subject.labels, matchers) : callMatches(subject.call, matchers);
}

/**
 * Whether `at` falls in the period's window, in wall-clock time of its zone (so a window stays
 * at 02:00 local across DST changes). An overnight window (end before start) belongs to the
 * day it starts on: "sat 22:00–02:00" covers Saturday 22:00 to Sunday 02:00.
 */
export function inQuietPeriod(period: QuietPeriod, at: Date): boolean {
  const { weekday, minuteOfDay } = localTime(at, period.timeZone);
  const start = toMinutes(period.start);
  const end = toMinutes(period.end);
  if (start < end) return period.days.includes(weekday) && minuteOfDay >= start && minuteOfDay < end;
  if (minuteOfDay >= start) return period.days.includes(weekday);
  return minuteOfDay < end && period.days.includes(previousDay(weekday));
}

function toMinutes(hhmm: string): number {
  const [hours = 0, minutes = 0] = hhmm.split(':').map(Number);
  return hours * 60 + minutes;
}

function previousDay(day: Weekday): Weekday {
  const index = WEEKDAY_ORDER.indexOf(day);
  return WEEKDAY_ORDER[(index + 6) % 7] as Weekday;
}

// Building a DateTimeFormat is far slower than using one, and a run checks every finding.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      // h23, not hour12: false, which some engines render as "24" at midnight.
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function localTime(at: Date, timeZone: string): { weekday: Weekday; minuteOfDay: number } {
  let weekday: Weekday | undefined;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') weekday = WEEKDAY_ORDER.find((d) => d === part.value.toLowerCase());
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  if (weekday === undefined) throw new Error(`could not read the weekday in time zone ${timeZone}`);
  return { weekday, minuteOfDay: hour * 60 + minute };
}
