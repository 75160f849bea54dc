/**
 * Training progress on stderr. On a terminal: one line redrawn in place (bar, samples/s, ETA, current losses),
 * at most ten times a second. Elsewhere (CI logs, pipes): a plain line every `plainEvery` seconds and at the end
 * of each epoch, so logs stay readable and small.
 */
import type { TrainerEvent } from '../train/events.js';
import { formatDuration, formatRate } from './format.js';

export interface ProgressOptions {
  stream: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Seconds between plain lines when not on a terminal. Default 10. */
  plainEvery?: number;
}

export class ProgressReporter {
  private readonly tty: boolean;
  private totalSteps = 0;
  private stepsPerEpoch = 0;
  private epochs = 0;
  private lastDraw = 0;
  private drawn = false;
  private readonly plainEvery: number;

  constructor(private readonly options: ProgressOptions) {
    this.tty = options.stream.isTTY === true;
    this.plainEvery = options.plainEvery ?? 10;
  }

  /** Clears the in-place line so that other output (tables) starts on a clean line. */
  clear(): void {
    if (this.tty && this.drawn) this.options.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  handle(event: TrainerEvent): void {
    if (event.type === 'start') {
      this.totalSteps = event.totalSteps;
      this.stepsPerEpoch = event.stepsPerEpoch;
      this.epochs = event.epochs;
      this.lastDraw = performance.now();
      if (!this.tty)
        this.options.stream.write(
          `training: ${event.trainSize} rows, ${event.epochs} epoch(s) of ${event.stepsPerEpoch} steps, batch ${event.batchSize}\n`,
        );
      return;
    }
    if (event.type !== 'step') return;
    const now = performance.now();
    const last = event.step === this.totalSteps || event.step % this.stepsPerEpoch === 0;
    const interval = this.tty ? 100 : this.plainEvery * 1000;
    if (!last && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const fraction = this.totalSteps > 0 ? event.step / this.totalSteps : 0;
    const eta =
      event.samplesPerSecond > 0
        ? ((this.totalSteps - event.step) * (event.samples / event.step)) / event.samplesPerSecond
        : NaN;
    const losses = Object.entries(event.losses)
      .map(([task, v]) => `${task} ${v.toFixed(4)}`)
      .join('  ');
    const epochStep = ((event.step - 1) % this.stepsPerEpoch) + 1;
    const head = `epoch ${event.epoch + 1}/${this.epochs} step ${epochStep}/${this.stepsPerEpoch}`;
    const stats = `${formatRate(event.samplesPerSecond)} samples/s  ETA ${formatDuration(eta)}  loss ${losses}`;
    if (this.tty) {
      const columns = this.options.stream.columns ?? 100;
      const barWidth = 24;
      const filled = Math.round(fraction * barWidth);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
      const line = `${head} ${bar}  ${stats}`;
      this.options.stream.write(`\r\x1b[2K${line.slice(0, Math.max(columns - 1, 20))}`);
      this.drawn = true;
    } else {
      this.options.stream.write(`${head} (${(fraction * 100).toFixed(0)}%)  ${stats}\n`);
    }
  }
}
