/** The error a training run stops with when a loss or a gradient stops being a finite number. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly task: string,
    readonly value: number,
    readonly what: 'loss' | 'gradient norm' = 'loss',
  ) {
    super(
      `training stopped at step ${step}: the ${what} of task '${task}' is ${value} (not finite); ` +
        'lower the learning rate, clip gradients (--clip) or check the inputs for extreme values',
    );
    this.name = 'NonFiniteLossError';
  }
}

/** Throws for the first task (in order) whose value is NaN or ±Infinity. */
export function assertFiniteLosses(step: number, values: Record<string, number>): void {
  for (const [task, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) throw new NonFiniteLossError(step, task, value);
  }
}
