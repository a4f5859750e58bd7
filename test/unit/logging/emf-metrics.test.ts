import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import {
  addRunMetrics,
  PollerMetrics,
  type RunMetrics,
} from '../../../functions/adapters/logging/emf-metrics';
import { emptySummary } from '../../../functions/core/poll/run-context';

type Emf = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};

const summary = {
  ...emptySummary('r1'),
  callsSeen: 120,
  insightsFetched: 110,
  insightsNotReady: 10,
  insightsSampled: 3,
  insightsSampledOut: 1,
  findings: 7,
  alertsPublished: 5,
  duplicatesSuppressed: 2,
  recordsSkipped: 1,
  alertsSilenced: 3,
  groupNotices: 2,
  windowNotices: 1,
  trafficNotices: 2,
  lagSeconds: 42,
  alertsPublishedByRule: { 'packet-loss': 4, 'zentrunk-hangup': 1 },
};

/** The EMF documents of one run, as the logMetrics middleware publishes them at its end. */
function emit(run: RunMetrics): { main: Emf; byRule: Emf[] } {
  const lines: string[] = [];
  const metrics = new PollerMetrics({ write: (line) => lines.push(line) });
  addRunMetrics(metrics, run);
  metrics.publishStoredMetrics();
  const docs = lines.map((l) => JSON.parse(l) as Emf);
  return {
    main: docs.find((d) => 'PollSucceeded' in d) as Emf,
    byRule: docs.filter((d) => 'AlertsByRule' in d),
  };
}
const directive = (doc: Emf) => doc._aws.CloudWatchMetrics[0]!;

