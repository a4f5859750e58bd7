import { join, resolve } from 'node:path';

/** Where the CDK app finds the parts of the repository it deploys. */
export const REPO_ROOT = resolve(import.meta.dirname, '..');
export const CONFIG_DIR = join(REPO_ROOT, 'config');
export const POLLER_ENTRY = join(REPO_ROOT, 'functions', 'poller', 'handler.ts');
export const LOCK_FILE = join(REPO_ROOT, 'package-lock.json');

export function stageConfigFile(stage: string): string {
  return join(CONFIG_DIR, `${stage}.json`);
}
