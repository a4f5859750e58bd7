/**
 * Text from Plivo (CDR and Insights fields: hangup cause names, SIP Call-IDs, trunk domains,
 * carrier names, numbers, countries) and from error messages is untrusted: whoever can shape a
 * call can shape it. Each channel a notification lands in gets its own sanitiser here, and every
 * length cut goes through `cutText`/`cutUtf8`, which never split a character:
 *
 * - plain text (email body, terminal, SMS): `plainLine` — a value stays on its line;
 * - chat markdown (Amazon Q Developer custom notifications → Slack mrkdwn / Teams markdown):
 *   `chatMarkdown` — no code fence, mention or link can come out of a value;
 * - SNS message attributes: `attributeValue` — one short trimmed line;
 * - SNS subjects: `asciiLine` plus the subject rules in `alert-message.ts`.
 */

/** Invisible: breaks markup (a mention, a link) without changing what people read. */
export const ZERO_WIDTH_SPACE = '\u200B';
/** SNS message attribute values are kept to this many UTF-16 code units. */
export const ATTRIBUTE_MAX = 256;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/**
 * C0 and C1 controls (tab, CR, LF, ESC, NEL...), DEL, the Unicode line and paragraph
 * separators: anything a mail client, a terminal or a chat client may take for a line break or
 * a command. Each becomes a space.
 */
const BREAKS_AND_CONTROLS = /[\p{Cc}\u2028\u2029]/gu;
/** Bidirectional overrides and isolates reorder what is displayed ("Trojan source"): dropped. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Noncharacters SNS refuses in attribute values (outside the XML character range). */
const NONCHARACTERS = /[\ufffe\uffff]/g;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Lone surrogate halves become U+FFFD, so the text is well-formed UTF-16 (and valid UTF-8). */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

function isHighSurrogate(code: number | undefined): boolean {
  return code !== undefined && code >= 0xd800 && code <= 0xdbff;
}

/**
 * The largest index <= `index` where `text` may be cut: a grapheme boundary (an emoji, a flag,
 * a letter with its combining marks stay whole), else at least a code point boundary (for a
 * "grapheme" longer than the look-back, e.g. hundreds of combining marks).
 */
function boundaryAtOrBefore(text: string, index: number): number {
  if (index >= text.length) return text.length;
  if (index <= 0) return 0;
  const LOOK = 64;
  const from = Math.max(0, index - LOOK);
  let best = -1;
  // Segmented a little past `index`: whether `index` is a boundary depends on what follows it.
  for (const { index: at } of graphemes.segment(text.slice(from, index + 16))) {
    const absolute = from + at;
    if (absolute > index) break;
    // The window may start inside a grapheme; its first "boundary" is only trusted at 0.
    if (at === 0 && from > 0) continue;
    best = absolute;
  }
  if (best > 0 || (best === 0 && from === 0)) return best;
  return isHighSurrogate(text.charCodeAt(index - 1)) ? index - 1 : index;
}

/**
 * At most `max` UTF-16 code units (JavaScript's `length`, what SMS and SNS count), cut at a
 * character boundary; when cut, `ellipsis` ends the text and is counted in `max`.
 */
export function cutText(text: string, max: number, ellipsis = ''): string {
  if (text.length <= max) return text;
  const mark = ellipsis.length < max ? ellipsis : '';
  return `${text.slice(0, boundaryAtOrBefore(text, Math.max(0, max - mark.length)))}${mark}`;
}

/** At most `maxBytes` of UTF-8, cut at a character boundary. */
export function cutUtf8(text: string, maxBytes: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back to the first byte of the character the limit falls in (UTF-8 continuation: 10xxxxxx).
  while (end > 0 && ((encoded[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  // Each code point is one UTF-16 unit (two for astral ones, four bytes in UTF-8); a lone
  // surrogate is encoded as U+FFFD, still one unit: so the decoded prefix's length is the index.
  const units = encoded.subarray(0, end).toString('utf8').length;
  return text.slice(0, boundaryAtOrBefore(text, units));
}

/**
 * One line of plain text: line breaks and control characters become spaces, bidirectional
 * controls are dropped, broken UTF-16 is repaired. Spacing is kept (renderers align columns).
 */
export function plainLine(text: string): string {
  return wellFormed(text).replace(BREAKS_AND_CONTROLS, ' ').replace(BIDI_CONTROLS, '');
}

/** Plain text of several lines: each line as `plainLine`, the renderer's own line breaks kept. */
export function plainText(text: string): string {
  return text.split('\n').map(plainLine).join('\n');
}

/**
 * A value fit for an SNS message attribute: one trimmed line with single spaces, at most
 * `max` code units. May be '' (SNS refuses empty values: the caller leaves the attribute out or
 * puts a placeholder).
 */
export function attributeValue(text: string, max = ATTRIBUTE_MAX): string {
  const line = plainLine(text).replace(NONCHARACTERS, '\uFFFD').replace(/\s+/g, ' ').trim();
  return cutText(line, max).trim();
}

/**
 * Group-by labels (trunk, countries, carrier...) as SNS message attributes, for subscription
 * filter policies: each value one short line; one that cleans up to nothing reads "unknown",
 * as a label the call does not have does.
 */
export function labelAttributes(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).map(([name, value]) => [name, attributeValue(value) || 'unknown']),
  );
}

/**
 * Text made inert for chat markdown (Slack mrkdwn and Teams markdown, as Amazon Q Developer
 * renders `client-markdown`), readable as before:
 *
 * - backticks become U+02CB (ˋ): no code span or fence can open or close;
 * - `<` before anything but a space or `=` becomes U+2039 (‹): no Slack control sequence
 *   (`<!channel>`, `<@U1>`, `<http://x|y>`), no HTML or Teams `<at>` tag, no autolink;
 * - `@` is followed by a zero-width space: no `@here`, `@channel`, `@everyone`, no e-mail link;
 * - `]` is followed by a zero-width space: no markdown link `[x](http://…)`;
 * - `://` and a dot before a letter get a zero-width space: no bare URL or domain is linkified
 *   (`https://evil.example`, `www.evil.example`, `evil.com`).
 *
 * Line breaks are kept (a description is several lines); everything else as `plainLine`.
 */
export function chatMarkdown(text: string): string {
  return plainText(text)
    .replace(/`/g, '\u02CB')
    .replace(/<(?=[^\s=])/g, '\u2039')
    .replace(/[@\uFF20]/g, (at) => `${at}${ZERO_WIDTH_SPACE}`)
    .replace(/\]/g, `]${ZERO_WIDTH_SPACE}`)
    .replace(/:\/\//g, `:${ZERO_WIDTH_SPACE}//`)
    .replace(/([.\u3002\uFF0E\uFF61])(?=\p{L})/gu, `$1${ZERO_WIDTH_SPACE}`);
}

/**
 * Only printable ASCII on one line (SNS subjects): whitespace runs become one space, accents
 * are taken off (é → e), anything else non-ASCII is dropped.
 */
export function asciiLine(text: string): string {
  return wellFormed(text)
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** A deep copy of plain data with every string passed through `clean` (keys are kept). */
export function mapStrings<T>(value: T, clean: (text: string) => string): T {
  if (typeof value === 'string') return clean(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => mapStrings(item, clean)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapStrings(v, clean)]),
    ) as T;
  }
  return value;
}
