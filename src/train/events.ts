/** What a training run reports as it goes (for progress bars and logs) and keeps (for reports). */
import type { MetricsByTask } from './task-metrics.js';

export interface StartEvent {
  type: 'start';
  tasks: string[];
  epochs: number;
  stepsPerEpoch: number;
  /** Steps the run will take if nothing stops it early. */
  totalSteps: number;
  trainSize: number;
  batchSize: number;
}

export interface StepEvent {
  type: 'step';
  step: number;
  epoch: number;
  /** Samples seen so far in this epoch and in the whole run. */
  epochSamples: number;
  samples: number;
  losses: Record<string, number>;
  /** The combined loss the strategy differentiated. */
  total: number;
  /** Gradient norm before clipping, when clipping is on. */
  gradNorm?: number;
  /** Training throughput since the start of the run (evaluation time excluded). */
  samplesPerSecond: number;
  lrs: number[];
}

export interface GradientProbeEvent {
  type: 'gradient-probe';
  step: number;
  epoch: number;
  tasks: string[];
  /** cosines[i][j] = cos(∇L_i, ∇L_j) on the shared parameters. */
  cosines: number[][];
  /** ‖∇L_k‖ on the shared parameters. */
  norms?: number[];
  /** The weighting strategy's per-task weights (or gradient coefficients) at this step, when it has any. */
  weights?: number[];
}

export interface EpochRecord {
  epoch: number;
  /** Mean task loss over the epoch's training batches (sample-weighted). */
  trainLoss: Record<string, number>;
  validation: MetricsByTask | null;
  /** Gate → mean weight per expert over the validation split. */
  gates: Record<string, number[]> | null;
  improved: boolean;
  trainSeconds: number;
  evalSeconds: number;
}

export interface EpochEvent extends EpochRecord {
  type: 'epoch';
}

export type StopReason = 'completed' | 'max-steps' | 'early-stopping';

export interface EndEvent {
  type: 'end';
  reason: StopReason;
  steps: number;
  bestEpoch: number | null;
}

export type TrainerEvent = StartEvent | StepEvent | GradientProbeEvent | EpochEvent | EndEvent;

/** Everything a run produced, in the order it happened: what reports plot. */
export interface TrainingHistory {
  tasks: string[];
  steps: { step: number; epoch: number; losses: Record<string, number>; total: number }[];
  epochs: EpochRecord[];
  /** Sampled every gradientProbeEvery steps: cosines, gradient norms and the strategy's weights (see GradientProbeEvent). */
  gradientCosines: { step: number; epoch: number; cosines: number[][]; norms?: number[]; weights?: number[] }[];
  stopReason: StopReason;
  bestEpoch: number | null;
  trainSeconds: number;
}
