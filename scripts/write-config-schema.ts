import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectConfigJsonSchema } from '../lib/config/project-config';
import { reportScriptError, scriptArgs } from './script-args';

/**
 * Writes config/config.schema.json, the JSON Schema editors use for config/<stage>.json, from
 * the zod schema. Run after changing either schema: `npm run config:schema`. A test fails
 * while the committed file is out of date.
 */
const USAGE = `Usage: npm run config:schema

Writes config/config.schema.json from the zod schema (no options).`;

try {
  if (scriptArgs({}).help) {
    console.log(USAGE);
  } else {
    const target = join(import.meta.dirname, '..', 'config', 'config.schema.json');
    writeFileSync(target, `${JSON.stringify(projectConfigJsonSchema(), null, 2)}\n`);
    console.log(`Wrote ${target}`);
  }
} catch (error) {
  reportScriptError(error, USAGE);
}
