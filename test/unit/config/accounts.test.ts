import {
  accountsOf,
  configForAccount,
  DEFAULT_POLLER,
  findAccount,
  messageForAccount,
  UnknownAccountError,
} from '../../../functions/core/accounts';
import { ConfigError, parseConfig } from '../../../functions/core/config/load-config';
import type { AlertMessage } from '../../../functions/core/ports';
import { toChatNotification } from '../../../functions/core/chat-notification';

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

const PLIVO = { maxRequestsPer5s: 100, callFilters: { callDirection: 'outbound' } };

describe('accounts in the runtime config', () => {
  it('without `accounts`: one account, "default", as before (state key poller, plivo section as is)', () => {
    const config = parseConfig({ plivo: PLIVO });
    expect(config.accounts).toBeUndefined();
    expect(accountsOf(config)).toEqual([
      { name: 'default', isDefault: true, poller: DEFAULT_POLLER, plivo: config.plivo },
    ]);
    expect(findAccount(config, undefined).name).toBe('default');
    expect(findAccount(config, 'default').name).toBe('default');
  });

  it('gives each account its own budget and filters, defaulting to the plivo section', () => {
    const config = parseConfig({
      plivo: PLIVO,
      accounts: [
        { name: 'default' },
        { name: 'acme', maxRequestsPer5s: 250 },
        { name: 'globex-eu', callFilters: { toNumber: '49' } },
      ],
    });
    const [main, acme, globex] = accountsOf(config);
    expect(main).toMatchObject({ name: 'default', isDefault: true, poller: 'poller' });
    expect(main?.plivo).toEqual(config.plivo);
    expect(acme).toMatchObject({ name: 'acme', isDefault: false, poller: 'acme' });
    expect(acme?.plivo).toEqual({ ...config.plivo, maxRequestsPer5s: 250 });
    // Filters replace the plivo section's as a whole: toNumber only, no callDirection.
    expect(globex?.plivo).toEqual({ ...config.plivo, callFilters: { toNumber: '49' } });
    expect(globex?.plivo.insightsConcurrency).toBe(config.plivo.insightsConcurrency);
  });

  it.each([
    ['a name twice', [{ name: 'acme' }, { name: 'acme' }], 'accounts[1].name: duplicate account name "acme"'],
    ['upper case', [{ name: 'Acme' }], 'accounts[0].name: must be a slug'],
    ['a name of 33 characters', [{ name: 'a'.repeat(33) }], 'accounts[0].name: must be a slug'],
    ['the default state key', [{ name: 'poller' }], 'accounts[0].name: "poller" is reserved'],
    ['an empty list', [], 'accounts: Too small'],
    [
      "a budget over Plivo's limit",
      [{ name: 'acme', maxRequestsPer5s: 301 }],
      'accounts[0].maxRequestsPer5s:',
    ],
    [
      'a bad filter',
      [{ name: 'acme', callFilters: { toNumber: 'x' } }],
      'accounts[0].callFilters.toNumber: must be digits',
    ],
    [
      'credentials in the runtime config',
      [{ name: 'acme', authToken: 'x' }],
      'accounts[0]: Unrecognized key: "authToken"',
    ],
    ['21 accounts', Array.from({ length: 21 }, (_, i) => ({ name: `a${i}` })), 'accounts: Too big'],
  ])('rejects %s', (_case, accounts, expected) => {
    expect(issuesOf({ accounts }).join('\n')).toContain(expected);
  });

  it('refuses a run for an account the config does not list, saying which it does', () => {
    const config = parseConfig({ accounts: [{ name: 'acme' }, { name: 'globex' }] });
    expect(() => findAccount(config, 'initech')).toThrow(UnknownAccountError);
    expect(() => findAccount(config, 'initech')).toThrow(
      'Unknown Plivo account "initech": the config watches "acme", "globex"',
    );
    // No account in the event means the default account, which this config does not watch.
    expect(() => findAccount(config, undefined)).toThrow(
      /names no Plivo account .* watches "acme", "globex"/,
    );
    expect(() => findAccount(config, { name: 'acme' })).toThrow(UnknownAccountError);
    const error = (() => {
      try {
        findAccount(config, 'x'.repeat(500));
      } catch (e) {
        return e as UnknownAccountError;
      }
      return null;
    })();
    expect(error?.failure).toBe('invocation-invalid');
    expect(error?.message.length).toBeLessThan(300);
  });
});

describe('an account run names its account', () => {
  const config = parseConfig({
    notifications: { deploymentName: 'zentrunk-prod' },
    plivo: PLIVO,
    accounts: [{ name: 'default' }, { name: 'acme', maxRequestsPer5s: 30 }],
  });
  const [main, acme] = accountsOf(config) as [
    ReturnType<typeof accountsOf>[0],
    ReturnType<typeof accountsOf>[0],
  ];
  const message: AlertMessage = {
    dedupKey: 'zentrunk-alerts:group:abc',
    subject: '[zentrunk-prod/acme CRITICAL] packet-loss-spike: 20 %',
    text: 'FIRING: packet-loss-spike\n\nAlert key: zentrunk-alerts:group:abc',
    overview: 'FIRING: packet-loss-spike',
    nextSteps: ['Check the network'],
    shortText: 'CRITICAL packet-loss-spike 20 % on acme.zt.plivo.com',
    json: { version: 1, dedupKey: 'zentrunk-alerts:group:abc' },
    attributes: { severity: 'critical', rule: 'packet-loss-spike' },
  };

  it('the default account: config and messages unchanged', () => {
    expect(configForAccount(config, main)).toEqual(config);
    expect(messageForAccount(main, message)).toBe(message);
  });

  it('another account: its budget, and its name after the deployment name in every subject', () => {
    const own = configForAccount(config, acme);
    expect(own.notifications.deploymentName).toBe('zentrunk-prod/acme');
    expect(own.plivo.maxRequestsPer5s).toBe(30);
    expect(own.rules).toBe(config.rules);
    expect(config.notifications.deploymentName).toBe('zentrunk-prod');
  });

  it('another account: text, SMS, JSON and the SNS attribute `account` name it', () => {
    const named = messageForAccount(acme, message);
    expect(named.text.split('\n')[0]).toBe('Plivo account: acme');
    expect(named.text).toContain(message.text);
    expect(named.shortText).toBe(`acme: ${message.shortText}`);
    expect(named.json).toEqual({ ...message.json, account: 'acme' });
    expect(named.attributes).toEqual({ ...message.attributes, account: 'acme' });
    expect(named.dedupKey).toBe(message.dedupKey);
    expect(named.chat).toBeUndefined();
    expect(message.attributes).not.toHaveProperty('account');

    const long = messageForAccount(acme, { ...message, shortText: 'x'.repeat(160) });
    expect(long.shortText).toHaveLength(160);
  });

  it('another account: the chat form threads per account', () => {
    const chat = toChatNotification(message);
    const named = messageForAccount(acme, { ...message, chat });
    const metadata = named.chat?.metadata as { threadId: string; additionalContext: Record<string, unknown> };
    expect(metadata.threadId).toBe('acme/zentrunk-alerts:group:abc');
    expect(metadata.additionalContext.account).toBe('acme');
    expect(named.chat?.id).toBe('acme/zentrunk-alerts:group:abc');
  });
});
