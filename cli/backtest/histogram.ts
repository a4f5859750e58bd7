/**
 * Terminal histograms of the Insights metrics, with the configured thresholds marked on the
 * bins they fall in, so a threshold can be set by eye: "how many calls would 2 % catch?".
 */
import type { CallInsights } from '../../functions/core/call';
import type { AlertConfig } from '../../functions/core/config/schema';
import { type Colors, count } from '../io';

export interface Metric {
  id: 'quality' | 'packet-loss' | 'jitter' | 'post-dial-delay';
  title: string;
  unit: string;
  read(insights: CallInsights): number | null;
  /** Lower bounds of the bins (the last bin is open-ended). */
  edges: number[];
  /** The thresholds to mark, from the config. */
  marks(config: AlertConfig): Array<{ at: number; label: string; below?: boolean }>;
}

export const METRICS: readonly Metric[] = [
  {
    id: 'quality',
    title: 'Quality score',
    unit: '',
    read: (i) => i.qualityScore,
    edges: [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5],
    marks: (c) => [
      {
        at: c.rules['low-quality-score'].criticalBelow,
        below: true,
        label: `below ${c.rules['low-quality-score'].criticalBelow}: critical`,
      },
      {
        at: c.rules['low-quality-score'].below,
        below: true,
        label: `below ${c.rules['low-quality-score'].below}: low-quality-score fires`,
      },
      ...(c.windowedRules['low-quality-share'].enabled
        ? [
            {
              at: c.windowedRules['low-quality-share'].below,
              below: true,
              label: `below ${c.windowedRules['low-quality-share'].below}: counts for low-quality-share`,
            },
          ]
        : []),
    ],
  },
  {
    id: 'packet-loss',
    title: 'Packet loss (%)',
    unit: '%',
    read: (i) => i.packetLossPct,
    edges: [0, 0.1, 0.25, 0.5, 0.9, 1.5, 2, 3, 5, 10],
    marks: (c) => [
      ...(c.rules['packet-loss'].enabled
        ? [
            {
              at: c.rules['packet-loss'].thresholdPct,
              label: `>= ${c.rules['packet-loss'].thresholdPct} %: packet-loss fires`,
            },
            {
              at: c.rules['packet-loss'].criticalPct,
              label: `>= ${c.rules['packet-loss'].criticalPct} %: critical`,
            },
          ]
        : []),
      ...(c.windowedRules['packet-loss-spike'].enabled
        ? [
            {
              at: c.windowedRules['packet-loss-spike'].perCallThresholdPct,
              label: `>= ${c.windowedRules['packet-loss-spike'].perCallThresholdPct} %: counts for packet-loss-spike`,
            },
          ]
        : []),
    ],
  },
  {
    id: 'jitter',
    title: 'Jitter (ms)',
    unit: 'ms',
    read: (i) => i.jitterMs,
    edges: [0, 5, 10, 15, 20, 25, 30, 40, 50, 75],
    marks: (c) => [
      {
        at: c.rules['high-jitter'].thresholdMs,
        label: `>= ${c.rules['high-jitter'].thresholdMs} ms: high-jitter fires`,
      },
    ],
  },
  {
    id: 'post-dial-delay',
    title: 'Post-dial delay (ms)',
    unit: 'ms',
    read: (i) => i.postDialDelayMs,
    edges: [0, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000],
    marks: (c) => [
      {
        at: c.rules['high-post-dial-delay'].thresholdMs,
        label: `> ${c.rules['high-post-dial-delay'].thresholdMs} ms: high-post-dial-delay fires`,
      },
    ],
  },
];

export interface Histogram {
  metric: Metric['id'];
  title: string;
  calls: number;
  bins: Array<{ from: number; to: number | null; calls: number; marks: string[] }>;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? null;
}

export function histogramOf(
  metric: Metric,
  insights: Iterable<CallInsights>,
  config: AlertConfig,
): Histogram {
  const values: number[] = [];
  for (const i of insights) {
    const v = metric.read(i);
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const edges = metric.edges;
  const bins = edges.map((from, i) => ({ from, to: edges[i + 1] ?? null, calls: 0, marks: [] as string[] }));
  for (const v of values) {
    let index = 0;
    for (let i = 0; i < edges.length; i += 1) if (v >= (edges[i] as number)) index = i;
    (bins[index] as (typeof bins)[number]).calls += 1;
  }
  for (const mark of metric.marks(config)) {
    // "below 3" is the bin just under 3; ">= 0.9" and "> 5000" the bin that holds the value.
    const at = mark.below ? mark.at - 1e-9 : mark.at;
    let index = 0;
    for (let i = 0; i < edges.length; i += 1) if (at >= (edges[i] as number)) index = i;
    (bins[index] as (typeof bins)[number]).marks.push(mark.label);
  }
  return {
    metric: metric.id,
    title: metric.title,
    calls: values.length,
    bins,
    p50: percentile(values, 0.5),
    p95: percentile(values, 0.95),
    max: values.at(-1) ?? null,
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2))));

/**
 * One line per bin: its range, a bar scaled to the fullest bin (a non-empty bin shows at least
 * a sliver, so a handful of bad calls next to thousands of good ones is not invisible), the
 * count, and the thresholds that fall in it.
 */
export function renderHistogram(h: Histogram, colors: Colors, width = 40): string[] {
  const max = Math.max(1, ...h.bins.map((b) => b.calls));
  const ranges = h.bins.map((b) => (b.to === null ? `>= ${fmt(b.from)}` : `${fmt(b.from)} - ${fmt(b.to)}`));
  const rangeWidth = Math.max(...ranges.map((r) => r.length));
  const countWidth = Math.max(...h.bins.map((b) => count(b.calls).length));
  const stats =
    h.calls === 0
      ? 'no calls with this metric'
      : `${count(h.calls)} calls, median ${fmt(h.p50 ?? 0)}, p95 ${fmt(h.p95 ?? 0)}, max ${fmt(h.max ?? 0)}`;
  return [
    `${colors.bold(h.title)}  ${colors.dim(stats)}`,
    ...h.bins.map((b, i) => {
      const eighths = Math.round((b.calls / max) * width * 8);
      const full = Math.floor(eighths / 8);
      const part = eighths % 8;
      let bar = '█'.repeat(full) + (part > 0 ? (['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'][part] ?? '') : '');
      if (b.calls > 0 && bar === '') bar = '▏';
      const marked = b.marks.length > 0 ? `  ${colors.yellow(`◀ ${b.marks.join('; ')}`)}` : '';
      return `  ${(ranges[i] ?? '').padStart(rangeWidth)} │${bar.padEnd(width)} ${count(b.calls).padStart(countWidth)}${marked}`;
    }),
  ];
}
