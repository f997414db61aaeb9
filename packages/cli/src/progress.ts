/** Options of {@link ProgressBar}. */
export interface ProgressOptions {
  /** What the throughput counts (`segments`); without it the bar shows no rate. */
  unit?: string;
  /** Units per step when steps are not units (training steps are batches: segments per batch). */
  unitsPerStep?: number;
  /**
   * Rate and time left count from the step before the first update (a resumed training run starts
   * mid-way; steps done before it took no time in this run). For step-by-step callbacks only.
   */
  countFromFirstUpdate?: boolean;
  /** The clock, in milliseconds (injectable for tests). */
  now?: () => number;
}

/** `42s`, `3m05s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A one-line progress bar on stderr (redrawn with `\r` on a terminal, printed every ~10% when
 * stderr is a file or pipe so logs stay short): percentage, steps, elapsed time, throughput in
 * `unit`/s and the estimated time left (from the mean rate so far).
 */
export class ProgressBar {
  private lastPct = -1;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly start: number;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly write: (s: string) => void = (s) => process.stderr.write(s),
    tty: boolean = !!process.stderr.isTTY,
    private readonly options: ProgressOptions = {},
  ) {
    this.tty = tty;
    this.now = options.now ?? Date.now;
    this.start = this.now();
    this.unitsPerStep = options.unitsPerStep ?? 1;
  }

  private unitsPerStep: number;

  /** Changes how many units one step counts (known only once work starts). */
  setUnitsPerStep(unitsPerStep: number): this {
    this.unitsPerStep = unitsPerStep;
    return this;
  }

  /** Changes the total (known only once work starts). */
  setTotal(total: number): this {
    this.total = total;
    return this;
  }

  private lastSuffix = '';
  private base: number | undefined;

  update(done: number, suffix = ''): void {
    if (this.base === undefined) this.base = this.options.countFromFirstUpdate ? Math.max(0, done - 1) : 0;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const pct = Math.floor(frac * 100);
    if (!this.tty && pct < 100 && pct - this.lastPct < 10) return;
    if (this.tty && pct === this.lastPct && done < this.total) return;
    this.lastPct = pct;
    this.lastSuffix = suffix;
    const width = 28;
    const filled = Math.round(frac * width);
    const secs = (this.now() - this.start) / 1000;
    const parts = [`${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${this.total} ${formatDuration(secs)}`];
    const ran = done - this.base;
    if (this.options.unit && secs > 0 && ran > 0) {
      const rate = (ran * this.unitsPerStep) / secs;
      parts.push(`${rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toPrecision(3)} ${this.options.unit}/s`);
    }
    if (ran > 0 && done < this.total && secs > 0) parts.push(`ETA ${formatDuration(((this.total - done) * secs) / ran)}`);
    if (suffix) parts.push(suffix);
    const line = parts.join('  ');
    // Pad with spaces on a terminal so a shorter line fully covers the previous one.
    this.write(this.tty ? `\r${line.padEnd(this.lastWidth)}` : `${line}\n`);
    this.lastWidth = line.length;
  }

  private lastWidth = 0;

  done(suffix = ''): void {
    // In a log, the 100 % line already printed stands unless the final suffix says something new.
    if (this.lastPct === 100 && !this.tty && (!suffix || suffix === this.lastSuffix)) return;
    this.lastPct = -1;
    this.update(this.total, suffix);
    if (this.tty) this.write('\n');
  }
}

/**
 * The running mean of the loss over the current epoch: what the progress bar shows, so it ends
 * each epoch on the value the trainer records (its history is the unweighted mean of the epoch's
 * batch losses).
 */
export class EpochMeanLoss {
  private epoch = -1;
  private sum = 0;
  private n = 0;

  /** Adds a batch loss of `epoch` and returns the mean of the epoch so far. */
  add(epoch: number, loss: number): number {
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.sum = 0;
      this.n = 0;
    }
    this.sum += loss;
    this.n++;
    return this.sum / this.n;
  }
}
