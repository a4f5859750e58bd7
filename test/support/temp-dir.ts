import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

// Each test file gets its own copy of this module, so this removes what that file made.
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A new, empty directory in the OS temp directory (`prefix` + random characters), removed with
 * everything in it after the test file's last test. The suite checks that nothing is left in the
 * temp directory (test/support/global-teardown.cjs).
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
