import { parseConfig } from '../../../functions/core/config/load-config';
import { groupIdOf, groupLabels } from '../../../functions/core/groups/group';
import { renderGroupAlert } from '../../../functions/core/groups/group-message';
import {
  addFindings,
  afterNotice,
  isOverUnannounced,
  nextNotice,
} from '../../../functions/core/groups/lifecycle';
import { evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { evaluated } from '../../support/calls';

const config = parseConfig({
  grouping: {
    enabled: true,
    groupWaitSeconds: 60,
    updateWhenGrownPct: 100,
    maxUpdates: 1,
    repeatIntervalMinutes: 60,
  },
});
const grouping = config.grouping;
const T0 = new Date('2026-11-20T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function lossFindings(n: number, packetLossPct = 2) {
  return Array.from({ length: n }, () => {
    const [f] = evaluateRules([evaluated({ trunkDomain: 'acme.zt.plivo.com' }, { packetLossPct })], config);
    if (!f) throw new Error('expected a finding');
    return f;
  });
}

describe('group identity', () => {
  it('is a hash of the rule and the labels, the same whatever the order', () => {
    const [f] = lossFindings(1);
    if (!f) throw new Error('no finding');
    const labels = groupLabels(f, ['to_country', 'trunk_domain']);
    expect(labels).toEqual({ to_country: 'US', trunk_domain: 'acme.zt.plivo.com' });
    expect(groupIdOf('packet-loss', labels)).toBe(
      groupIdOf('packet-loss', { trunk_domain: 'acme.zt.plivo.com', to_country: 'US' }),
    );
    expect(groupIdOf('packet-loss', labels)).not.toBe(groupIdOf('high-jitter', labels));
  });
});

describe('group lifecycle', () => {
  const labels = { trunk_domain: 'acme.zt.plivo.com' };

  it('waits the group wait, then fires once; updates when it doubled (bounded); reminds; resolves when quiet', () => {
    let g = addFindings(null, lossFindings(3), labels, T0, 5);
    expect(nextNotice(g, at(0.5), grouping)).toBeNull(); // group wait
    expect(nextNotice(g, at(1), grouping)).toBe('firing');
    g = afterNotice(g, 'firing', at(1));
    expect(nextNotice(g, at(2), grouping)).toBeNull();

    g = addFindings(g, lossFindings(2), labels, at(5), 5); // 5 < 2 x 3: not material
    expect(nextNotice(g, at(5), grouping)).toBeNull();
    g = addFindings(g, lossFindings(1, 7), labels, at(6), 5); // 6 = 2 x 3
    expect(nextNotice(g, at(6), grouping)).toBe('update');
    g = afterNotice(g, 'update', at(6));
    expect(g).toMatchObject({ count: 6, severity: 'critical', worst: { value: 7, unit: '%' } });
    expect(g.samples).toHaveLength(5);

    g = addFindings(g, lossFindings(20), labels, at(10), 5); // grew, but maxUpdates is 1
    expect(nextNotice(g, at(10), grouping)).toBeNull();
    g = addFindings(g, lossFindings(1), labels, at(65), 5);
    expect(nextNotice(g, at(66), grouping)).toBe('reminder'); // 60 minutes after the update
    g = afterNotice(g, 'reminder', at(66));

    expect(nextNotice(g, at(90), grouping)).toBeNull(); // quiet 25 minutes < 30
    expect(nextNotice(g, at(95), grouping)).toBe('resolved');
    g = afterNotice(g, 'resolved', at(95));
    expect(g.status).toBe('resolved');

    const again = addFindings(g, lossFindings(1), labels, at(120), 5);
    expect(again).toMatchObject({ status: 'firing', episode: 2, count: 1, notices: 0, id: g.id });
  });

  it('ends without a message a group that went quiet before it was ever announced', () => {
    const quick = parseConfig({ grouping: { groupWaitSeconds: 3600, resolveAfterMinutes: 30 } }).grouping;
    const g = addFindings(null, lossFindings(1), labels, T0, 5);
    expect(nextNotice(g, at(31), quick)).toBeNull();
    expect(isOverUnannounced(g, at(31), quick)).toBe(true);
  });

  it('renders every notice of an incident under one key, with count, worst call and state', () => {
    const g = afterNotice(addFindings(null, lossFindings(4, 3), labels, T0, 5), 'firing', at(1));
    const firing = renderGroupAlert(g, 'update', { deploymentName: 'acme', now: at(2) });
    const resolved = renderGroupAlert(g, 'resolved', { deploymentName: 'acme', now: at(40) });
    expect(firing.dedupKey).toBe(resolved.dedupKey);
    expect(firing.subject).toBe('[acme WARNING] packet-loss: 4 calls | acme.zt.plivo.com');
    expect(resolved.subject).toBe('[acme RESOLVED] packet-loss: 4 calls (over) | acme.zt.plivo.com');
    expect(firing.text).toContain('GROWING: packet-loss on trunk_domain=acme.zt.plivo.com');
    expect(firing.text).toContain('Worst:       3 %');
    expect(resolved.attributes).toMatchObject({
      state: 'resolved',
      rule: 'packet-loss',
      trunk_domain: 'acme.zt.plivo.com',
    });
    expect(firing.shortText.length).toBeLessThanOrEqual(160);
  });
});

describe('group times', () => {
  it('says when the bad calls happened, not when the poller noticed', () => {
    const early = evaluateRules(
      [
        evaluated(
          { trunkDomain: 'acme.zt.plivo.com', endTime: '2026-11-20T11:41:00.000Z' },
          { packetLossPct: 2 },
        ),
      ],
      config,
    );
    const late = evaluateRules(
      [
        evaluated(
          { trunkDomain: 'acme.zt.plivo.com', endTime: '2026-11-20T11:52:00.000Z' },
          { packetLossPct: 2 },
        ),
      ],
      config,
    );
    const g = addFindings(null, [...late, ...early], { trunk_domain: 'acme.zt.plivo.com' }, T0, 5);
    const text = renderGroupAlert(g, 'firing', { deploymentName: 'acme', now: T0 }).text;
    expect(text).toContain('since 2026-11-20 11:41:00 UTC');
    expect(text).toContain('Calls:       2, ended 2026-11-20 11:41:00 UTC to 2026-11-20 11:52:00 UTC');
  });
});
