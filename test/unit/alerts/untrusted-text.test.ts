import {
  asciiLine,
  attributeValue,
  chatMarkdown,
  cutText,
  cutUtf8,
  labelAttributes,
  mapStrings,
  plainLine,
  plainText,
  wellFormed,
} from '../../../functions/core/untrusted-text';

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('cutText', () => {
  it('leaves text that fits alone', () => {
    expect(cutText('abc', 3)).toBe('abc');
    expect(cutText('abc', 3, '...')).toBe('abc');
  });

  it('never splits a surrogate pair, a flag, a ZWJ emoji or a letter from its accents', () => {
    expect(cutText('ab😀', 3)).toBe('ab');
    expect(cutText('a🇬🇧', 4)).toBe('a');
    expect(cutText('a👩‍👩‍👧b', 6)).toBe('a');
    expect(cutText('ae\u0301\u0301', 3)).toBe('a');
    expect(cutText(`${'x'.repeat(159)}😀`, 160)).toBe('x'.repeat(159));
  });

  it('counts the ellipsis in the limit', () => {
    expect(cutText('abcdef', 5, '...')).toBe('ab...');
    expect(cutText('ab😀def', 6, '...')).toBe('ab...');
    expect(cutText('abcdef', 2, '...')).toBe('ab');
  });

  it('falls back to a code point boundary inside a huge "grapheme"', () => {
    const zalgo = `e${'\u0301'.repeat(300)}`;
    expect(cutText(zalgo, 100)).toHaveLength(100);
    const astral = `e${'\u{1D165}'.repeat(100)}`; // combining marks outside the BMP
    const cut = cutText(astral, 101);
    expect(cut.length).toBeLessThanOrEqual(101);
    expect(cut).not.toMatch(LONE);
  });
});

describe('cutUtf8', () => {
  it('keeps to the byte limit without splitting a character', () => {
    expect(cutUtf8('héllo', 2)).toBe('h');
    expect(cutUtf8('héllo', 3)).toBe('hé');
    expect(cutUtf8('a😀b', 4)).toBe('a');
    expect(cutUtf8('a👩‍👩‍👧b', 12)).toBe('a');
    expect(cutUtf8('ae\u0301', 3)).toBe('a');
    expect(cutUtf8('abc', 3)).toBe('abc');
  });

  it('counts a lone surrogate as the 3 bytes of U+FFFD it is sent as', () => {
    expect(cutUtf8('a\uD800bc', 4)).toBe('a\uD800');
    expect(cutUtf8('a\uD800bc', 3)).toBe('a');
  });
});

describe('plainLine and plainText', () => {
  it('turn every line break and control into a space, drop bidi overrides, repair UTF-16', () => {
    expect(plainLine('a\nb\rc\r\nd\u2028e\u2029f\u0085g\th\u001b[2Ji\u009bj\v\f')).toBe(
      'a b c  d e f g h [2Ji j  ',
    );
    expect(plainLine('abc\u202egnp.exe')).toBe('abcgnp.exe');
    expect(plainLine('x\uD800y\uDC00')).toBe('x\uFFFDy\uFFFD');
    expect(plainLine('Telefónica 😀 👩‍👩‍👧')).toBe('Telefónica 😀 👩‍👩‍👧');
  });

  it("plainText keeps the renderer's own line breaks and cleans each line", () => {
    expect(plainText('What: a\r\nWhere: b\u2028c')).toBe('What: a \nWhere: b c');
  });

  it('wellFormed repairs only what is broken', () => {
    expect(wellFormed('😀\uD83D')).toBe('😀\uFFFD');
  });
});

describe('attributeValue and labelAttributes', () => {
  it('make one trimmed line of single spaces, at most 256 characters, repaired', () => {
    expect(attributeValue('  acme\n.zt\t.plivo.com  ')).toBe('acme .zt .plivo.com');
    expect(attributeValue(`${'x'.repeat(255)}😀`)).toBe('x'.repeat(255));
    expect(attributeValue('a\uFFFEb\uDC00')).toBe('a\uFFFDb\uFFFD');
    expect(attributeValue('\n\r\t ')).toBe('');
  });

  it('labelAttributes says "unknown" for a label that cleans up to nothing', () => {
    expect(labelAttributes({ trunk_domain: '\n', to_country: 'GB\r\n' })).toEqual({
      trunk_domain: 'unknown',
      to_country: 'GB',
    });
  });
});

describe('chatMarkdown', () => {
  it('neutralises code fences, mentions, Slack control sequences and links, keeping lines', () => {
    expect(chatMarkdown('```\n@here <!channel> <@U1> <#C1> <http://x.io|y> [a](http://x.io)')).toBe(
      'ˋˋˋ\n@\u200bhere ‹!channel> ‹@\u200bU1> ‹#C1> ‹http:\u200b//x.\u200bio|y> [a]\u200b(http:\u200b//x.\u200bio)',
    );
    expect(chatMarkdown('www.evil.example mail@evil.com <at>All</at>')).toBe(
      'www.\u200bevil.\u200bexample mail@\u200bevil.\u200bcom ‹at>All‹/at>',
    );
  });

  it('leaves alone what is no markup: comparisons, numbers, arrows', () => {
    expect(chatMarkdown('loss 2.4 % >= 0.9 % | 25.0 % <= 40.0 % | US->GB')).toBe(
      'loss 2.4 % >= 0.9 % | 25.0 % <= 40.0 % | US->GB',
    );
  });

  it('cleans controls as plainLine does', () => {
    expect(chatMarkdown('a\rb\u2028c\u202e')).toBe('a b c');
  });
});

describe('asciiLine', () => {
  it('is printable ASCII on one line, accents taken off', () => {
    expect(asciiLine(' Telefónica\n\u2028Deutschland\u0000 😀 ')).toBe('Telefonica Deutschland');
    expect(asciiLine('\uD800')).toBe('');
  });
});

describe('mapStrings', () => {
  it('cleans every string of plain data, deep, and keeps the rest', () => {
    const data = { a: 'x\ny', n: 1, z: null, list: ['p\rq', { b: 'r\u2028s' }], t: true };
    expect(mapStrings(data, plainLine)).toEqual({
      a: 'x y',
      n: 1,
      z: null,
      list: ['p q', { b: 'r s' }],
      t: true,
    });
    expect(data.a).toBe('x\ny');
  });
});
