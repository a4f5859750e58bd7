import type { CallInsights } from '../call';
import type { AlertConfig, Severity } from '../config/schema';
import type { Comparison, Finding, SeverityLevels } from '../finding';
import type { CallRule } from './rule';
import { describeScope, ruleFor } from './overrides';
import { inScope } from './scope';

type InsightsRuleId =
  'low-quality-score' | 'packet-loss' | 'high-jitter' | 'high-rtt' | 'high-post-dial-delay';

interface Measurement {
  value: number;
  threshold: number;
  comparison: Comparison;
  severity: Severity;
  /** A second level that escalates to critical (same comparison), for rules that have one. */
  criticalThreshold?: number;
}

function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    default:
      return false;
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
}

/**
 * Builds an insights-based rule: read one metric, compare with a threshold from config,
 * optionally escalate the severity.
 */
function insightsRule(spec: {
  id: InsightsRuleId;
  metric: string;
  unit: string;
  read: (insights: CallInsights) => number | null;
  measure: (value: number, config: AlertConfig) => Measurement;
  nextSteps: string[];
}): CallRule {
  return {
    id: spec.id,
    needsInsights: true,
    evaluate({ call, insights }, config) {
      const ruleConfig = ruleFor(config, spec.id, call);
      if (!ruleConfig.enabled || insights === null || !inScope(call, ruleConfig.scope)) return null;
      const value = spec.read(insights);
      if (value === null) return null;
      // measure() reads config.rules[id]: hand it the settings as overridden for this call.
      const m = spec.measure(value, { ...config, rules: { ...config.rules, [spec.id]: ruleConfig } });
      if (!breaches(value, m.comparison, m.threshold)) return null;
      const unitSuffix = spec.unit === '' ? '' : ` ${spec.unit}`;
      const level = (threshold: number) => ({ comparison: m.comparison, value: threshold, unit: spec.unit });
      const levels: SeverityLevels | undefined =
        m.criticalThreshold === undefined
          ? undefined
          : {
              fires: level(m.threshold),
              critical: level(m.criticalThreshold),
              setBy: breaches(value, m.comparison, m.criticalThreshold) ? 'critical' : 'fires',
            };
      // The headline names the threshold that set the severity: "6.2 % >= 5 %" for a critical one.
      const shown = levels?.setBy === 'critical' ? levels.critical.value : m.threshold;
      const finding: Finding = {
        ruleId: spec.id,
        severity: m.severity,
        headline: `${spec.metric} ${formatNumber(value)}${unitSuffix} ${m.comparison} ${formatNumber(shown)}${unitSuffix}`,
        measured: { metric: spec.metric, value, unit: spec.unit },
        threshold: { comparison: m.comparison, value: m.threshold, unit: spec.unit },
        call,
        insights,
        nextSteps: spec.nextSteps,
        override: ruleConfig.override ? describeScope(ruleConfig.override) : null,
        ...(levels ? { levels } : {}),
      };
      return finding;
    },
  };
}

export const lowQualityScoreRule = insightsRule({
  id: 'low-quality-score',
  metric: 'quality score',
  unit: '',
  read: (i) => i.qualityScore,
  measure: (value, config) => {
    const r = config.rules['low-quality-score'];
    return {
      value,
      threshold: r.below,
      comparison: '<',
      severity: value < r.criticalBelow ? 'critical' : r.severity,
      criticalThreshold: r.criticalBelow,
    };
  },
  nextSteps: [
    'Read the packet loss, jitter and RTT in this alert: the worst of them is usually the cause.',
    'Check whether other calls on the same trunk or carrier are affected (a pattern means a route or network problem, a single call means the endpoint).',
    'Open the call in the Plivo console (Zentrunk > Call Logs) for the full quality breakdown.',
  ],
});

export const packetLossRule = insightsRule({
  id: 'packet-loss',
  metric: 'packet loss',
  unit: '%',
  read: (i) => i.packetLossPct,
  measure: (value, config) => {
    const r = config.rules['packet-loss'];
    return {
      value,
      threshold: r.thresholdPct,
      comparison: '>=',
      severity: value >= r.criticalPct ? 'critical' : r.severity,
      criticalThreshold: r.criticalPct,
    };
  },
  nextSteps: [
    'Check the network path between your SBC/PBX and Zentrunk: link saturation, ISP loss, firewall or NAT dropping RTP.',
    'Compare the carriers in this alert: loss on one carrier only points to the carrier leg; raise a Plivo ticket with the call UUID.',
    'Check QoS/DSCP marking for RTP on your edge.',
  ],
});

export const highJitterRule = insightsRule({
  id: 'high-jitter',
  metric: 'jitter',
  unit: 'ms',
  read: (i) => i.jitterMs,
  measure: (value, config) => ({
    value,
    threshold: config.rules['high-jitter'].thresholdMs,
    comparison: '>=',
    severity: config.rules['high-jitter'].severity,
  }),
  nextSteps: [
    'Look for congestion on the path to Zentrunk and check that RTP is prioritised (QoS/DSCP EF).',
    'Check the SBC jitter buffer and CPU load at the call time.',
  ],
});

export const highRttRule = insightsRule({
  id: 'high-rtt',
  metric: 'round-trip time',
  unit: 'ms',
  read: (i) => i.rttMs,
  measure: (value, config) => ({
    value,
    threshold: config.rules['high-rtt'].thresholdMs,
    comparison: '>',
    severity: config.rules['high-rtt'].severity,
  }),
  nextSteps: [
    'Check that your SBC uses the Zentrunk region nearest to it (the trunk domain names the region).',
    'Trace the route to the Zentrunk media servers for detours or a VPN hop.',
  ],
});

export const highPostDialDelayRule = insightsRule({
  id: 'high-post-dial-delay',
  metric: 'post-dial delay',
  unit: 'ms',
  read: (i) => i.postDialDelayMs,
  measure: (value, config) => ({
    value,
    threshold: config.rules['high-post-dial-delay'].thresholdMs,
    comparison: '>',
    severity: config.rules['high-post-dial-delay'].severity,
  }),
  nextSteps: [
    'Compare post-dial delay for the same destination country across carriers: one slow carrier route is a Plivo ticket.',
    'Check whether your PBX delays the INVITE (DNS lookups, number normalisation).',
  ],
});
