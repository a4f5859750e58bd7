import { defineTrafficRule, usd } from '../define-traffic-rule';
import { historyDays } from '../traffic-state';

/** Outbound calls to a country the trunk has not called for days: the classic IRSF signature. */
export const newDestinationRule = defineTrafficRule({
  id: 'new-destination',
  keys: 'trunks',
  summary: 'Outbound calls from a trunk to a country it has not called in lookbackDays',
  needs: "minHistoryDays (7) days of the trunk's history, so that the countries it calls are known",
  advice: [
    "If nobody on this trunk calls these countries: block its outbound calls and check the PBX's credentials.",
    "Restrict Plivo's geo permissions (Voice > Geo Permissions) to the countries you need.",
    'Premium-rate ranges of small countries are the usual target (IRSF): check the numbers above.',
  ],
  judge({ hot, profile, rule, readToMs, showNumber }) {
    const days = historyDays(profile);
    if (days < rule.minHistoryDays) {
      return {
        state: 'unjudged',
        value: null,
        headline: 'learning',
        lines: [],
        note: `learning the countries called: ${days.toFixed(1)} of ${rule.minHistoryDays} days of history`,
        detail: {},
      };
    }
    const fromMs = readToMs - rule.windowMinutes * 60_000;
    const known = profile?.known ?? {};
    const active = Object.entries(hot.novel)
      .filter(([, n]) => n.lastMs >= fromMs)
      .sort((a, b) => b[1].calls - a[1].calls);
    const firing = active.filter(([, n]) => n.calls >= rule.minCalls);
    const lines = active.map(
      ([c, n]) =>
        `  ${c}: ${n.calls} calls since ${new Date(n.firstMs).toISOString().slice(11, 16)} UTC, ${usd(n.spend)}, e.g. ${n.numbers.map(showNumber).join(', ')}`,
    );
    const value = firing.length;
    const headline =
      firing.length > 0
        ? `${firing.map(([c, n]) => `${c} (${n.calls} calls, ${usd(n.spend)})`).join(', ')}`
        : `no call to a new country in ${rule.windowMinutes} min`;
    const detail = {
      countries: Object.fromEntries(
        active.map(([c, n]) => [
          c,
          { calls: n.calls, spend: Math.round(n.spend * 100) / 100, firstMs: n.firstMs },
        ]),
      ),
      lookbackDays: rule.lookbackDays,
    };
    const note = `${active.length} new ${active.length === 1 ? 'country' : 'countries'} in the last ${rule.windowMinutes} minutes (known: ${Object.keys(known).length})`;
    const out = {
      value,
      headline,
      lines:
        active.length === 0
          ? [`No outbound call to a country new to this trunk in the last ${rule.windowMinutes} minutes.`]
          : [
              `Outbound calls to countries this trunk had not called in ${rule.lookbackDays} days (fires at ${rule.minCalls} calls to one):`,
              ...lines,
            ],
      note,
      detail,
      ...(firing.length > 0
        ? {
            labels: {
              to_country: firing
                .map(([c]) => c)
                .slice(0, 5)
                .join(','),
            },
          }
        : {}),
    };
    if (firing.length > 0) return { state: 'breach', ...out };
    return { state: active.length === 0 ? 'ok' : 'hold', ...out };
  },
  worse: (peak, value) => value > peak,
});
