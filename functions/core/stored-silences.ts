import { ConfigError, parseConfig } from './config/load-config';
import type { AlertConfig, Silence, SilenceMatchers } from './config/schema';
import type { Logger } from './ports';

/**
 * Silences added at run time (`zentrunk-alerts silence add`), kept in the state table. They are
 * config silences (same matchers, same half-open time range, same effect) plus who added them,
 * when and why — Alertmanager's model. The poller merges them into the config's silences at the
 * start of every run, so a silence added at 3 a.m. needs no redeploy.
 */
export interface StoredSilence {
  id: string;
  matchers: SilenceMatchers;
  /** ISO instants; active while startsAt <= now < endsAt. */
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  /** Set when it was ended early (`silence expire`): endsAt then moved to that moment. */
  expiredAt?: string | null;
  expiredBy?: string | null;
}

export type SilenceStatus = 'pending' | 'active' | 'expired';

export function silenceStatus(silence: Pick<Silence, 'startsAt' | 'endsAt'>, now: Date): SilenceStatus {
  const nowMs = now.getTime();
  if (nowMs >= Date.parse(silence.endsAt)) return 'expired';
  return nowMs < Date.parse(silence.startsAt) ? 'pending' : 'active';
}

/** The config form of a stored silence (what the poller's silence check reads). */
export function toConfigSilence(silence: StoredSilence): Silence {
  return {
    id: silence.id,
    comment: silence.comment,
    matchers: silence.matchers,
    startsAt: silence.startsAt,
    endsAt: silence.endsAt,
  };
}

/**
 * Checks a silence exactly as a config silence is checked (the same schema: at least one
 * matcher, known rules and severities, upper-case country codes, endsAt after startsAt).
 * Throws a ConfigError naming the bad field.
 */
export function checkSilence(silence: StoredSilence, source = 'silence'): Silence {
  let checked: Silence | undefined;
  try {
    [checked] = parseConfig({ silences: { rules: [toConfigSilence(silence)] } }, source).silences.rules;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Name the silence's own fields (matchers.countries[0]), not silences.rules[0].matchers...
    throw new ConfigError(
      source,
      error.issues.map((issue) => issue.replace(/^silences\.rules\[0\]\.?/, '')),
    );
  }
  if (!checked) throw new ConfigError(source, ['the silence was lost in validation']);
  return checked;
}

/**
 * The config with the stored silences that have not ended added after its own (config
 * silences are checked first, so their ids win in the logs). A stored silence that no longer
 * passes the schema is skipped with a warning: one bad item must not stop the poller.
 */
export function withStoredSilences(
  config: AlertConfig,
  stored: readonly StoredSilence[],
  now: Date,
  logger?: Logger,
): AlertConfig {
  const extra: Silence[] = [];
  const known = new Set(config.silences.rules.map((s) => s.id));
  for (const silence of stored) {
    if (silenceStatus(silence, now) === 'expired' || known.has(silence.id)) continue;
    try {
      extra.push(checkSilence(silence));
      known.add(silence.id);
    } catch (error) {
      logger?.warn('Skipped a stored silence that is not valid', {
        silence: silence.id,
        error: (error as Error).message,
      });
    }
  }
  if (extra.length === 0) return config;
  return { ...config, silences: { ...config.silences, rules: [...config.silences.rules, ...extra] } };
}

/** What the poll run calls first: the config plus the silences stored in the state table. */
export async function configWithStoredSilences(
  config: AlertConfig,
  store: { listSilences(): Promise<StoredSilence[]> },
  now: Date,
  logger?: Logger,
): Promise<AlertConfig> {
  return withStoredSilences(config, await store.listSilences(), now, logger);
}
