import { basisText, calls, defineTrafficRule, spanText, unjudged } from '../define-traffic-rule';
import { countsIn, DAY_MS, type Expected, expectedIn } from '../traffic-state';

/**
 * How far a baseline may be off by itself (relative): weeks differ (a holiday, a campaign, the
 * day's own noise), and the early baseline (before a week) more. A window must fall this far
 * beyond chance, as well as under the share, before it is a drop.
 */
export const BASELINE_SPREAD = { weekly: 0.15, recent: 0.2 } as const;

/** The count at or below which a window is a drop: the share, and 3 standard deviations under (Poisson and the baseline's own spread). */
export function dropLimit(expected: Expected, share: number): number {
  const e = expected.value;
  const sd = Math.sqrt(e + (BASELINE_SPREAD[expected.basis] * e) ** 2);
  return Math.min(share * e, e - 3 * sd);
}

interface Row {
  what: 'all' | 'inbound' | 'outbound';
  observed: number;
  expected: Expected | null;
}

/**
 * Calls that stop or fall: the signal of an outage that writes no CDR at all (registration,
 * TLS, DNS, an IP allow-list, a carrier rejecting before Zentrunk sees the INVITE). Judged on
 * settled buckets only, for both directions together and each on its own (one that stops while
 * the other goes on), for each trunk the baseline knows (a trunk with no call at all is judged:
 * absence is the signal) and for the account.
 */
export const trafficDropRule = defineTrafficRule({
  id: 'traffic-drop',
  keys: 'trunks-and-account',
  summary: "A trunk's (or the account's) calls fall to a share of what its weekly baseline expects",
  needs:
    "a day of history (then the lower of the last hours' average and the day before, at earlyShare), the weekly baseline for each hour from its second week; settled buckets only (the measured settle time)",
  advice: [
    "Place a test call through the trunk both ways; check the PBX's registration and the trunk's credentials or IP access list in the Plivo console.",
    "Check the SIP side's DNS/SRV records and TLS certificate, and the trunk's origination/termination URIs.",
    'Check status.plivo.com and the carrier routes; inbound only: the numbers still point at this trunk.',
  ],
  judge({ hot, profile, rule, nowMs, settledToMs, firing }) {
    if (hot.lastCallMs !== null && hot.lastCallMs < nowMs - rule.forgetAfterDays * DAY_MS) {
      const note = `no call for over ${rule.forgetAfterDays} days: forgotten (decommissioned or renamed, not down)`;
      if (!firing) return unjudged(note);
      // Its drop incident ends here, said as such: the trunk is no longer watched.
      return {
        state: 'ok',
        value: 0,
        headline: note,
        lines: [`${note}.`],
        note,
        detail: { forgotten: true },
      };
    }
    const toMs = settledToMs;
    const fromMs = toMs - rule.windowMinutes * 60_000;
    const observed = countsIn(hot, fromMs, toMs);
    const inbound = expectedIn(profile, 'inbound', fromMs, toMs, true);
    const outbound = expectedIn(profile, 'outbound', fromMs, toMs, true);
    if (inbound === null || outbound === null) return unjudged('learning: less than a day of history');
    const weekly = inbound.basis === 'weekly' && outbound.basis === 'weekly';
    // Calls whose CDR names no direction count in the total (never judged on their own).
    const other = expectedIn(profile, 'other', fromMs, toMs, true)?.value ?? 0;
    const all: Expected = {
      value: inbound.value + outbound.value + other,
      basis: weekly ? 'weekly' : 'recent',
    };
    const rows: Row[] = [
      { what: 'all', observed: observed.inbound + observed.outbound + observed.other, expected: all },
      { what: 'inbound', observed: observed.inbound, expected: inbound },
      { what: 'outbound', observed: observed.outbound, expected: outbound },
    ];
    const share = weekly ? rule.share : rule.earlyShare;
    const breaching = rows.filter((r) => {
      const e = r.expected?.value ?? 0;
      return e >= rule.minExpectedCalls && r.observed <= dropLimit({ value: e, basis: all.basis }, share);
    });
    const ratio = (r: Row) => ((r.expected?.value ?? 0) > 0 ? r.observed / (r.expected?.value ?? 1) : 1);
    const total = rows[0] as Row;
    const value = breaching.length > 0 ? Math.min(...breaching.map(ratio)) : ratio(total);
    const pct = (x: number) => `${Math.round(x * 100)} %`;
    const lines = [
      `Calls that ended ${spanText(fromMs, toMs)}: ${calls(total.observed)}, ${calls(all.value)} expected (${pct(ratio(total))}); from ${all.basis === 'weekly' ? basisText('weekly') : "the lower of the last hours' average and the same hours the day before (less than a week of history)"}.`,
      ...rows
        .slice(1)
        .map(
          (r) =>
            `  ${r.what.padEnd(8)} ${String(r.observed).padStart(5)} of ${Math.round(r.expected?.value ?? 0)} expected${breaching.includes(r) ? '  <- a drop' : ''}`,
        ),
      `Fires at ${pct(share)} of the expected calls, and 3 standard deviations under them, when at least ${rule.minExpectedCalls} are expected, for ${rule.forMinutes} minutes; clears at ${pct(rule.recoveryShare)}. Settled: calls that ended before ${new Date(toMs).toISOString().slice(11, 16)} UTC.`,
    ];
    const round1 = (n: number) => Math.round(n * 10) / 10;
    const detail = {
      fromMs,
      toMs,
      observed: total.observed,
      expected: round1(all.value),
      basis: all.basis,
      directions: {
        inbound: { observed: observed.inbound, expected: round1(inbound.value) },
        outbound: { observed: observed.outbound, expected: round1(outbound.value) },
      },
    };
    // The worst row that dropped leads (inbound 0 of 25, where the total reads as a dip).
    const worst = [...breaching].sort((a, b) => ratio(a) - ratio(b))[0];
    const headline =
      worst && worst.what !== 'all'
        ? `${worst.what} ${worst.observed} of ${Math.round(worst.expected?.value ?? 0)} calls expected (${pct(ratio(worst))})`
        : `${calls(total.observed)}, ${calls(all.value)} expected`;
    const note = `${total.observed} calls in the settled ${rule.windowMinutes} minutes to ${new Date(toMs).toISOString().slice(11, 16)} UTC, ${Math.round(all.value)} expected (${weekly ? 'weekly baseline' : 'early baseline'})${all.value < rule.minExpectedCalls ? `: fewer than ${rule.minExpectedCalls} expected, not judged` : ''}`;
    const out = { value, headline, lines, note, detail };
    if (breaching.length > 0) return { state: 'breach', ...out };
    if (!firing) return { state: 'ok', ...out };
    // Back only when every count that can be judged is back to recoveryShare (a direction that
    // dropped must recover itself, not be outweighed by the other).
    const recovered = rows.every((r) => {
      const e = r.expected?.value ?? 0;
      return e < rule.minExpectedCalls || r.observed >= rule.recoveryShare * e;
    });
    return { state: recovered ? 'ok' : 'hold', ...out };
  },
  // From a partial drop to (nearly) nothing.
  worse: (peak, value) => value <= peak - 0.25 || (value === 0 && peak > 0),
});
