/**
 * Dense linear algebra on K×K matrices of plain numbers (K = the number of tasks, so a handful): the host-side
 * pieces of the gradient-manipulation methods — a linear solve (IMTL-G, Nash-MTL's Newton steps) and a symmetric
 * eigendecomposition (Aligned-MTL). Pure functions, float64, no tensors.
 */

export type Matrix = readonly (readonly number[])[];

function checkSquare(op: string, a: Matrix): number {
  const n = a.length;
  for (const [i, row] of a.entries()) {
    if (row.length !== n) throw new Error(`${op}: row ${i} has ${row.length} entries, expected ${n} (a square matrix)`);
    if (row.some((v) => !Number.isFinite(v))) throw new Error(`${op}: row ${i} is not finite (${row.join(', ')})`);
  }
  return n;
}

/**
 * x with A·x = b, by Gaussian elimination with partial pivoting; null when A is singular (a pivot below
 * `relTol`·max|A|), so that callers choose what a degenerate step means.
 */
export function solveLinear(a: Matrix, b: readonly number[], relTol = 1e-12): number[] | null {
  const n = checkSquare('solveLinear', a);
  if (b.length !== n) throw new Error(`solveLinear: right-hand side has ${b.length} entries, expected ${n}`);
  const m = a.map((row, i) => [...row, b[i]]);
  const scale = Math.max(...a.flat().map(Math.abs), 0);
  if (scale === 0) return null;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
    if (Math.abs(m[piv][col]) <= relTol * scale) return null;
    [m[col], m[piv]] = [m[piv], m[col]];
    for (let r = col + 1; r < n; r++) {
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let c = r + 1; c < n; c++) s -= m[r][c] * x[c];
    x[r] = s / m[r][r];
  }
  return x;
}

/**
 * Eigenvalues (descending) and unit eigenvectors (columns of `vectors`: vectors[i][k] is component i of the k-th)
 * of a symmetric matrix, by cyclic Jacobi rotations until the off-diagonal mass is below 1e-15 of the total.
 */
export function symmetricEigen(a: Matrix): { values: number[]; vectors: number[][] } {
  const n = checkSquare('symmetricEigen', a);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      if (Math.abs(a[i][j] - a[j][i]) > 1e-9 * (Math.abs(a[i][j]) + Math.abs(a[j][i]) + 1e-300)) {
        throw new Error(
          `symmetricEigen: the matrix is not symmetric (entry [${i}][${j}] = ${a[i][j]}, [${j}][${i}] = ${a[j][i]})`,
        );
      }
    }
  const m = a.map((row) => [...row]);
  const v: number[][] = m.map((_, i) => m.map((__, j) => (i === j ? 1 : 0)));
  const total = m.flat().reduce((s, x) => s + x * x, 0);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += 2 * m[i][j] * m[i][j];
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (m[p][q] === 0) continue;
        // The rotation that zeroes m[p][q] (Golub & Van Loan, the symmetric Schur decomposition).
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p],
            mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k],
            mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p],
            vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = m.map((row, i) => [row[i], i] as const).sort((x, y) => y[0] - x[0]);
  return { values: order.map(([val]) => val), vectors: v.map((row) => order.map(([, i]) => row[i])) };
}

/** M·x. */
export function matVec(m: Matrix, x: readonly number[]): number[] {
  return m.map((row) => row.reduce((s, v, j) => s + v * x[j], 0));
}

/** xᵀ·M·y. */
export function quadForm(m: Matrix, x: readonly number[], y: readonly number[] = x): number {
  return x.reduce((s, xi, i) => s + xi * m[i].reduce((t, v, j) => t + v * y[j], 0), 0);
}

/** The Euclidean projection of v onto the probability simplex (Duchi et al., 2008: sort, threshold). */
export function projectToSimplex(v: readonly number[]): number[] {
  const u = [...v].sort((a, b) => b - a);
  let cum = 0,
    theta = 0;
  for (let i = 0; i < u.length; i++) {
    cum += u[i];
    const t = (cum - 1) / (i + 1);
    if (u[i] - t > 0) theta = t;
  }
  return v.map((x) => Math.max(x - theta, 0));
}
