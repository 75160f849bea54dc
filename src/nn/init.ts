/**
 * Initialisers, as functions that create a new tensor from the engine's seeded counter-based stream: after
 * manualSeed(s), building the same modules in the same order gives the same values on every backend, and every
 * layer (each expert, each tower) draws its own fresh numbers — never a shared or constant init, which would make
 * experts identical and keep them identical under training.
 *
 * Fans follow PyTorch: for a weight [out, in, ...rest], fanIn = in·Π rest and fanOut = out·Π rest.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { full, rand, randn } from '../ops/creation.js';
import type { TensorPlacement } from './parameter.js';

export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu';

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: fan in and fan out need a tensor of rank >= 2, got shape ${fmt(shape)}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** torch.nn.init.calculate_gain. */
export function gain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default:
      throw new Error(`gain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

export function uniform(shape: readonly number[], low: number, high: number, opts: TensorPlacement = {}): Tensor {
  if (!(low <= high)) throw new Error(`uniform: low ${low} must not exceed high ${high}`);
  return rand(shape, { ...opts, low, high });
}

export function normal(shape: readonly number[], mean = 0, std = 1, opts: TensorPlacement = {}): Tensor {
  if (!(std >= 0)) throw new Error(`normal: std must be non-negative, got ${std}`);
  return randn(shape, { ...opts, mean, std });
}

export function constant(shape: readonly number[], value: number, opts: TensorPlacement = {}): Tensor {
  return full(shape, value, opts);
}

/**
 * torch.nn.init.kaiming_uniform_: U(−b, b), b = gain(nonlinearity, a)·√(3 / fan). The defaults (a = √5,
 * leakyRelu, fanIn) are what torch.nn.Linear uses, giving b = 1/√fanIn.
 */
export function kaimingUniform(
  shape: readonly number[],
  opts: TensorPlacement & { a?: number; mode?: 'fanIn' | 'fanOut'; nonlinearity?: Nonlinearity } = {},
): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const fan = (opts.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  const bound = fan === 0 ? 0 : gain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? Math.sqrt(5)) * Math.sqrt(3 / fan);
  return uniform(shape, -bound, bound, opts);
}

/** torch.nn.init.xavier_uniform_: U(−b, b), b = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(shape: readonly number[], opts: TensorPlacement & { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const bound = fanIn + fanOut === 0 ? 0 : (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(shape, -bound, bound, opts);
}
