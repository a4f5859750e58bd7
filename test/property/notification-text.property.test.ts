import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { SnsNotifier } from '../../functions/adapters/sns/sns-notifier';
import { renderFindingAlert } from '../../functions/core/alert-message';
import type { Call, CallInsights } from '../../functions/core/call';
import { renderCatchUpSummary } from '../../functions/core/catch-up-summary';
import { toChatNotification } from '../../functions/core/chat-notification';
import { parseConfig } from '../../functions/core/config/load-config';
import type { Finding } from '../../functions/core/finding';
import { groupLabels } from '../../functions/core/groups/group';
import { renderGroupAlert } from '../../functions/core/groups/group-message';
import { addFindings, afterNotice } from '../../functions/core/groups/lifecycle';
import { renderHealthMessage } from '../../functions/core/health/ops-message';
import type { AlertMessage } from '../../functions/core/ports';
import { evaluateRules } from '../../functions/core/rules/evaluate-rules';
import { emptyWindow } from '../../functions/core/windowed/window';
import { renderWindowAlert } from '../../functions/core/windowed/window-message';
import { windowRuleFor } from '../../functions/core/windowed/window-rule';
import { makeCall, makeInsights } from '../support/calls';

/**
 * Everything Plivo sends is untrusted: a hangup cause name, a SIP Call-ID, a trunk domain or a
 * carrier name may carry chat markup, line breaks or broken UTF-16. Whatever they hold, each
 * channel's form of every notification stays what the renderer meant: the chat code block is
 * not closed early and carries no live mention or link, the email keeps its lines, message
 * attributes are one short line, the SMS fits and is well-formed, the subject is one line.
 */

const NASTY = [
  '```',
  '`',
  '@here',
  '@channel',
  '@everyone',
  '<!channel>',
  '<!here>',
  '<@U0123ABC>',
  '<#C0123ABC>',
  '<!subteam^S0123|oncall>',
  '<http://evil.example|click here>',
  '<https://evil.example>',
  '[click](http://evil.example)',
  'https://evil.example/login',
  'www.evil.example',
  'evil.com',
  'mail@evil.com',
  '<at>Everyone</at>',
  '\n',
  '\r',
  '\r\n',
  '\u2028',
  '\u2029',
  '\u0085',
  '\t',
  '\v',
  '\f',
  '\u001b[2J',
  '\u202e',
  '\n\nWhat to check next:\n  - call +1 555 0100 now',
  '\uD83D',
  '\uDE00',
  '\uDBFF',
  '😀',
  '👩‍👩‍👧',
  'e\u0301\u0301',
  '🇬🇧',
];

const hostile = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
      // Any code point, surrogate halves included.
      {
        weight: 1,
        arbitrary: fc
          .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 4 })
          .map((points) => String.fromCodePoint(...points)),
      },
      { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
      // Long values put an emoji or a combining sequence at every cut boundary sooner or later.
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 40, maxLength: 180 }) },
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((parts) => parts.join(''));

const CALL_TEXT_FIELDS = [
  'sipCallId',
  'fromNumber',
  'toNumber',
  'hangupCauseName',
  'trunkDomain',
  'trunkId',
  'region',
  'fromCountry',
  'toCountry',
  'transportProtocol',
  // Typed as enums, but a renderer must not rely on the adapter having checked them.
  'direction',
  'stirVerification',
  'attestation',
] as const;

const hostileFields = fc.record({
  call: fc.record(
    Object.fromEntries(CALL_TEXT_FIELDS.map((f) => [f, hostile])) as Record<
      (typeof CALL_TEXT_FIELDS)[number],
      fc.Arbitrary<string>
    >,
  ),
  fromCarrier: hostile,
  toCarrier: hostile,
  fromNumber: hostile,
  toNumber: hostile,
  fromRegion: hostile,
  toRegion: hostile,
  hangupCause: hostile,
  reason: hostile,
});
type HostileFields = typeof hostileFields extends fc.Arbitrary<infer T> ? T : never;

const config = parseConfig({});
const T0 = new Date('2026-11-20T12:00:00Z');

function subjectOf(fields: HostileFields): { call: Call; insights: CallInsights } {
  const call = makeCall({
    ...(fields.call as unknown as Partial<Call>),
    hangupSource: 'zentrunk',
    hangupCauseCode: 5290,
  });
  const insights = makeInsights(call.callUuid, {
    from: { carrier: fields.fromCarrier, number: fields.fromNumber, region: fields.fromRegion },
    to: { carrier: fields.toCarrier, number: fields.toNumber, region: fields.toRegion },
    hangupCause: fields.hangupCause,
    hangupSource: fields.hangupCause,
    packetLossPct: 7,
    jitterMs: 80,
  });
  return { call, insights };
}

