import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../../functions/adapters/sns/sns-notifier';
import { renderFindingAlert } from '../../../functions/core/alert-message';
import { renderCatchUpSummary } from '../../../functions/core/catch-up-summary';
import { toChatNotification } from '../../../functions/core/chat-notification';
import { parseConfig } from '../../../functions/core/config/load-config';
import { evaluateRules } from '../../../functions/core/rules/evaluate-rules';
import { evaluated } from '../../support/calls';

const [finding] = evaluateRules([evaluated({ toCountry: 'GB' }, { packetLossPct: 2.4 })], parseConfig({}));
if (!finding) throw new Error('expected a finding');
const message = renderFindingAlert(finding, {
  deploymentName: 'acme',
  maskPhoneNumbers: false,
  evaluatedAt: '2024-01-15T14:40:00.000Z',
});

/** What people read: the zero-width spaces that keep domains from turning into links, removed. */
const visible = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('\u200b', ''));

describe('Amazon Q chat notifications', () => {
  it('follow the custom-notification schema, threaded on the alert key', () => {
    const chat = toChatNotification(message);
    expect(visible(chat)).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: message.subject,
        keywords: ['warning', 'packet-loss', '93667062664669661.zt.plivo.com'],
      },
      metadata: { threadId: message.dedupKey, summary: message.shortText },
    });
    const content = chat.content as { description: string; nextSteps: string[] };
    expect(content.description).toContain('measured packet loss 2.4 %');
    expect(content.nextSteps[0]).toMatch(/^Check the network path/);
  });

  it('carries the next steps of every kind of message, a catch-up summary included', () => {
    const summary = renderCatchUpSummary([finding, finding], {
      deploymentName: 'acme',
      runId: 'r1',
      evaluatedAt: '2024-01-15T14:40:00.000Z',
      alreadySent: 25,
    });
    const content = toChatNotification(summary).content as { description: string; nextSteps: string[] };
    expect(content.nextSteps).toHaveLength(2);
    expect(content.nextSteps[0]).toMatch(/^Many findings at once/);
    // The description is what happened; the steps are not repeated in it.
    expect(content.description).not.toContain('What to do next');
    expect(content.description).toContain('2 more findings');
  });

  it('cannot be turned by CDR text into a closed code block, a mention or a link', () => {
    const [hostile] = evaluateRules(
      [
        evaluated(
          {
            hangupSource: 'zentrunk',
            hangupCauseCode: 5290,
            hangupCauseName: 'x\n```\n<!channel> @here see [docs](http://evil.example)',
            sipCallId: '<http://evil.example|Plivo status> <@U0123ABC>',
            trunkDomain: 'evil.com',
          },
          { to: { carrier: 'Acme `code` https://evil.example/x', number: null, region: null } },
        ),
      ],
      parseConfig({}),
    );
    if (!hostile) throw new Error('expected a finding');
    const chat = toChatNotification(
      renderFindingAlert(hostile, {
        deploymentName: 'acme',
        maskPhoneNumbers: false,
        evaluatedAt: '2024-01-15T14:40:00.000Z',
      }),
    ) as {
      content: { title: string; description: string; keywords: string[] };
      metadata: { summary: string };
    };
    const { title, description, keywords } = chat.content;

    // One code block, whole: the fence in the cause name is no fence any more, and stays on its line.
    expect(description.match(/```/g)).toHaveLength(2);
    expect(description).toContain(
      'Hangup:    5290 x ˋˋˋ ‹!channel> @\u200bhere see [docs]\u200b(http:\u200b//evil.\u200bexample)',
    );
    expect(description).toContain(
      '(SIP Call-ID ‹http:\u200b//evil.\u200bexample|Plivo status> ‹@\u200bU0123ABC>)',
    );
    expect(description).toContain('to Acme ˋcodeˋ https:\u200b//evil.\u200bexample/x');
    for (const text of [title, description, chat.metadata.summary, ...keywords]) {
      expect(text).not.toMatch(/<[!@#h]|@here|\]\(|https?:\/\/|evil\.com/);
    }
    expect(keywords).toContain('evil.\u200bcom');
    // Reads as before: only invisible characters and look-alikes were put in.
    expect(visible(title)).toBe(
      '[acme CRITICAL] zentrunk-hangup: hung up by Zentrunk: 5290 x ˋˋˋ ‹!channel> @here see [docs](htt...',
    );
  });

  it('go out as the HTTPS and default bodies; email, SMS and queues keep their own forms', async () => {
    const client = new SNSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = new SnsNotifier({ topicArn: 'arn:aws:sns:us-east-1:123456789012:chat', client });

    await notifier.publish({ ...message, chat: toChatNotification(message) });

    const body = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');
    expect(JSON.parse(body.https).metadata.threadId).toBe(message.dedupKey);
    expect(JSON.parse(body.default).source).toBe('custom');
    expect(JSON.parse(body.sqs)).toMatchObject({ dedupKey: message.dedupKey, rule: 'packet-loss' });
    expect(body.email).toBe(message.text);
    expect(body.sms).toBe(message.shortText);
  });
});
