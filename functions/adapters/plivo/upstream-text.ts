/**
 * What may be repeated of text that came from upstream (Plivo, or a proxy in between): error
 * bodies, Plivo's `error`, header values, payload strings. Anything of it can echo the
 * credentials back, so it is scrubbed first and cut second: cutting first could leave a piece
 * of the token that no longer matches the whole.
 */

export const REDACTED = '[REDACTED]';

/** Shortest piece of a secret redacted on its own (a token cut in the middle by someone's length cap). */
export const SECRET_FRAGMENT_LENGTH = 8;

/**
 * Replaces secrets in text. `exact` replaces whole secrets only and is cheap enough for whole
 * response bodies; `full` also replaces every run of at least SECRET_FRAGMENT_LENGTH characters
 * that is a piece of a secret, and is meant for the short texts that reach messages and logs.
 */
export class SecretScrubber {
  /** Longest first, so that a secret containing another is replaced whole. */
  private readonly secrets: string[];
  private readonly fragments: string[];
  private readonly replacements: ReadonlyArray<readonly [string, string]>;

  /**
   * @param secrets whole values never to repeat (the token, the base64 credentials, the header)
   * @param fragmentSources values of which no piece may be repeated either (the token, the base64 credentials)
   * @param replacements public values to replace in messages (the Auth ID → `{auth_id}`)
   */
  constructor(
    secrets: readonly string[],
    fragmentSources: readonly string[] = [],
    replacements: ReadonlyArray<readonly [string, string]> = [],
  ) {
    this.secrets = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
    const fragments = new Set<string>();
    for (const source of fragmentSources) {
      for (let i = 0; i + SECRET_FRAGMENT_LENGTH <= source.length; i += 1) {
        fragments.add(source.slice(i, i + SECRET_FRAGMENT_LENGTH));
      }
    }
    this.fragments = [...fragments];
    this.replacements = replacements.filter(([from]) => from.length > 0);
  }

  /** Whole secrets replaced. */
  exact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** Whole secrets, then every piece of one, replaced; then the public replacements. */
  full(text: string): string {
    let out = this.withoutFragments(this.exact(text));
    for (const [from, to] of this.replacements) out = out.split(from).join(to);
    return out;
  }

  private withoutFragments(text: string): string {
    const hits: Array<[number, number]> = [];
    for (const fragment of this.fragments) {
      for (let at = text.indexOf(fragment); at >= 0; at = text.indexOf(fragment, at + 1)) {
        hits.push([at, at + fragment.length]);
      }
    }
    if (hits.length === 0) return text;
    hits.sort((a, b) => a[0] - b[0]);
    // Overlapping or touching pieces are one run, replaced once.
    const runs: Array<[number, number]> = [];
    for (const [from, to] of hits) {
      const last = runs[runs.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else runs.push([from, to]);
    }
    let out = '';
    let done = 0;
    for (const [from, to] of runs) {
      out += text.slice(done, from) + REDACTED;
      done = to;
    }
    return out + text.slice(done);
  }
}

/** At most `max` characters; a cut text ends in '…'. Cut only text that has been scrubbed. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** One line of printable text: control characters become spaces. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}
