/**
 * The memory the as-deployed test and the benchmark hold against the function's MemorySize is the
 * child's own, not its parent's. Linux carries ru_maxrss across fork and exec, so a Lambda host
 * forked from a jest worker used to report the worker's size (285 MB against 256 on CI).
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../../lib/project-paths';
import { tempDir } from '../../support/temp-dir';

// Linux only (Lambda's OS and CI's): elsewhere peakRssMb falls back to maxRSS.
describe('peakRssMb', () => {
  it("reports a forked child's own peak, not the parent's resident size at the fork", async () => {
    const dir = tempDir('peak-rss-');
    const child = join(dir, 'child.mjs');
    const helper = pathToFileURL(join(REPO_ROOT, 'scripts', 'peak-rss.mjs')).href;
    writeFileSync(
      child,
      `import { peakRssMb } from ${JSON.stringify(helper)};\n` +
        `process.send({ own: peakRssMb(), inherited: process.resourceUsage().maxRSS / 1024 });\n`,
    );
    // The parent (this worker) holds 300 MB of touched memory while the child starts.
    const ballast = Buffer.alloc(300 * 1024 * 1024, 1);
    try {
      const reply = await new Promise<{ own: number; inherited: number }>((resolve, reject) => {
        const proc = fork(child, [], { stdio: 'ignore', execArgv: [] });
        proc.once('message', (m) => resolve(m as { own: number; inherited: number }));
        proc.once('error', reject);
        proc.once('exit', (code) => code !== 0 && reject(new Error(`child exited ${code}`)));
      });
      // What the old measure saw: at least the ballast.
      expect(reply.inherited).toBeGreaterThan(300);
      // The child's own: a bare Node process, far below it.
      expect(reply.own).toBeGreaterThan(10);
      expect(reply.own).toBeLessThan(150);
    } finally {
      expect(ballast[ballast.length - 1]).toBe(1);
    }
  });
});
