import { runRecordOf } from '../../../functions/core/health/run-log';
import { emptySummary, incidentNoticesOf } from '../../../functions/core/poll/run-context';
import { explainSummary } from '../../../scripts/local-run';

describe('incident notices', () => {
  const summary = {
    ...emptySummary('r1'),
    alertsPublished: 6,
    groupNotices: 1,
    windowNotices: 2,
    trafficNotices: 3,
  };

  it('count the notices of alert groups, windowed rules and traffic rules alike', () => {
    expect(incidentNoticesOf(summary)).toBe(6);
    expect(incidentNoticesOf({ ...summary, groupNotices: 0, windowNotices: 0 })).toBe(3);
  });

  it('in the run log (status) and in the summary npm start prints', () => {
    const record = runRecordOf({
      runId: 'r1',
      startedAt: new Date('2026-11-23T10:00:00Z'),
      finishedAt: new Date('2026-11-23T10:00:02Z'),
      summary,
      failure: null,
    });
    expect(record.incidentNotices).toBe(6);
    expect(
      runRecordOf({
        runId: 'r2',
        startedAt: new Date('2026-11-23T10:00:00Z'),
        finishedAt: new Date('2026-11-23T10:00:01Z'),
        summary: null,
        failure: { kind: 'plivo-unavailable', reason: 'HTTP 503' },
      }).incidentNotices,
    ).toBe(0);
    expect(explainSummary(1, { ...summary, groupNotices: 0, windowNotices: 0 })).toContain(
      'sent      6 notifications (3 about incidents)',
    );
  });
});
