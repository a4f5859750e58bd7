import { toChatNotification } from './chat-notification';
import type { AlertConfig } from './config/schema';
import { AlerterError, type FailureKind } from './errors';
import type { AlertMessage } from './ports';
import { cutText } from './untrusted-text';

/**
 * Several Plivo accounts (or subaccounts) watched by one deployment. Each account is polled by
 * its own run (its own Lambda invocation, with its own request budget, call filters and
 * credentials) and keeps its own state under its own `poller` key in the shared table.
 *
 * A config without `accounts` watches one account, named "default", exactly as before accounts
 * existed: state key `poller`, alert dedup keys without an account, metrics without an
 * `Account` dimension, messages that do not name an account. Listing "default" among the
 * accounts keeps those for it, so an existing deployment can add accounts without losing its
 * cursor and dedup history.
 */

export const DEFAULT_ACCOUNT = 'default';
/** The state key (`poller`) of the default account, as it has always been. */
export const DEFAULT_POLLER = 'poller';

export interface PlivoAccount {
  name: string;
  /** The default account: no account in its state keys, metrics or messages. */
  isDefault: boolean;
  /** The state store's `poller` key: `poller` for the default account, else the name. */
  poller: string;
  /** The plivo section with this account's request budget and call filters. */
  plivo: AlertConfig['plivo'];
}

/**
 * A run named an account the config does not list: it fails visibly (log, Lambda error, and the
 * deployment's own metrics, run log and health: functions/poller/handler.ts).
 */
export class UnknownAccountError extends AlerterError {
  override name = 'UnknownAccountError';
  override readonly failure: FailureKind = 'invocation-invalid';
}

/** The state key of an account name. */
export function pollerOf(name: string): string {
  return name === DEFAULT_ACCOUNT ? DEFAULT_POLLER : name;
}

/** Every account the config watches, in config order (the default alone without `accounts`). */
export function accountsOf(config: AlertConfig): PlivoAccount[] {
  const listed = config.accounts ?? [{ name: DEFAULT_ACCOUNT }];
  return listed.map((account) => ({
    name: account.name,
    isDefault: account.name === DEFAULT_ACCOUNT,
    poller: pollerOf(account.name),
    plivo: {
      ...config.plivo,
      maxRequestsPer5s: account.maxRequestsPer5s ?? config.plivo.maxRequestsPer5s,
      callFilters: account.callFilters ?? config.plivo.callFilters,
    },
  }));
}

const quoted = (value: unknown) => JSON.stringify(cutText(String(value), 64, '…'));

/**
 * The account a run is for: `requested` is the invocation's `plivoAccount`
 * (functions/poller/invocation.ts); absent means the default account. Throws UnknownAccountError for a name the config does not list.
 */
export function findAccount(config: AlertConfig, requested: unknown): PlivoAccount {
  const accounts = accountsOf(config);
  const name = requested ?? DEFAULT_ACCOUNT;
  const found = accounts.find((account) => account.name === name);
  if (found) return found;
  const watched = accounts.map((account) => `"${account.name}"`).join(', ');
  throw new UnknownAccountError(
    requested === undefined || requested === null
      ? `This run names no Plivo account (so the default one), and the config does not watch it: it watches ${watched}. ` +
          'A manual run names one as {"plivoAccount": "<name>"}; from a schedule rule: `cdk deploy` the config in use.'
      : `Unknown Plivo account ${quoted(requested)}: the config watches ${watched}. ` +
          'A manual run names one as {"plivoAccount": "<name>"}; from a schedule rule: `cdk deploy` the config in use.',
  );
}

/**
 * The config one account's run works with: its own plivo budget and filters and, for any
 * account but the default, its name after the deployment name, so every subject and every
 * operations message names it (`[zentrunk-prod/acme CRITICAL] …`).
 */
export function configForAccount(config: AlertConfig, account: PlivoAccount): AlertConfig {
  if (account.isDefault) return { ...config, plivo: account.plivo };
  return {
    ...config,
    plivo: account.plivo,
    notifications: {
      ...config.notifications,
      deploymentName: `${config.notifications.deploymentName}/${account.name}`,
    },
  };
}

const SMS_MAX = 160;

/**
 * A message as one account sends it: for any account but the default, the text starts with the
 * account, the SMS text too, the machine JSON and the SNS attributes carry `account` (so a
 * subscription can filter on it), and the chat form threads per account (two accounts may have
 * incidents with the same key, e.g. windowed rules per destination country).
 */
export function messageForAccount(account: PlivoAccount, message: AlertMessage): AlertMessage {
  if (account.isDefault) return message;
  const named: AlertMessage = {
    ...message,
    text: `Plivo account: ${account.name}\n\n${message.text}`,
    shortText: cutText(`${account.name}: ${message.shortText}`, SMS_MAX),
    json: { ...message.json, account: account.name },
    attributes: { ...message.attributes, account: account.name },
  };
  if (message.chat === undefined) return named;
  return {
    ...named,
    chat: toChatNotification({ ...named, dedupKey: `${account.name}/${message.dedupKey}` }),
  };
}
