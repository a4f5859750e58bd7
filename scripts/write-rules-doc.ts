import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRulesDoc } from './rules-doc';
import { reportScriptError, scriptArgs } from './script-args';

const USAGE = `Usage: npm run docs:rules

Writes docs/rules.md from the rule registry and the table of call dimensions (no options).`;

try {
  if (scriptArgs({}).help) {
    console.log(USAGE);
  } else {
    const target = join(import.meta.dirname, '..', 'docs', 'rules.md');
    writeFileSync(target, renderRulesDoc());
    console.log(`Wrote ${target}`);
  }
} catch (error) {
  reportScriptError(error, USAGE);
}
