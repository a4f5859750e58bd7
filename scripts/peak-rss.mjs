/* global process */
// This process's own peak resident memory, in MB: what Lambda reports as "Max Memory Used".
//
// Not `process.resourceUsage().maxRSS`: Linux keeps ru_maxrss across fork and exec, so a child
// started from a big parent (a jest worker, the benchmark) reports the parent's resident size at
// the fork, not its own. /proc/self/status's VmHWM belongs to the process's current address
// space, which exec replaced. Elsewhere (no /proc), maxRSS is the best there is.
import { readFileSync } from 'node:fs';

export function peakRssMb() {
  try {
    const hwm = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // no procfs: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}
