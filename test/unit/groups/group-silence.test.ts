/**
 * A group's notice is silence-checked against the group's labels, as a window's is: never
 * against the one call that happened to open the incident.
 */
import { MemoryStateStore } from '../../../functions/adapters/memory/memory-state-store';
import type { Call } from '../../../functions/core/call';
import { parseConfig } from '../../../functions/core/config/load-config';
import { updateGroups } from '../../../functions/core/poll/notify-groups';
import { emptySummary } from '../../../functions/core/poll/run-context';
import type { SendContext } from '../../../functions/core/poll/send-notice';
import type { AlertMessage } from '../../../functions/core/ports';
import { evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { evaluated } from '../../support/calls';

const NOW = new Date('2026-11-20T12:00:00Z');

/** One run's group notices for one Zentrunk-hangup finding on `call`, under `matchers`. */
async function noticesFor(call: Partial<Call>, matchers: Record<string, string[]>): Promise<AlertMessage[]> {
  const config = parseConfig({
    grouping: { enabled: true, groupBy: ['trunk_domain'] },
    silences: {
      rules: [{ id: 'planned', matchers, startsAt: '2026-11-20T00:00:00Z', endsAt: '2026-11-21T00:00:00Z' }],
    },
  });
  const sent: AlertMessage[] = [];
  const ctx: SendContext = {
    deps: {
      source: {
        listCalls: async () => ({ calls: [], skipped: [], pages: 0 }),
        countCalls: async () => 0,
        getInsights: async () => null,
      },
      store: new MemoryStateStore(() => NOW.getTime()),
      notifier: { publish: async (m) => (sent.push(m), { messageId: `m-${sent.length}` }) },
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      config,
      now: () => NOW,
      remainingTimeMs: () => 60_000,
      runId: 'run-1',
    },
    summary: emptySummary('run-1'),
    silencedAt: NOW,
    expiresAtSec: 2_000_000_000,
  };
  const subject = evaluated({ hangupSource: 'zentrunk', hangupCauseCode: 5180, ...call });
  const findings = evaluateRules([subject], config);
  expect(findings.map((f) => f.ruleId)).toEqual(['zentrunk-hangup']);
  await updateGroups(
    ctx,
    findings.map((finding, i) => ({ finding, dedupKey: `k-${i}` })),
  );
  return sent;
}

describe('silences and group notices', () => {
  it('hold a group whose label matches, though its sample call does not carry that value', async () => {
    // No trunk domain on the CDR: the group is named by the trunk id, and so is the silence.
    const call = { trunkDomain: null, trunkId: '93667062664669661' };
    expect(await noticesFor(call, { trunkDomains: ['93667062664669661'] })).toEqual([]);
    expect(await noticesFor(call, { trunkDomains: ['other.zt.plivo.com'] })).toHaveLength(1);
  });

  it('do not hold a trunk-grouped incident for where its first call went: the group has no country', async () => {
    const sent = await noticesFor({ toCountry: 'DE' }, { countries: ['DE'] });
    expect(sent.map((m) => m.attributes.rule)).toEqual(['zentrunk-hangup']);
  });
});
