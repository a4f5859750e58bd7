import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { JsonLogger } from '../../../functions/adapters/logging/json-logger';

const capture = (options: ConstructorParameters<typeof JsonLogger>[0] = {}) => {
  const lines: string[] = [];
  const logger = new JsonLogger({ ...options, write: (l) => lines.push(l) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
};

describe('JsonLogger', () => {
  it('writes one JSON object per line, with Powertools keys, the service and context', () => {
    const { logger, parsed } = capture({ serviceName: 'x', context: { deployment: 'd1' } });
    logger.child({ runId: 'r1' }).info('hello', { n: 1 });
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'hello',
        service: 'x',
        deployment: 'd1',
        runId: 'r1',
        n: 1,
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  it('never prints a registered secret, wherever it appears', () => {
    const { logger, lines } = capture();
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
    // The error keeps its shape (and its stack, scrubbed too).
    expect(JSON.parse(lines[0] as string).error).toMatchObject({
      name: 'Error',
      message: 'request with [REDACTED] failed',
      stack: expect.stringContaining('[REDACTED]'),
    });
  });

  it('scrubs the base64 credentials of an Authorization header, and the token inside them', () => {
    const { logger, lines } = capture();
    const token = 'plivo-auth-token-0123456789';
    const encoded = Buffer.from(`MAAUTHID0000:${token}`).toString('base64');
    for (const secret of [token, encoded, `Basic ${encoded}`]) logger.addSecret(secret);
    logger.warn('upstream echoed the request', {
      headers: { Authorization: `Basic ${encoded}` },
      echo: `Basic ${encoded}`,
      body: `{"auth":"${encoded}","token":"${token}"}`,
    });
    const out = lines.join('\n');
    expect(out).not.toContain(encoded);
    expect(out).not.toContain(token);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ echo: '[REDACTED]' });
  });

  it('scrubs a secret that JSON escapes in the line (quotes, backslashes)', () => {
    const { logger, lines } = capture();
    const secret = 'ab"cd\\ef/gh+ij=';
    logger.addSecret(secret);
    logger.warn('echo', { body: `x ${secret} y`, error: new Error(`failed: ${secret}`) });
    expect(lines.join('\n')).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      body: 'x [REDACTED] y',
      error: { message: 'failed: [REDACTED]' },
    });
  });

  it('scrubs a longer secret whole even when a shorter one inside it was registered first', () => {
    const { logger, parsed } = capture();
    logger.addSecret('inner-secret');
    logger.addSecret('outer-inner-secret-tail');
    logger.info('echo', { text: 'a outer-inner-secret-tail b' });
    expect(parsed()[0]).toMatchObject({ text: 'a [REDACTED] b' });
  });

  it('respects the level', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('quiet');
    logger.warn('loud');
    expect(lines).toHaveLength(1);
  });
});

describe('JsonLogger children', () => {
  it('scrub a secret registered on the parent after the child was made', () => {
    const { logger: root, lines } = capture();
    const child = root.child({ runId: 'r1' });
    root.addSecret('late-registered-token');
    child.error('failed', { error: new Error('401 for late-registered-token') });
    expect(lines.join('\n')).not.toContain('late-registered-token');
    expect(root.scrubText('x late-registered-token y')).toBe('x [REDACTED] y');
    expect(child.scrubText('late-registered-token')).toBe('[REDACTED]');
  });
});

describe('JsonLogger log level from the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['AWS_LAMBDA_LOG_LEVEL', 'POWERTOOLS_LOG_LEVEL']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('follows the function log level Lambda sets (advanced logging controls): DEBUG shows debug lines', () => {
    process.env.AWS_LAMBDA_LOG_LEVEL = 'DEBUG';
    const { logger, parsed } = capture();
    logger.debug('detail');
    logger.child({ runId: 'r1' }).debug('child detail');
    expect(parsed().map((l) => [l.level, l.message])).toEqual([
      ['DEBUG', 'detail'],
      ['DEBUG', 'child detail'],
    ]);
  });

  it('WARN from Lambda wins over a more verbose level asked for in code', () => {
    process.env.AWS_LAMBDA_LOG_LEVEL = 'WARN';
    const { logger, parsed } = capture({ level: 'debug' });
    logger.info('quiet');
    logger.error('loud');
    expect(parsed().map((l) => l.message)).toEqual([
      // Powertools says so, through the same sink.
      expect.stringContaining('does not match AWS Lambda Advanced Logging Controls'),
      'loud',
    ]);
  });

  it('without a function log level: INFO, no debug lines', () => {
    delete process.env.AWS_LAMBDA_LOG_LEVEL;
    delete process.env.POWERTOOLS_LOG_LEVEL;
    const { logger, parsed } = capture();
    logger.debug('hidden');
    logger.info('shown');
    expect(parsed().map((l) => l.message)).toEqual(['shown']);
  });
});

describe('JsonLogger in a middy handler (injectLambdaContext)', () => {
  const context = {
    functionName: 'zentrunk-alerts-poller',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:zentrunk-alerts-poller',
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
  };

  const initType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  afterAll(() => {
    if (initType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = initType;
  });

  it('puts the Lambda context and the correlation id on every line of a run, and neither after it', async () => {
    // What Lambda sets; Powertools reports cold starts only then.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const { logger, parsed } = capture({ serviceName: 'svc' });
    const handler = middy(async (_event: unknown, ctx: { awsRequestId: string }) => {
      logger.powertools.setCorrelationId(`run-${ctx.awsRequestId}`);
      logger.info('inside');
      logger.child({ part: 'x' }).info('inside, child');
    }).use(injectLambdaContext(logger.powertools, { resetKeys: true }));

    await handler({}, context as never);
    await handler({}, { ...context, awsRequestId: 'req-2' } as never);
    logger.info('outside');

    const [first, child, second, , outside] = parsed();
    for (const line of [first, child]) {
      expect(line).toMatchObject({
        service: 'svc',
        function_name: 'zentrunk-alerts-poller',
        function_request_id: 'req-1',
        correlation_id: 'run-req-1',
      });
    }
    expect(first).toMatchObject({ cold_start: true });
    expect(second).toMatchObject({
      function_request_id: 'req-2',
      correlation_id: 'run-req-2',
      cold_start: false,
    });
    expect(outside).not.toHaveProperty('correlation_id');
  });
});
