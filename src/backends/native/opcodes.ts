/** Operation codes passed to the addon; the orders match the enums in native/src/kernel_table.h and ops.h. */
import type { Activation, BinaryOp, MixtureLayout, RandomDist, ReduceOp, UnaryOp } from '../kernels.js';

function codes<T extends string>(names: readonly T[]): Record<T, number> {
  return Object.fromEntries(names.map((n, i) => [n, i])) as Record<T, number>;
}

export const UNARY_CODES = codes<UnaryOp>([
  'neg', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal',
  'abs', 'sign', 'floor', 'ceil', 'round',
  'sin', 'cos', 'tanh', 'sigmoid', 'logSigmoid', 'softplus', 'erf',
  'relu', 'gelu', 'geluTanh', 'elu', 'leakyRelu',
]);

export const BINARY_CODES = codes<BinaryOp>([
  'add', 'sub', 'mul', 'div', 'pow', 'minimum', 'maximum', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
]);

export const REDUCE_CODES = codes<ReduceOp>(['sum', 'prod', 'max', 'min', 'argmax', 'argmin']);

export const ACTIVATION_CODES = codes<Activation>(['none', 'relu', 'sigmoid', 'tanh', 'gelu']);

export const DIST_CODES = codes<RandomDist>(['uniform', 'normal', 'randint']);

/** The gated-mixture bindings' layout argument (native/src/bindings_misc.cpp, mixture_args). */
export const LAYOUT_CODES = codes<MixtureLayout>(['EBD', 'BED']);
