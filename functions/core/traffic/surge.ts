import { basisText, type JudgeContext, type Judgement, spanText, unjudged } from './define-traffic-rule';
import { BUCKET_MS, countsIn, expectedIn, HOUR_MS } from './traffic-state';

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
  const lastBucket = Math.floor((readToMs - 1) / BUCKET_MS) * BUCKET_MS;
  const fromMs = lastBucket + BUCKET_MS - rule.windowMinutes * 60_000;
  const observed = countsIn(hot, fromMs, Number.POSITIVE_INFINITY)[opts.metric];
  const lastHour = countsIn(hot, lastBucket + BUCKET_MS - HOUR_MS, Number.POSITIVE_INFINITY)[opts.metric];
  const expected = expectedIn(profile, opts.metric, fromMs, readToMs);
  if (expected === null && opts.cap === undefined)
    return unjudged('learning: less than a week of history for this hour (no hourly cap set)');
  const threshold = expected === null ? null : Math.max(opts.floor, rule.multiple * expected.value);
  const overBaseline = threshold !== null && observed >= threshold;
  const overCap = opts.cap !== undefined && lastHour >= opts.cap;
  const value = expected !== null && expected.value > 0 ? observed / expected.value : observed;
  const newest = Object.entries(hot.novel)
    .filter(([, n]) => n.lastMs >= fromMs)
    .sort((a, b) => b[1].spend - a[1].spend);
  const lines = [
    `${opts.what} of calls that ended ${spanText(fromMs, readToMs)}: ${opts.show(observed)}${expected ? `, ${opts.show(expected.value)} expected from ${basisText(expected.basis)} (${expected.value > 0 ? `${(observed / expected.value).toFixed(1)}x` : 'none expected'})` : ''}.`,
    `Last 60 minutes: ${opts.show(lastHour)} (${opts.show(lastHour)} an hour)${opts.cap !== undefined ? `, cap ${opts.show(opts.cap)} an hour` : ''}.`,
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
  const headline = `${opts.show(observed)} in ${rule.windowMinutes} min${expected ? `, ${opts.show(expected.value)} expected` : ''}${overCap ? `, ${opts.show(lastHour)}/h over the cap` : ''}`;
  const note = `${opts.show(observed)} in the last ${rule.windowMinutes} minutes${expected ? `, ${opts.show(expected.value)} expected (${expected.basis === 'weekly' ? 'weekly baseline' : 'short-term average'})` : ', no baseline yet'}`;
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
    (threshold === null || observed < 0.75 * threshold) &&
    (opts.cap === undefined || lastHour < 0.75 * opts.cap);
  return { state: clear ? 'ok' : 'hold', ...base };
}
