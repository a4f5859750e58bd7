import type { CliIo } from './io';

/**
 * A progress bar on stderr, redrawn in place at most ten times a second, only when stderr is a
 * terminal (a pipe or a log file gets nothing): "insights  [███████░░░░░░░]  48%  1,234/2,571  ETA 1 min".
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly startedMs = Date.now();
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly total: number,
    private readonly width = 28,
  ) {}

  get enabled(): boolean {
    return this.io.stderrIsTTY;
  }

  update(done: number, note = ''): void {
    if (!this.enabled) return;
    const nowMs = Date.now();
    if (done < this.total && nowMs - this.lastDraw < 100) return;
    this.lastDraw = nowMs;
    const share = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const filled = Math.round(share * this.width);
    const elapsed = nowMs - this.startedMs;
    const etaMs = share > 0 && share < 1 ? (elapsed / share) * (1 - share) : 0;
    const eta = share >= 1 || done === 0 ? '' : `  ETA ${formatEta(etaMs)}`;
    const counts = `${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')}`;
    this.io.errRaw(
      `\r\u001b[2K${this.label.padEnd(10)} [${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${counts}${eta}${note ? `  ${note}` : ''}`,
    );
    this.drawn = true;
  }

  /** Removes the bar (the next output starts on a clean line). */
  done(): void {
    if (this.drawn) this.io.errRaw('\r\u001b[2K');
    this.drawn = false;
  }
}

function formatEta(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
