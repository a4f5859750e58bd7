import { AlerterError, type FailureKind } from '../errors';
import { readFileSync } from 'node:fs';
import type * as z from 'zod/mini';
import { type AlertConfig, alertConfigSchema } from './schema';

/** Raised for a config that cannot be used; `issues` name each bad field by its path. */
export class ConfigError extends AlerterError {
  override readonly failure: FailureKind = 'config-invalid';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`Invalid alert config (${source}):\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** Validates a value against a config schema; the only error is a ConfigError naming each bad field's path. */
export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, source: string): z.output<S> {
  // Without zod's compiled fast path: a config is parsed once per process, and compiling a parser
  // for each of its objects cost a cold start ~20 ms more than parsing without (bench section 6's
  // bundle, import then the first parse). Same results, same issues. (zod/mini's objects, the
  // runtime schema's, have no such path; zod classic's, the deployment section's, do.)
  const result = schema.safeParse(value, { jitless: true });
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    );
  }
  return result.data;
}

/** A config file's JSON, or a ConfigError saying why it could not be read. */
export function readConfigJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read file: ${(error as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
}

/** Validates an already-parsed value. Never throws anything but ConfigError. */
export function parseConfig(value: unknown, source = 'config'): AlertConfig {
  return parseWith(alertConfigSchema, value, source);
}

/**
 * What the poller reads from ALERT_CONFIG_FILE: a runtime config (what the stack ships) or a
 * whole `config/<stage>.json`, whose `deployment` section and editor-only `$schema` are set
 * aside unread: the CDK app validates them at synth, `zentrunk-alerts validate-config` and
 * `npm start` before they start, and the deployment schema is not shipped to the function.
 */
export function loadConfigFile(path: string): AlertConfig {
  const value = readConfigJson(path);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { deployment: _deployment, $schema: _schema, ...runtime } = value as Record<string, unknown>;
    return parseConfig(runtime, path);
  }
  return parseConfig(value, path);
}
