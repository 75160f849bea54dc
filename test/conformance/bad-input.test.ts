/**
 * Bad input is rejected the same way everywhere: each case runs on every available backend and must throw the same
 * error class with the same message as on js (and that message must say what was wrong). WebGPU cannot read back
 * synchronously and its shaders cannot throw, so index and label ranges are checked at the op from the host's copy.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { availability } from './backends.js';

interface BadCase {
  name: string;
  expected: RegExp;
  run: (backend: string) => unknown;
}

const f32 = (backend: string, shape: number[], fill = 0.5) => mt.full(shape, fill, { backend });
const i32 = (backend: string, values: number[]) => mt.tensor(Int32Array.from(values), { backend });

const CASES: BadCase[] = [
  {
    name: 'clamp: neither bound',
    expected: /^clamp: \[2,3\] float32 got neither a min nor a max; give at least one bound$/,
    run: (b) => mt.clamp(f32(b, [2, 3])),
  },
  {
    name: 'gather: index past the end',
    expected: /^gather: index 7 \(at position 1\) out of range \[0, 5\)$/,
    run: (b) => mt.gather(f32(b, [5, 3]), i32(b, [0, 7, 2])),
  },
  {
    name: 'gather: negative index',
    expected: /^gather: index -1 \(at position 0\) out of range \[0, 3\)$/,
    run: (b) => mt.gather(f32(b, [5, 3]), i32(b, [-1]), 1),
  },
  {
    name: 'indexSelect: index past the end',
    expected: /^gather: index 4 \(at position 2\) out of range \[0, 4\)$/,
    run: (b) => mt.indexSelect(f32(b, [2, 4]), 1, i32(b, [0, 3, 4])),
  },
  {
    name: 'Embedding: id outside the table',
    expected: /^gather: index 10 \(at position 3\) out of range \[0, 10\)$/,
    run: (b) => new mt.nn.Embedding(10, 4, { backend: b }).forward(i32(b, [1, 2, 3, 10])),
  },
  {
    name: 'Embedding: 2-D ids with a negative one',
    expected: /^gather: index -5 \(at position 2\) out of range \[0, 6\)$/,
    run: (b) =>
      new mt.nn.Embedding(6, 2, { backend: b }).forward(
        mt.tensor(Int32Array.from([0, 1, -5, 2]), { backend: b, shape: [2, 2] }),
      ),
  },
  {
    name: 'crossEntropy: label past the last class',
    expected: /^crossEntropy: label 3 at row 1 is outside \[0, 3\)$/,
    run: (b) => mt.crossEntropy(f32(b, [2, 3]), i32(b, [0, 3])),
  },
  {
    name: 'crossEntropy: negative label',
    expected: /^crossEntropy: label -1 at row 0 is outside \[0, 3\)$/,
    run: (b) => mt.crossEntropy(f32(b, [2, 3]), i32(b, [-1, 0])),
  },
  {
    name: 'crossEntropy: label outside, row masked in',
    expected: /^crossEntropy: label 9 at row 1 is outside \[0, 3\)$/,
    run: (b) => mt.crossEntropy(f32(b, [2, 3]), i32(b, [0, 9]), { mask: mt.tensor([0, 1], { backend: b }) }),
  },
  {
    name: 'crossEntropy: labels not int32',
    expected: /^crossEntropy: labels must be int32, got \[2\] float32$/,
    run: (b) => mt.crossEntropy(f32(b, [2, 3]), f32(b, [2])),
  },
  {
    name: 'matmul: inner sizes differ',
    expected: /^matmul: shapes \[2,3\] and \[4,2\] do not align/,
    run: (b) => mt.matmul(f32(b, [2, 3]), f32(b, [4, 2])),
  },
  {
    name: 'add: shapes do not broadcast',
    expected: /add.*\[2,3\].*\[4\]/,
    run: (b) => mt.add(f32(b, [2, 3]), f32(b, [4])),
  },
  {
    name: 'bce: prediction and target shapes differ',
    expected: /^bce: prediction \[3,1\] and target \[3\] must have the same shape/,
    run: (b) => mt.bce(f32(b, [3, 1]), f32(b, [3])),
  },
  {
    name: 'reshape: element count differs',
    expected: /^reshape: cannot reshape \[2,3\] \(6 elements\) to \[4\]/,
    run: (b) => mt.reshape(f32(b, [2, 3]), [4]),
  },
  {
    name: 'log of an int32 tensor',
    expected: /^log: expected a float tensor, got \[2\] int32/,
    run: (b) => mt.log(i32(b, [1, 2])),
  },
  {
    name: 'slice out of bounds',
    expected: /^slice: range \[0:9:1\] is out of bounds for axis 0 of size 4/,
    run: (b) => mt.slice(f32(b, [4]), [[0, 9]]),
  },
];

function outcome(run: () => unknown): { cls: string; message: string } | 'no error' {
  try {
    mt.tidy(() => {
      run();
    });
    return 'no error';
  } catch (e) {
    return { cls: (e as Error).constructor.name, message: (e as Error).message };
  }
}

const backends = availability.filter((b) => b.available).map((b) => b.name);
for (const b of availability.filter((x) => !x.available))
  console.warn(`[bad-input] backend ${b.name} skipped: ${b.reason}`);

describe(`bad input: same error on ${backends.join(', ')}`, () => {
  for (const c of CASES) {
    it(c.name, () => {
      const js = outcome(() => c.run('js'));
      expect(js).not.toBe('no error');
      if (js === 'no error') return;
      expect(js.message).toMatch(c.expected);
      for (const b of backends)
        expect(
          outcome(() => c.run(b)),
          `on ${b}`,
        ).toEqual(js);
    });
  }

  /** Inputs computed on the device, so not known on the host: on WebGPU the shader flags them for the next read. */
  const DEVICE_CASES: { name: string; expected: string; run: (b: string) => mt.Tensor }[] = [
    {
      name: 'gather: index computed on the device',
      expected: 'gather: index 7 (at position 1) out of range [0, 5)',
      // [2, 7, 3]: not known on the host
      run: (b) => mt.gather(f32(b, [5, 3]), mt.add(i32(b, [0, 5, 1]), 2)),
    },
    {
      name: 'int32 div by a zero computed on the device',
      expected: 'binary: int32 div by zero',
      run: (b) => mt.div(i32(b, [4, 6, 8]), mt.sub(i32(b, [2, 1, 3]), 1)),
    },
    {
      name: 'int32 mod by a zero computed on the device',
      expected: 'binary: int32 mod by zero',
      run: (b) => mt.mod(i32(b, [4, 6]), mt.mul(i32(b, [0, 1]), 2)),
    },
  ];
  for (const c of DEVICE_CASES)
    it(`${c.name}: same error (on WebGPU at the next readback, from the shader's flag)`, async () => {
      const outcomes: unknown[] = [];
      for (const b of backends) {
        let got: unknown = 'no error';
        try {
          await c.run(b).data();
        } catch (e) {
          got = { cls: (e as Error).constructor.name, message: (e as Error).message };
        }
        outcomes.push(got);
      }
      expect(outcomes[0]).toEqual({ cls: 'Error', message: c.expected });
      for (const [i, o] of outcomes.entries()) expect(o, `on ${backends[i]}`).toEqual(outcomes[0]);
      // The flag is cleared once reported: the backend keeps working.
      for (const b of backends) expect(Array.from(await mt.gather(f32(b, [5, 1], 2), i32(b, [4])).data())).toEqual([2]);
    });

  it('a masked-out label outside the classes is accepted on every backend (the row does not count)', async () => {
    for (const b of backends) {
      const loss = mt.crossEntropy(
        mt.tensor(
          [
            [1, 2, 3],
            [0, 0, 0],
          ],
          { backend: b },
        ),
        i32(b, [2, 7]),
        { mask: mt.tensor([1, 0], { backend: b }) },
      );
      const expected = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
      expect((await loss.data())[0], `on ${b}`).toBeCloseTo(expected, 5);
    }
  });
});
