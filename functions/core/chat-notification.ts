import type { AlertMessage } from './ports';

const DESCRIPTION_MAX = 3500;

/**
 * The Amazon Q Developer in chat applications (Slack, Teams) custom-notification form of an
 * alert. The dedup key is the thread id, so everything about one alert stays in one thread.
 */
export function toChatNotification(message: AlertMessage): Record<string, unknown> {
  const [what, ...rest] = message.text.split('\n\nWhat to check next:\n');
  const nextSteps = (rest.join('\n').split('\n\n')[0] ?? '')
    .split('\n')
    .map((line) => line.replace(/^\s*-\s*/, '').trim())
    .filter((line) => line.length > 0);
  const description = `\`\`\`\n${(what ?? message.text).slice(0, DESCRIPTION_MAX)}\n\`\`\``;
  return {
    version: '1.0',
    source: 'custom',
    id: message.dedupKey,
    content: {
      textType: 'client-markdown',
      title: message.subject,
      description,
      nextSteps,
      keywords: [
        message.attributes.severity,
        message.attributes.rule,
        message.attributes.trunk_domain,
      ].filter((k): k is string => typeof k === 'string' && k.length > 0),
    },
    metadata: {
      threadId: message.dedupKey,
      summary: message.shortText,
      eventType: message.attributes.rule ?? 'alert',
      additionalContext: message.json,
    },
  };
}
