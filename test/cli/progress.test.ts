import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../src/cli/progress.js';
import { formatDuration, metricsTable } from '../../src/cli/format.js';
import type { TrainerEvent } from '../../src/train/index.js';

function run(tty: boolean): string {
  let text = '';
  const reporter = new ProgressReporter({
    stream: {
      isTTY: tty,
      columns: 200,
      write: (t: string) => {
        text += t;
      },
    },
  });
  const events: TrainerEvent[] = [
    { type: 'start', tasks: ['ctr'], epochs: 1, stepsPerEpoch: 4, totalSteps: 4, trainSize: 400, batchSize: 100 },
    ...[1, 2, 3, 4].map(
      (step): TrainerEvent => ({
        type: 'step',
        step,
        epoch: 0,
        epochSamples: step * 100,
        samples: step * 100,
        losses: { ctr: 0.5 / step },
        total: 0.5 / step,
        samplesPerSecond: 2000,
        lrs: [0.01],
      }),
    ),
  ];
  for (const e of events) reporter.handle(e);
  reporter.clear();
  return text;
}

describe('progress and tables', () => {
  it('redraws one line with a bar, throughput, ETA and losses on a terminal', () => {
    const text = run(true);
    expect(text).toContain('\r\x1b[2K');
    expect(text).toMatch(/epoch 1\/1 step 4\/4 \[#{24}\] 100% {2}2\.0k samples\/s {2}ETA 0:00 {2}loss ctr 0\.1250/);
    expect(text).not.toContain('\n');
  });

  it('prints plain lines elsewhere', () => {
    const text = run(false);
    expect(text).not.toContain('\r');
    expect(text.trim().split('\n').at(-1)).toBe('epoch 1/1 step 4/4 (100%)  2.0k samples/s  ETA 0:00  loss ctr 0.1250');
  });

  it('formats durations and per-task metric tables', () => {
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(
      metricsTable({
        ctr: { count: 10, auc: 0.75, logloss: 0.5, accuracy: 0.8 },
        rating: { count: 7, rmse: 0.9, mae: 0.7 },
      }),
    ).toBe(
      [
        'task       AUC  log loss  accuracy    RMSE     MAE  rows',
        '------  ------  --------  --------  ------  ------  ----',
        'ctr     0.7500    0.5000    0.8000                    10',
        'rating                              0.9000  0.7000     7',
      ].join('\n'),
    );
  });
});