describe('run metrics (Powertools Metrics, CloudWatch EMF)', () => {
  it('declare every value they carry, with its unit, in the ZentrunkAlerts namespace', () => {
    const before = Date.now();
    const { main, byRule } = emit({ summary, failed: false });
    expect(main).toMatchObject({
      PollSucceeded: 1,
      PollFailed: 0,
      CallsPolled: 120,
      AlertsSilenced: 3,
      // Alert groups, windowed rules and traffic rules alike.
      IncidentNotices: 5,
      InsightsCoverage: 75,
      PollLagSeconds: 42,
    });
    const units = Object.fromEntries(directive(main).Metrics.map((m) => [m.Name, m.Unit]));
    for (const name of Object.keys(main).filter((k) => k !== '_aws')) expect(units).toHaveProperty(name);
    expect(units).toMatchObject({
      CallsPolled: 'Count',
      InsightsCoverage: 'Percent',
      PollLagSeconds: 'Seconds',
    });
    expect(directive(main).Namespace).toBe('ZentrunkAlerts');
    expect(main._aws.Timestamp).toBeGreaterThanOrEqual(before);
    expect(byRule.map((d) => [d.rule, d.AlertsByRule, directive(d).Namespace])).toEqual([
      ['packet-loss', 4, 'ZentrunkAlerts'],
      ['zentrunk-hangup', 1, 'ZentrunkAlerts'],
    ]);
  });

  it("carry the account's traffic and its baseline, without a per-trunk dimension; the expected values once learnt", () => {
    const trafficAccount = {
      from: '2026-11-09T10:15:00.000Z',
      to: '2026-11-09T10:30:00.000Z',
      calls: 12,
      expectedCalls: 30.4,
      spend: 0.06,
      expectedSpend: 0.15,
    };
    const { main } = emit({ summary: { ...summary, trafficAccount }, failed: false });
    expect(main).toMatchObject({
      TrafficCalls: 12,
      TrafficExpectedCalls: 30.4,
      TrafficSpend: 0.06,
      TrafficExpectedSpend: 0.15,
    });
    const units = Object.fromEntries(directive(main).Metrics.map((m) => [m.Name, m.Unit]));
    expect(units).toMatchObject({
      TrafficCalls: 'Count',
      TrafficExpectedCalls: 'Count',
      TrafficSpend: 'None',
      TrafficExpectedSpend: 'None',
    });
    expect(directive(main).Dimensions).toEqual([[]]);

    const learning = emit({
      summary: {
        ...summary,
        trafficAccount: { ...trafficAccount, expectedCalls: null, expectedSpend: null },
      },
      failed: false,
    }).main;
    expect(learning).toMatchObject({ TrafficCalls: 12, TrafficSpend: 0.06 });
    expect(learning).not.toHaveProperty('TrafficExpectedCalls');
    expect(learning).not.toHaveProperty('TrafficExpectedSpend');
    // Not judged this run (no traffic rule on, nothing counted yet): no traffic metric at all.
    expect(emit({ summary, failed: false }).main).not.toHaveProperty('TrafficCalls');
  });

  it('report a failed start with only the failure; the Plivo counters when the run had them', () => {
    const { main } = emit({ summary: null, failed: true });
    expect(main).toMatchObject({ PollSucceeded: 0, PollFailed: 1 });
    expect(main).not.toHaveProperty('CallsPolled');
    expect(main).not.toHaveProperty('PlivoThrottled');
    const withPlivo = emit({
      summary,
      failed: false,
      plivo: { throttled: 2, serverErrors: 1, networkErrors: 1, timeouts: 1 },
    });
    expect(withPlivo.main).toMatchObject({ PlivoThrottled: 2, PlivoErrors: 3, CallsPolled: 120 });
  });

  it('the default account: no dimension, as before accounts (existing alarms keep matching)', () => {
    for (const account of [undefined, 'default']) {
      const { main, byRule } = emit({
        account,
        summary,
        failed: false,
        plivo: { throttled: 1, serverErrors: 0, networkErrors: 0, timeouts: 0 },
      });
      expect(directive(main).Dimensions).toEqual([[]]);
      expect(main).not.toHaveProperty('Account');
      // Not Powertools' default `service` dimension either.
      expect(main).not.toHaveProperty('service');
      for (const doc of byRule) {
        expect(directive(doc).Dimensions).toEqual([['rule']]);
        expect(doc).not.toHaveProperty('service');
      }
    }
  });

  it('another account: every metric under the Account dimension', () => {
    const { main, byRule } = emit({ account: 'acme', summary, failed: false });
    expect(directive(main).Dimensions).toEqual([['Account']]);
    expect(main).toMatchObject({ Account: 'acme', PollSucceeded: 1, CallsPolled: 120 });
    expect(directive(main).Metrics.map((m) => m.Name)).not.toContain('Account');
    expect(byRule).toHaveLength(2);
    for (const doc of byRule) {
      expect(directive(doc).Dimensions).toEqual([['Account', 'rule']]);
      expect(doc.Account).toBe('acme');
    }
    const failed = emit({
      account: 'acme',
      summary: null,
      failed: true,
      plivo: { throttled: 2, serverErrors: 0, networkErrors: 0, timeouts: 0 },
    });
    expect(failed.main).toMatchObject({ Account: 'acme', PollFailed: 1, PlivoThrottled: 2 });
    expect(directive(failed.main).Dimensions).toEqual([['Account']]);
  });

  it('a fresh document per invocation: nothing carried over from the previous one', () => {
    const lines: string[] = [];
    const metrics = new PollerMetrics({ write: (line) => lines.push(line) });
    addRunMetrics(metrics, { account: 'acme', summary, failed: false });
    metrics.publishStoredMetrics();
    addRunMetrics(metrics, { summary: null, failed: true });
    metrics.publishStoredMetrics();
    const last = JSON.parse(lines.at(-1) as string) as Emf;
    expect(directive(last).Dimensions).toEqual([[]]);
    expect(last).toMatchObject({ PollFailed: 1 });
    expect(last).not.toHaveProperty('Account');
    expect(last).not.toHaveProperty('CallsPolled');
  });
});

describe('the logMetrics middleware', () => {
  const initType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  afterAll(() => {
    if (initType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initType;
  });

  it('publishes the run at its end, failed or not, and a ColdStart metric once per container', async () => {
    // What Lambda sets for an on-demand container; Powertools counts cold starts only then.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const lines: string[] = [];
    const metrics = new PollerMetrics({ write: (line) => lines.push(line) });
    const handler = middy(async (event: { fail?: boolean }) => {
      addRunMetrics(metrics, { summary: null, failed: event.fail === true });
      if (event.fail) throw new Error('run failed');
    }).use(logMetrics(metrics, { captureColdStartMetric: true }));
    const context = { functionName: 'zentrunk-alerts-poller', awsRequestId: 'r' } as never;

    await handler({}, context);
    await expect(handler({ fail: true }, context)).rejects.toThrow('run failed');
    await handler({}, context);

    const docs = lines.map((l) => JSON.parse(l) as Emf);
    const coldStarts = docs.filter((d) => 'ColdStart' in d);
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ ColdStart: 1, function_name: 'zentrunk-alerts-poller' });
    expect(directive(coldStarts[0]!).Dimensions).toEqual([['function_name']]);
    expect(docs.filter((d) => 'PollFailed' in d).map((d) => d.PollFailed)).toEqual([0, 1, 0]);
    expect(docs.findIndex((d) => 'ColdStart' in d)).toBe(0);
  });
});