/** Every kind of notification, each carrying the hostile values wherever it shows CDR data. */
function renderAll(fields: HostileFields): AlertMessage[] {
  const { call, insights } = subjectOf(fields);
  const findings = evaluateRules([{ call, insights, insightsGaveUp: false }], config);
  if (findings.length < 2) throw new Error('expected several findings');
  // A finding as a rule might build it tomorrow: CDR text in the headline, value and advice.
  const crafted: Finding = {
    ruleId: 'zentrunk-hangup',
    severity: 'critical',
    headline: `hung up by Zentrunk: 5290 ${fields.call.hangupCauseName}`,
    measured: { metric: 'hangup', value: `5290 ${fields.hangupCause}`, unit: '' },
    threshold: { comparison: '=', value: 'hangup_source zentrunk', unit: '' },
    call,
    insights,
    nextSteps: [`Ask carrier ${fields.toCarrier} about it.`, 'Check status.plivo.com.'],
    override: null,
  };
  const all = [...findings, crafted];
  const options = { deploymentName: 'acme', maskPhoneNumbers: false, evaluatedAt: T0.toISOString() };

  const labels = groupLabels(crafted, ['carrier', 'direction', 'from_country', 'to_country', 'trunk_domain']);
  const group = afterNotice(addFindings(null, all, labels, T0, 5), 'firing', T0);
  const windowLabels = { ...labels, from_prefix: fields.call.fromNumber };
  const windowState = {
    ...emptyWindow('w1', 'packet-loss-spike', windowLabels),
    firingSince: T0.toISOString(),
  };
  const evaluation = { calls: 40, hits: 12, value: 0.3, threshold: 0.2, breach: true };
  const rule = windowRuleFor(config, 'packet-loss-spike', windowLabels);
  const health = {
    status: 'failing' as const,
    since: T0.toISOString(),
    kind: 'plivo-unavailable' as const,
    reason: fields.reason,
    consecutiveFailures: 3,
    notified: false,
  };

  return [
    ...all.map((f) => renderFindingAlert(f, options)),
    renderFindingAlert({ ...crafted, insights: null }, { ...options, maskPhoneNumbers: true }),
    renderGroupAlert(group, 'update', { deploymentName: 'acme', now: T0 }),
    renderGroupAlert(group, 'resolved', { deploymentName: 'acme', now: T0 }),
    renderWindowAlert(windowState, 'firing', evaluation, rule, config, { now: T0 }),
    renderWindowAlert(windowState, 'resolved', evaluation, rule, config, { now: T0 }),
    renderHealthMessage('failing', health, null, { deploymentName: 'acme', now: T0 }),
    renderHealthMessage('recovered', { ...health, status: 'healthy' }, health, {
      deploymentName: 'acme',
      now: T0,
    }),
    renderCatchUpSummary(all, {
      deploymentName: 'acme',
      runId: 'run-1',
      evaluatedAt: T0.toISOString(),
      alreadySent: 3,
    }),
  ];
}

