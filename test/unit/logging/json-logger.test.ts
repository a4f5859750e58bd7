import { JsonLogger } from '../../../functions/adapters/logging/json-logger';

describe('JsonLogger', () => {
  it('writes one JSON object per line with context', () => {
    const lines: string[] = [];
    const logger = new JsonLogger({ write: (l) => lines.push(l), context: { service: 'x' } }).child({
      runId: 'r1',
    });
    logger.info('hello', { n: 1 });
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'info',
      message: 'hello',
      service: 'x',
      runId: 'r1',
      n: 1,
    });
  });

  it('never prints a registered secret, wherever it appears', () => {
    const lines: string[] = [];
    const logger = new JsonLogger({ write: (l) => lines.push(l) });
    logger.addSecret('s3cr3t-token-value');
    logger.child({}).error('failed', {
      error: new Error('request with s3cr3t-token-value failed'),
      nested: { url: 'https://x/?t=s3cr3t-token-value' },
      authToken: 'anything',
    });
    const out = lines.join('\n');
    expect(out).not.toContain('s3cr3t-token-value');
    expect(out).not.toContain('anything');
    expect(out).toContain('[REDACTED]');
  });

  it('scrubs a secret that JSON escapes in the line (quotes, backslashes)', () => {
    const lines: string[] = [];
    const logger = new JsonLogger({ write: (l) => lines.push(l) });
    const secret = 'ab"cd\\ef/gh+ij=';
    logger.addSecret(secret);
    logger.warn('echo', { body: `x ${secret} y`, error: new Error(`failed: ${secret}`) });
    expect(lines.join('\n')).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(JSON.parse(lines[0] as string)).toMatchObject({ body: 'x [REDACTED] y' });
  });

  it('scrubs a longer secret whole even when a shorter one inside it was registered first', () => {
    const lines: string[] = [];
    const logger = new JsonLogger({ write: (l) => lines.push(l) });
    logger.addSecret('inner-secret');
    logger.addSecret('outer-inner-secret-tail');
    logger.info('echo', { text: 'a outer-inner-secret-tail b' });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ text: 'a [REDACTED] b' });
  });

  it('respects the level', () => {
    const lines: string[] = [];
    const logger = new JsonLogger({ write: (l) => lines.push(l), level: 'warn' });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines).toHaveLength(1);
  });
});

describe('JsonLogger children', () => {
  it('scrub a secret registered on the parent after the child was made', () => {
    const lines: string[] = [];
    const root = new JsonLogger({ write: (l) => lines.push(l) });
    const child = root.child({ runId: 'r1' });
    root.addSecret('late-registered-token');
    child.error('failed', { error: new Error('401 for late-registered-token') });
    expect(lines.join('\n')).not.toContain('late-registered-token');
    expect(root.scrubText('x late-registered-token y')).toBe('x [REDACTED] y');
  });
});
