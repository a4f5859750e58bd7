import { basisText, type JudgeContext, type Judgement, spanText, unjudged } from './define-traffic-rule';
import { ACCOUNT_KEY, BUCKET_MS, countsIn, expectedIn, HOUR_MS } from './traffic-state';

/**
 * The judgement of traffic-surge (outbound calls) and spend (outbound USD): the newest window,
 * settled or not (late CDRs only add to a surge), against `multiple` times what the baseline
 * expects there, or an hourly cap that needs no baseline at all.
 */
export function judgeSurge(
  ctx: JudgeContext<'traffic-surge' | 'spend'>,
  opts: {
    metric: 'outbound' | 'spend';
    floor: number;
    cap: number | undefined;
    show: (n: number) => string;
    what: string;
  },
): Judgement {
  const { hot, profile, rule, readToMs, firing } = ctx;
  // A cap is per trunk (maxCallsPerHour, maxSpendPerHour): the account's sum of trunks is judged
  // against its baseline only, or a cap set for one trunk would page for the sum of all.
  opts = ctx.key === ACCOUNT_KEY ? { ...opts, cap: undefined } : opts;
  // The window's whole buckets and the one in progress: its span is a little longer than the
  // window, and the counts are read as rates over it, so that a bucket starting (nearly empty)
  // while the oldest leaves does not make a surge look a quarter smaller and clear, then fire.
  const lastBucket = Math.floor((readToMs - 1) / BUCKET_MS) * BUCKET_MS;
  const windowMs = rule.windowMinutes * 60_000;
  const fromMs = lastBucket - windowMs;
  const observed = countsIn(hot, fromMs, Number.POSITIVE_INFINITY)[opts.metric];
  const perWindow = (observed * windowMs) / (readToMs - fromMs);
  // The last hour as counted (its 11 whole buckets and the one in progress: 55 to 60 minutes),
  // what an hourly cap is about.
  const lastHour = countsIn(hot, lastBucket - HOUR_MS + BUCKET_MS, Number.POSITIVE_INFINITY)[opts.metric];
  const expected = expectedIn(profile, opts.metric, fromMs, readToMs);
  if (expected === null && opts.cap === undefined)
    return unjudged('learning: less than a week of history for this hour (no hourly cap set)');
  const overBaseline =
    expected !== null && observed >= rule.multiple * expected.value && perWindow >= opts.floor;
  const overCap = opts.cap !== undefined && lastHour >= opts.cap;
  const threshold =
    expected === null
      ? null
      : Math.max(opts.floor, (rule.multiple * expected.value * windowMs) / (readToMs - fromMs));
  // An update is for a surge that doubled: judged on what was counted, not its ratio to a
  // baseline that moves with the hour.
  const value = perWindow;
  const newest = Object.entries(hot.novel)
    .filter(([, n]) => n.lastMs >= fromMs)
    .sort((a, b) => b[1].spend - a[1].spend);
  const lines = [
    `${opts.what}, calls that ended ${spanText(fromMs, readToMs)}: ${opts.show(observed)}${expected ? `, ${opts.show(expected.value)} expected from ${basisText(expected.basis)} (${expected.value > 0 ? `${(observed / expected.value).toFixed(1)}x` : 'none expected'})` : ''}.`,
    `In the last hour: ${opts.show(lastHour)}${opts.cap !== undefined ? ` (cap ${opts.show(opts.cap)} an hour)` : ''}.`,
    ...(threshold !== null
      ? [
          `Fires at ${rule.multiple}x the expected and at least ${opts.show(opts.floor)} in ${rule.windowMinutes} minutes${opts.cap !== undefined ? ', or at the hourly cap' : ''}.`,
        ]
      : []),
    ...(newest.length > 0
      ? [
          `Destinations new to this trunk: ${newest
            .slice(0, 5)
            .map(
              ([c, n]) =>
                `${c} ${n.calls} calls ${opts.metric === 'spend' ? `$${n.spend.toFixed(2)} ` : ''}(${n.numbers.map(ctx.showNumber).join(', ')})`,
            )
            .join('; ')}`,
        ]
      : []),
  ];
  const detail = {
    fromMs,
    toMs: readToMs,
    observed: Math.round(observed * 100) / 100,
    expected: expected ? Math.round(expected.value * 100) / 100 : null,
    basis: expected?.basis ?? null,
    lastHour: Math.round(lastHour * 100) / 100,
    cap: opts.cap ?? null,
    newDestinations: newest.map(([c]) => c),
  };
  const spanMinutes = Math.round((readToMs - fromMs) / 60_000);
  const headline = `${opts.show(observed)} in ${spanMinutes} min${expected ? `, ${opts.show(expected.value)} expected` : ''}${overCap ? `, ${opts.show(lastHour)}/h over the cap` : ''}`;
  const note = `${opts.show(observed)} in the last ${spanMinutes} minutes${expected ? `, ${opts.show(expected.value)} expected (${expected.basis === 'weekly' ? 'weekly baseline' : 'short-term average'})` : ', no baseline yet'}`;
  const labels =
    newest.length > 0
      ? {
          to_country: newest
            .map(([c]) => c)
            .slice(0, 5)
            .join(','),
        }
      : undefined;
  const base = { value, headline, lines, note, detail, ...(labels ? { labels } : {}) };
  if (overBaseline || overCap) return { state: 'breach', ...base };
  if (!firing) return { state: 'ok', ...base };
  // Clears a quarter below where it fires, so a rate at the threshold does not flap.
  const clear =
    (threshold === null || perWindow < 0.75 * threshold) &&
    (opts.cap === undefined || lastHour < 0.75 * opts.cap);
  return { state: clear ? 'ok' : 'hold', ...base };
}
