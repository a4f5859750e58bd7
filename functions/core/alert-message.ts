import { utc } from './time';
import type { Call, CallInsights } from './call';
import type { Finding } from './finding';
import { findingKey } from './finding';
import type { AlertMessage } from './ports';
import { asciiLine, attributeValue, cutText, mapStrings, plainLine } from './untrusted-text';

export interface RenderOptions {
  /** Shown first in every subject, to tell deployments apart. */
  deploymentName: string;
  maskPhoneNumbers: boolean;
  /** When the poller judged the call (ISO). */
  evaluatedAt: string;
  /** Insights never arrived and the call was judged on its CDR alone. */
  insightsGaveUp?: boolean;
}

const SUBJECT_MAX = 99;
const SMS_MAX = 160;

/** The alert's identity in the dedup table and in every message (pagers thread on it). */
export function alertDedupKey(finding: Pick<Finding, 'ruleId' | 'call'>): string {
  return `zentrunk-alerts:${findingKey(finding)}`;
}

/** Keeps the last four digits: enough to recognise a number, not enough to dial it. */
export function maskNumber(number: string): string {
  const digits = number.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${number.startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

function showNumber(number: string | null, options: RenderOptions): string {
  if (number === null) return 'unknown';
  return options.maskPhoneNumbers ? maskNumber(number) : number;
}

function route(call: Call): string {
  return `${call.fromCountry ?? '??'}->${call.toCountry ?? '??'}`;
}

/**
 * SNS subjects must be one line without control characters, under 100 characters; this makes
 * them printable ASCII too (accents taken off), which every mail client and pager shows.
 */
export function asciiSubject(text: string): string {
  return cutText(asciiLine(text), SUBJECT_MAX, '...');
}

/**
 * What, then where: when the whole line is too long, the trunk domain is shortened first
 * (its first label still identifies it), so the route and the headline stay readable.
 */
function fitSubject(what: string, trunk: string, where: string): string {
  const full = asciiSubject(`${what} | ${trunk} | ${where}`);
  if (!full.endsWith('...')) return full;
  const fixed = asciiSubject(`${what} | x | ${where}`).length - 1;
  const room = SUBJECT_MAX - fixed;
  if (room >= 8) return asciiSubject(`${what} | ${cutText(asciiLine(trunk), room, '...')} | ${where}`);
  return full;
}

function describeInsights(insights: CallInsights | null, options: RenderOptions): string[] {
  if (insights === null) {
    return [
      options.insightsGaveUp
        ? 'Insights: never became available; judged on the CDR alone'
        : 'Insights: not available yet when this alert was sent',
    ];
  }
  const fmt = (v: number | null, unit: string) => (v === null ? 'n/a' : `${v}${unit}`);
  return [
    `Quality:   score ${fmt(insights.qualityScore, '')} | packet loss ${fmt(insights.packetLossPct, ' %')} | jitter ${fmt(
      insights.jitterMs,
      ' ms',
    )} | RTT ${fmt(insights.rttMs, ' ms')} | post-dial delay ${fmt(insights.postDialDelayMs, ' ms')}`,
    `Carriers:  from ${insights.from.carrier ?? 'unknown'} -> to ${insights.to.carrier ?? 'unknown'}`,
  ];
}

function level(t: { comparison: string; value: number | string; unit: string }): string {
  return `${t.comparison} ${t.value}${t.unit ? ` ${t.unit}` : ''}`;
}

/** The threshold that set the severity, then the other level: ">= 5 % for critical", "; fires at >= 0.9 %". */
function describeThreshold(finding: Finding): { set: string; other: string } {
  const { levels } = finding;
  if (!levels) return { set: level(finding.threshold), other: '' };
  return levels.setBy === 'critical'
    ? { set: `${level(levels.critical)} for critical`, other: `; fires at ${level(levels.fires)}` }
    : { set: level(levels.fires), other: `; critical at ${level(levels.critical)}` };
}

/**
 * Renders one per-call finding into every channel's form. Pure: no clock, no I/O. Every CDR
 * and Insights value is untrusted, so every form shows it as one plain line (it cannot add a
 * line to the text, or a field to a pager's view of the JSON); attributes as one short line.
 */
export function renderFindingAlert(raw: Finding, options: RenderOptions): AlertMessage {
  const finding = mapStrings(raw, plainLine);
  const { call, insights } = finding;
  const severity = finding.severity.toUpperCase();
  const trunk = call.trunkDomain ?? call.trunkId ?? 'unknown trunk';
  // The key the state store claims (the raw finding's), so the message matches the claim.
  const dedupKey = alertDedupKey(raw);
  const threshold = describeThreshold(finding);

  const subject = fitSubject(
    `[${options.deploymentName} ${severity}] ${finding.ruleId}: ${finding.headline}`,
    trunk,
    route(call),
  );

  const hangup = `${call.hangupCauseCode ?? 'no code'} ${call.hangupCauseName ?? ''} by ${call.hangupSource ?? 'unknown'}`;
  const stir =
    call.stirVerification === null
      ? 'unknown'
      : `${call.stirVerification}${call.attestation ? ` (attestation ${call.attestation})` : ''}`;
  const overview = [
    `${severity}: ${finding.ruleId} - ${finding.headline}`,
    '',
    `What:      rule ${finding.ruleId}, measured ${finding.measured.metric} ${finding.measured.value}${
      finding.measured.unit ? ` ${finding.measured.unit}` : ''
    }, threshold ${threshold.set}${finding.override ? ` (override for ${finding.override})` : ''}${threshold.other}`,
    `Where:     trunk ${trunk}${call.region ? ` (${call.region})` : ''}, ${call.direction ?? 'unknown direction'} ${route(call)}`,
    `Call:      ${call.callUuid}${call.sipCallId ? ` (SIP Call-ID ${call.sipCallId})` : ''}`,
    `From/To:   ${showNumber(call.fromNumber, options)} -> ${showNumber(call.toNumber, options)}`,
    `Times:     initiated ${utc(call.initiationTime)}, answered ${call.answerTime ? utc(call.answerTime) : 'never'}, ended ${utc(
      call.endTime,
    )}${call.durationSec !== null ? ` (talk ${call.durationSec} s)` : ''}`,
    `Hangup:    ${hangup.replace(/\s+/g, ' ')}`,
    `STIR:      ${stir}`,
    ...describeInsights(insights, options),
  ].join('\n');
  const text = [
    overview,
    '',
    'What to check next:',
    ...finding.nextSteps.map((step) => `  - ${step}`),
    '',
    `Alert key: ${plainLine(dedupKey)} (evaluated ${utc(options.evaluatedAt)})`,
  ].join('\n');

  const shortText = cutText(
    `${severity} ${finding.ruleId}: ${finding.headline}. ${trunk} ${route(call)} call ${call.callUuid}`,
    SMS_MAX,
  );

  const json: Record<string, unknown> = {
    version: 1,
    kind: 'call-finding',
    // A single bad call has no lifecycle: it is reported once, firing.
    state: 'firing',
    dedupKey,
    rule: finding.ruleId,
    severity: finding.severity,
    headline: finding.headline,
    measured: finding.measured,
    threshold: finding.threshold,
    levels: finding.levels ?? null,
    thresholdOverride: finding.override ?? null,
    labels: {
      trunk_domain: call.trunkDomain,
      direction: call.direction,
      from_country: call.fromCountry,
      to_country: call.toCountry,
      from_carrier: insights?.from.carrier ?? null,
      to_carrier: insights?.to.carrier ?? null,
    },
    call: {
      ...call,
      fromNumber: call.fromNumber === null ? null : showNumber(call.fromNumber, options),
      toNumber: call.toNumber === null ? null : showNumber(call.toNumber, options),
    },
    insights:
      insights === null
        ? null
        : {
            ...insights,
            from: {
              ...insights.from,
              number: insights.from.number && showNumber(insights.from.number, options),
            },
            to: { ...insights.to, number: insights.to.number && showNumber(insights.to.number, options) },
          },
    insightsGaveUp: options.insightsGaveUp ?? false,
    nextSteps: finding.nextSteps,
    evaluatedAt: options.evaluatedAt,
  };

  const attributes: Record<string, string> = {
    severity: finding.severity,
    rule: finding.ruleId,
    state: 'firing',
  };
  // A value that cleans up to nothing is left out, as a missing one is (SNS refuses empty values).
  const label = (name: string, value: string | null) => {
    const clean = value === null ? '' : attributeValue(value);
    if (clean) attributes[name] = clean;
  };
  label('trunk_domain', call.trunkDomain);
  label('direction', call.direction);
  label('to_country', call.toCountry);

  return { dedupKey, subject, text, overview, nextSteps: finding.nextSteps, shortText, json, attributes };
}
