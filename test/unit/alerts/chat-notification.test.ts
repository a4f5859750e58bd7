import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../../functions/adapters/sns/sns-notifier';
import { renderFindingAlert } from '../../../functions/core/alert-message';
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

describe('Amazon Q chat notifications', () => {
  it('follow the custom-notification schema, threaded on the alert key', () => {
    const chat = toChatNotification(message);
    expect(chat).toMatchObject({
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
