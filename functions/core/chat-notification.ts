import type { AlertMessage } from './ports';
import { chatMarkdown, cutText, plainLine } from './untrusted-text';

const DESCRIPTION_MAX = 3500;

/** One line of chat markdown: the title, a next step, a keyword, the summary. */
const chatLine = (text: string) => chatMarkdown(plainLine(text));

/**
 * The Amazon Q Developer in chat applications (Slack, Teams) custom-notification form of an
 * alert. The dedup key is the thread id, so everything about one alert stays in one thread.
 *
 * Amazon Q renders `client-markdown` as the chat platform's markdown, and the alert carries
 * CDR text: every field shown in the channel goes through `chatMarkdown`, so nothing in a
 * value can close the code block, mention people (`@here`, `<!channel>`) or make a link.
 */
export function toChatNotification(message: AlertMessage): Record<string, unknown> {
  // Built from the message's structured parts, never by parsing its text back.
  const nextSteps = (message.nextSteps ?? []).map(chatLine).filter((line) => line.trim().length > 0);
  const description = `\`\`\`\n${cutText(chatMarkdown(message.overview ?? message.text), DESCRIPTION_MAX)}\n\`\`\``;
  return {
    version: '1.0',
    source: 'custom',
    id: message.dedupKey,
    content: {
      textType: 'client-markdown',
      title: chatLine(message.subject),
      description,
      nextSteps,
      keywords: [message.attributes.severity, message.attributes.rule, message.attributes.trunk_domain]
        .filter((k): k is string => typeof k === 'string')
        .map(chatLine)
        .filter((k) => k.trim().length > 0),
    },
    metadata: {
      threadId: message.dedupKey,
      summary: chatLine(message.shortText),
      eventType: message.attributes.rule ?? 'alert',
      additionalContext: message.json,
    },
  };
}
