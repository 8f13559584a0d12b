/**
 * Eigenvalues of a small symmetric matrix (the Lanczos tridiagonal) by cyclic Jacobi rotations,
 * in float64. Lanczos runs tens of iterations, so a robust O(m^3) method is plenty.
 * @module
 */

/** Eigenvalues of the symmetric tridiagonal matrix with diagonal `alpha` and off-diagonal `beta`. */
export function tridiagonalEigenvalues(alpha: readonly number[], beta: readonly number[]): number[] {
  const m = alpha.length;
  const a = Array.from({ length: m }, (_, i) => {
    const row = new Float64Array(m);
    row[i] = alpha[i];
    if (i > 0) row[i - 1] = beta[i - 1];
    if (i < m - 1) row[i + 1] = beta[i];
    return row;
  });
  return symmetricEigenvalues(a);
}

/** Eigenvalues of a dense symmetric matrix (rows are modified), sorted descending. */
export function symmetricEigenvalues(a: Float64Array[]): number[] {
  const m = a.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p][q] * a[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        // Rotation angle that zeroes a[p][q] (Golub & Van Loan, symmetric Schur decomposition).
        const tau = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]).sort((x, y) => y - x);
}
