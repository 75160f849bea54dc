/**
 * Learning-rate schedulers acting per parameter group: each group follows the schedule from its own base LR
 * (its lr when the scheduler was created, remembered as `initialLr`), so per-task LRs keep their ratios.
 * Like torch, constructing a scheduler applies epoch 0, and step() advances one epoch (or one iteration: the
 * unit is whatever the caller steps by). The schedules are closed forms of the epoch count. Groups added to the
 * optimizer after the scheduler was made are not scheduled.
 */
import type { Optimizer, BaseHyper } from './optimizer.js';

export interface SchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
}

/** The LR of a group with base LR `baseLr` after `epoch` steps. */
export type Schedule = (baseLr: number, epoch: number, groupIndex: number) => number;

export class LRScheduler {
  lastEpoch = 0;
  readonly baseLrs: number[];

  /** `schedule` is a closure over the subclass's arguments: it runs before the subclass's fields are set. */
  constructor(
    readonly optimizer: Optimizer<BaseHyper>,
    private readonly schedule: Schedule,
  ) {
    this.baseLrs = optimizer.paramGroups.map((g) => {
      if (g.initialLr === undefined) g.initialLr = g.lr;
      return g.initialLr;
    });
    this.apply();
  }

  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The LRs set by the last step, one per scheduled group. */
  lastLr(): number[] {
    return this.baseLrs.map((_, i) => this.optimizer.paramGroups[i].lr);
  }

  private apply(): void {
    this.baseLrs.forEach((base, i) => {
      this.optimizer.paramGroups[i].lr = this.schedule(base, this.lastEpoch, i);
    });
  }

  stateDict(): SchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    if (sd.baseLrs.length !== this.baseLrs.length) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: ${sd.baseLrs.length} base LRs for ${this.baseLrs.length} scheduled groups`,
      );
    }
    this.lastEpoch = sd.lastEpoch;
    sd.baseLrs.forEach((b, i) => {
      this.baseLrs[i] = b;
      this.optimizer.paramGroups[i].initialLr = b;
    });
    this.apply();
  }
}

function checkPositiveInt(op: string, key: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${op}: ${key} must be a positive integer, got ${v}`);
}

/** lr = base · gamma^⌊epoch / stepSize⌋ (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends LRScheduler {
  constructor(
    optimizer: Optimizer<BaseHyper>,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    checkPositiveInt('StepLR', 'stepSize', stepSize);
    super(optimizer, (base, epoch) => base * gamma ** Math.floor(epoch / stepSize));
  }
}

/** lr = base · gamma^epoch. */
export class ExponentialLR extends LRScheduler {
  constructor(
    optimizer: Optimizer<BaseHyper>,
    readonly gamma: number,
  ) {
    if (!(gamma > 0)) throw new Error(`ExponentialLR: gamma must be positive, got ${gamma}`);
    super(optimizer, (base, epoch) => base * gamma ** epoch);
  }
}

/** lr = etaMin + (base − etaMin)(1 + cos(π·epoch/tMax))/2 (the closed form of torch's CosineAnnealingLR). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    optimizer: Optimizer<BaseHyper>,
    readonly tMax: number,
    readonly etaMin = 0,
  ) {
    checkPositiveInt('CosineAnnealingLR', 'tMax', tMax);
    super(optimizer, (base, epoch) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2);
  }
}

/**
 * Linear warmup: lr = base · (startFactor + (1 − startFactor)·min(epoch, warmupSteps)/warmupSteps), then the base
 * LR (torch's LinearLR with end factor 1). For warmup followed by a decay, use LambdaLR with the product.
 */
export class LinearWarmup extends LRScheduler {
  constructor(
    optimizer: Optimizer<BaseHyper>,
    readonly warmupSteps: number,
    readonly startFactor = 0,
  ) {
    checkPositiveInt('LinearWarmup', 'warmupSteps', warmupSteps);
    if (!(startFactor >= 0 && startFactor <= 1))
      throw new Error(`LinearWarmup: startFactor must be in [0, 1], got ${startFactor}`);
    super(
      optimizer,
      (base, epoch) => base * (startFactor + ((1 - startFactor) * Math.min(epoch, warmupSteps)) / warmupSteps),
    );
  }
}

/** lr = base · factor(epoch, groupIndex): any schedule, e.g. warmup then cosine. */
export class LambdaLR extends LRScheduler {
  constructor(
    optimizer: Optimizer<BaseHyper>,
    readonly factor: (epoch: number, groupIndex: number) => number,
  ) {
    super(optimizer, (base, epoch, groupIndex) => {
      const f = factor(epoch, groupIndex);
      if (!Number.isFinite(f) || f < 0)
        throw new Error(`LambdaLR: factor(${epoch}, ${groupIndex}) returned ${f}; expected a finite number >= 0`);
      return base * f;
    });
  }
}