/** The same notifications with harmless values: the shape every hostile rendering must keep. */
const BENIGN: HostileFields = {
  call: Object.fromEntries(CALL_TEXT_FIELDS.map((f) => [f, 'x'])) as HostileFields['call'],
  fromCarrier: 'x',
  toCarrier: 'x',
  fromNumber: 'x',
  toNumber: 'x',
  fromRegion: 'x',
  toRegion: 'x',
  hangupCause: 'x',
  reason: 'x',
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Anything a mail client, a terminal or SNS could take for a line break or a control. */
const BREAKS_OR_CONTROLS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** Plain checks in the loops (an `expect` per line and run is slow); a failure names the string. */
function expectOneLine(s: string) {
  if (BREAKS_OR_CONTROLS.test(s) || !isWellFormed(s)) {
    throw new Error(`not one well-formed line: ${JSON.stringify(s)}`);
  }
}

/** What Slack (mrkdwn) or Teams (markdown) would turn into a mention or a link. */
const LIVE_MARKUP: Array<[string, RegExp]> = [
  ['Slack control sequence or HTML tag', /<[^\s=]/],
  ['bare mention', /@(here|channel|everyone|all|group)\b/i],
  ['markdown inline link', /\]\(/],
  ['URL with a scheme', /[a-z][a-z0-9+.-]*:\/\//i],
  ['bare domain or www. link', /\.\p{L}/u],
  ['e-mail address link', /[\p{L}\p{N}]@[\p{L}\p{N}]/u],
];

function expectInertChat(field: string, s: string) {
  for (const [what, pattern] of LIVE_MARKUP) {
    const match = pattern.exec(s);
    if (match)
      throw new Error(
        `${field} has a live ${what}: ${JSON.stringify(s.slice(Math.max(0, match.index - 10)))}`,
      );
  }
  if (!isWellFormed(s)) throw new Error(`${field} is not well-formed UTF-16: ${JSON.stringify(s)}`);
}

const benign = renderAll(BENIGN);

describe('notifications carrying hostile CDR and Insights text', () => {
  // Already true before CDR text was sanitised per channel (subjects were made ASCII): a guard.
  it('keep one short ASCII line as subject', () => {
    fc.assert(
      fc.property(hostileFields, (fields) => {
        for (const message of renderAll(fields)) expect(message.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
      }),
      { numRuns: 100 },
    );
  });

  it('keep the email text to its lines: a value cannot forge one (no CR, NEL, U+2028, control)', () => {
    fc.assert(
      fc.property(hostileFields, (fields) => {
        renderAll(fields).forEach((message, i) => {
          const lines = message.text.split('\n');
          lines.forEach(expectOneLine);
          // A value cannot add a line (a forged "What to check next:"), nor remove one.
          expect(lines).toHaveLength(benign[i]?.text.split('\n').length ?? -1);
          expect(lines.filter((l) => l === 'What to check next:')).toHaveLength(
            benign[i]?.text.split('\n').filter((l) => l === 'What to check next:').length ?? -1,
          );
        });
      }),
      { numRuns: 100 },
    );
  });

  it('keep message attributes to one non-empty line of at most 256 characters', () => {
    fc.assert(
      fc.property(hostileFields, (fields) => {
        for (const message of renderAll(fields)) {
          for (const value of Object.values(message.attributes)) {
            expectOneLine(value);
            expect(value.trim()).not.toBe('');
            expect(value.length).toBeLessThanOrEqual(256);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('keep the SMS text within 160 characters, one line, well-formed UTF-16', () => {
    fc.assert(
      fc.property(hostileFields, (fields) => {
        for (const message of renderAll(fields)) {
          expect(message.shortText.length).toBeLessThanOrEqual(160);
          expectOneLine(message.shortText);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('stay inside the chat code block, with no live mention or link', () => {
    fc.assert(
      fc.property(hostileFields, (fields) => {
        for (const message of renderAll(fields)) {
          const chat = toChatNotification(message) as {
            content: { title: string; description: string; nextSteps: string[]; keywords: string[] };
            metadata: { summary: string };
          };
          const { title, description, nextSteps, keywords } = chat.content;
          expect(description.startsWith('```\n')).toBe(true);
          expect(description.endsWith('\n```')).toBe(true);
          const inside = description.slice(4, -4);
          expect(inside).not.toContain('`');
          expectInertChat('description', inside);
          expectInertChat('title', title);
          expectInertChat('summary', chat.metadata.summary);
          nextSteps.forEach((step) => expectInertChat('next step', step));
          keywords.forEach((k) => expectInertChat('keyword', k));
          for (const s of [title, chat.metadata.summary, ...nextSteps, ...keywords]) expectOneLine(s);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('reach SNS as a valid publish: one-line subject and attributes, a well-formed SMS of 160 or less', async () => {
    const client = new SNSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = new SnsNotifier({ topicArn: 'arn:aws:sns:us-east-1:123456789012:t', client });
    await fc.assert(
      fc.asyncProperty(hostileFields, async (fields) => {
        sns.resetHistory();
        for (const message of renderAll(fields)) {
          // Also a message whose short text was never cut to size by a renderer.
          await notifier.publish({ ...message, shortText: `${message.shortText} ${message.text}` });
        }
        for (const call of sns.commandCalls(PublishCommand)) {
          const input = call.args[0].input;
          expect(input.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
          for (const attribute of Object.values(input.MessageAttributes ?? {})) {
            const value = attribute.StringValue ?? '';
            expectOneLine(value);
            expect(value.trim()).not.toBe('');
            expect(value.length).toBeLessThanOrEqual(256);
          }
          const body = JSON.parse(input.Message ?? '{}') as Record<string, string>;
          expect((body.sms ?? '').length).toBeLessThanOrEqual(160);
          expect((body.sms ?? '').length).toBeGreaterThan(0);
          expectOneLine(body.sms ?? '');
        }
      }),
      { numRuns: 50 },
    );
  });
});
