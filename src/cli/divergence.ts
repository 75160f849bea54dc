/**
 * A run whose losses blew up must not end as a success: after training, the last epoch's mean training loss of each
 * task is checked (non-finite, or above both 1e6 and 1000× its first step's loss means diverged).
 */
import type { TrainingHistory } from '../train/events.js';

export const DIVERGENCE_FACTOR = 1000;
export const DIVERGENCE_FLOOR = 1e6;

/** The one-line reason the run diverged, or null. */
export function divergence(history: TrainingHistory): string | null {
  const last = history.epochs.at(-1);
  if (!last) return null;
  const first = history.steps[0]?.losses ?? {};
  for (const [task, loss] of Object.entries(last.trainLoss)) {
    const start = first[task];
    const blewUp =
      !Number.isFinite(loss) ||
      (loss > DIVERGENCE_FLOOR &&
        (start === undefined || !Number.isFinite(start) || loss > DIVERGENCE_FACTOR * Math.abs(start)));
    if (blewUp) {
      return (
        `training diverged: task '${task}' has mean loss ${loss.toPrecision(3)} in epoch ${last.epoch + 1}` +
        `${start !== undefined ? ` (${start.toPrecision(3)} at the first step)` : ''}; try a lower --lr`
      );
    }
  }
  return null;
}

/** Throws (after the run's files are written, for inspection) when the run diverged. */
export function assertConverged(history: TrainingHistory, outDir: string): void {
  const reason = divergence(history);
  if (reason) throw new Error(`${reason} (files written to ${outDir} for inspection)`);
}
