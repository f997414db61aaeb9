/**
 * A one-line progress bar on stderr (redrawn with `\r` on a terminal, printed every ~10% when
 * stderr is a file or pipe so logs stay short).
 */
export class ProgressBar {
  private lastPct = -1;
  private readonly tty: boolean;
  private readonly start = Date.now();

  constructor(
    private readonly label: string,
    private total: number,
    private readonly write: (s: string) => void = (s) => process.stderr.write(s),
    tty: boolean = !!process.stderr.isTTY,
  ) {
    this.tty = tty;
  }

  /** Changes the total (known only once work starts). */
  setTotal(total: number): this {
    this.total = total;
    return this;
  }

  update(done: number, suffix = ''): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const pct = Math.floor(frac * 100);
    if (!this.tty && pct < 100 && pct - this.lastPct < 10) return;
    if (this.tty && pct === this.lastPct && done < this.total) return;
    this.lastPct = pct;
    const width = 28;
    const filled = Math.round(frac * width);
    const secs = ((Date.now() - this.start) / 1000).toFixed(1);
    const bar = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${this.total} ${secs}s ${suffix}`;
    this.write(this.tty ? `\r${bar}` : `${bar}\n`);
  }

  done(suffix = ''): void {
    if (this.lastPct === 100 && !this.tty && !suffix) return;
    this.lastPct = -1;
    this.update(this.total, suffix);
    if (this.tty) this.write('\n');
  }
}
