#!/usr/bin/env node
// The `zentrunk-alerts` command (the package's bin): cli/main.ts run through tsx. Under npx or
// npm scripts the `node` first on PATH is the node@24 devDependency, as for every npm script.
import { register } from 'tsx/esm/api';

register();
const { runFromProcess } = await import('./main.ts');
await runFromProcess();
