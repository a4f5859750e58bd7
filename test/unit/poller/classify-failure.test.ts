import { StateStoreError } from '../../../functions/adapters/dynamodb/dynamodb-state-store';
import { CredentialsError } from '../../../functions/adapters/secrets/plivo-credentials';
import { ConfigError } from '../../../functions/core/config/load-config';
import { RuntimeConfigError } from '../../../functions/poller/runtime';
import { SourceUnavailableError } from '../../../functions/core/errors';
import { PollIncompleteError, type PollSummary } from '../../../functions/core/poll/poll-use-case';
import { PlivoAuthError, PlivoRequestError } from '../../../functions/adapters/plivo/plivo-errors';
import { classifyFailure, runOutcome } from '../../../functions/poller/classify-failure';

const base = {
  insightsErrors: 0,
  insightsRefused: 0,
  insightsFetched: 10,
  alertsDeadLettered: 0,
  alertsPublished: 0,
  lagSeconds: 42,
} as PollSummary;

describe('classifyFailure', () => {
  it('names what operations must fix', () => {
    expect(classifyFailure(new SourceUnavailableError('503 x5')).kind).toBe('plivo-unavailable');
    expect(classifyFailure(new PollIncompleteError('2 alerts', base)).kind).toBe('alerts-not-publishing');
    expect(classifyFailure(new ConfigError('f.json', ['poll.overlapMinutes: bad'])).kind).toBe(
      'config-invalid',
    );
    expect(classifyFailure(new StateStoreError('x', 'claimAlert', 't', 'request-failed')).kind).toBe(
      'state-store-failing',
    );
    expect(classifyFailure(new CredentialsError('no secret')).kind).toBe('plivo-credentials-rejected');
    expect(classifyFailure(new RuntimeConfigError('STATE_TABLE_NAME is not set')).kind).toBe(
      'config-invalid',
    );
    // An SDK error from DynamoDB that reached the handler unwrapped.
    expect(
      classifyFailure(
        Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }),
      ).kind,
    ).toBe('state-store-failing');
    // A plain error is unexpected, named so it can be looked up.
    expect(classifyFailure(new TypeError('x is undefined'))).toEqual({
      kind: 'unexpected-error',
      reason: 'TypeError: x is undefined',
    });
    expect(classifyFailure('weird')).toEqual({ kind: 'unexpected-error', reason: 'Error: weird' });
  });

  it('recognises rejected Plivo credentials', () => {
    const error = new PlivoAuthError({
      status: 401,
      plivoMessage: 'Authentication failed',
      request: 'GET /v1/Account/{auth_id}/Zentrunk/Call/',
      requestId: null,
    });
    expect(classifyFailure(error)).toEqual({
      kind: 'plivo-credentials-rejected',
      reason: expect.stringContaining('Authentication failed'),
    });
  });

  it('tells operations a request Plivo will never accept is unexpected, in its own words', () => {
    for (const [status, words] of [
      [400, 'Plivo refused the request (HTTP 400'],
      [405, 'Unexpected answer from Plivo (HTTP 405'],
    ] as const) {
      const error = new PlivoRequestError({
        status,
        plivoMessage: 'no',
        request: 'GET /v1/Account/{auth_id}/Zentrunk/Call/',
        requestId: null,
      });
      expect(classifyFailure(error)).toEqual({
        kind: 'unexpected-error',
        reason: expect.stringContaining(words),
      });
    }
  });
});

describe('runOutcome', () => {
  it('is healthy with the lag when insights came back', () => {
    expect(runOutcome({ ...base, insightsErrors: 3 })).toEqual({ ok: true, lagSeconds: 42 });
  });

  it('is failing when every insights request of the run failed', () => {
    expect(runOutcome({ ...base, insightsErrors: 7, insightsFetched: 0 })).toMatchObject({
      ok: false,
      kind: 'plivo-unavailable',
      reason: expect.stringContaining('all 7 Plivo Insights request(s)'),
    });
  });

  it("is failing when Plivo refused every call's Insights, and healthy when it refused one among many", () => {
    expect(runOutcome({ ...base, insightsRefused: 4, insightsFetched: 0 })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('refused all 4 Insights request(s)'),
    });
    expect(runOutcome({ ...base, insightsRefused: 1 })).toEqual({ ok: true, lagSeconds: 42 });
  });

  it('is failing when every notice of the run was set aside as a dead letter', () => {
    expect(runOutcome({ ...base, alertsDeadLettered: 2, alertsPublished: 0 })).toMatchObject({
      ok: false,
      kind: 'alerts-not-publishing',
    });
    expect(runOutcome({ ...base, alertsDeadLettered: 1, alertsPublished: 4 })).toEqual({
      ok: true,
      lagSeconds: 42,
    });
  });
});

describe('classifyFailure and secrets', () => {
  it('scrubs before it cuts, so no piece of a secret survives the cut', () => {
    const token = 'S3CRET-TOKEN-abcdefghijklmnopqrstuvwxyz';
    const message = `${'x'.repeat(480)} Plivo echoed ${token}`;
    const { reason } = classifyFailure(new Error(message), (text) => text.split(token).join('[REDACTED]'));
    expect(reason).not.toContain('S3CRET');
    expect(reason).toMatch(/^Error: x+ Plivo echoed \[REDACTED\]$|…$/);
    expect(reason.length).toBeLessThanOrEqual('Error: '.length + 500);
  });
});
