/**
 * Top eigenvalues of a loss Hessian by Lanczos iteration with Hessian-vector products.
 *
 * The Hessian is never formed. Each product H v is a central finite difference of gradients,
 * H v ~ (g(w + h v) - g(w - h v)) / (2 h) with |v| = 1, whose error is O(h^2) in exact
 * arithmetic plus float32 rounding of the gradients divided by 2h; the default step h = 1e-3
 * balances the two for losses of order 1. Lanczos vectors stay on the GPU (one flat buffer
 * each, shaped like the parameters) and are fully re-orthogonalised, so m iterations cost m
 * products and m parameter-sized buffers; the tridiagonal matrix is solved in float64 on the
 * CPU. The seed reports l1 (largest eigenvalue), l5 (fifth largest) and l1/l5.
 *
 * @module
 */
// The group-aware ops: a model too big for one binding is several flat buffers, and the plain
// multi-tensor reductions would pack it into one (which may exceed the binding limit).
import { axpby_, axpy_, copy_, dot, scale_ } from "../ops/multi_tensor.ts";
import { write_ } from "../ops/elementwise.ts";
import { noGrad } from "../tape/tape.ts";
import { stateLike } from "../ops/flat_layout.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { tridiagonalEigenvalues } from "./tridiagonal.ts";
import { Rng } from "../random/rng.ts";

/** What the Hessian is of: parameters, their gradient buffers, and how to fill them. */
export interface HessianProblem {
  params: readonly Tensor[];
  grads: readonly Tensor[];
  /** Sets `grads` to the gradient of the loss at the current `params` (zeroing first). */
  computeGrad(): Promise<void> | void;
}

/** Options of {@link topEigenvalues}. */
export interface LanczosOptions {
  /** Lanczos iterations (Hessian-vector products); at least `k`. Default 20. */
  iterations?: number;
  /** How many of the largest eigenvalues to return. Default 5. */
  k?: number;
  /** Finite-difference step h. Default 1e-3. */
  step?: number;
  /** Seed of the random start vector. */
  seed?: number;
}

function gaussianList(like: readonly Tensor[], seed: number): Tensor[] {
  const out = stateLike(like);
  const rng = new Rng(seed);
  for (const t of out) {
    const v = new Float32Array(t.size);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    write_(t, v);
  }
  return out;
}

async function scalar(t: Tensor): Promise<number> {
  const v = await t.item();
  t.dispose();
  return v;
}

/**
 * The `k` largest eigenvalues (descending) of the Hessian of the problem's loss at its current
 * parameters, which are left exactly as they were.
 */
export async function topEigenvalues(problem: HessianProblem, opts: LanczosOptions = {}): Promise<number[]> {
  const k = opts.k ?? 5;
  const m = Math.max(k, opts.iterations ?? 20);
  const h = opts.step ?? 1e-3;
  const { params, grads } = problem;
  const saved = stateLike(params);
  const gPlus = stateLike(params);
  const w = stateLike(params);
  const vs: Tensor[][] = [];
  const alpha: number[] = [], beta: number[] = [];
  try {
    noGrad(() => copy_(params, saved));
    let v = gaussianList(params, opts.seed ?? 1);
    const n0 = Math.sqrt(await scalar(dot(v, v)));
    noGrad(() => scale_(1 / n0, v));
    vs.push(v);
    const hvp = async (vec: readonly Tensor[], out: readonly Tensor[]) => {
      noGrad(() => axpy_(h, vec, params));
      await problem.computeGrad();
      noGrad(() => copy_(grads, gPlus));
      noGrad(() => {
        copy_(saved, params);
        axpy_(-h, vec, params);
      });
      await problem.computeGrad();
      noGrad(() => {
        copy_(saved, params); // restore exactly
        copy_(gPlus, out);
        axpby_(-1 / (2 * h), grads, 1 / (2 * h), out); // (g+ - g-) / 2h
      });
    };
    for (let j = 0; j < m; j++) {
      await hvp(v, w);
      const a = await scalar(dot(w, v));
      alpha.push(a);
      noGrad(() => {
        axpy_(-a, v, w);
        if (j > 0) axpy_(-beta[j - 1], vs[j - 1], w);
      });
      // Full re-orthogonalisation against every previous vector (twice is enough, Kahan).
      for (let pass = 0; pass < 2; pass++) {
        for (const u of vs) {
          const c = await scalar(dot(w, u));
          noGrad(() => axpy_(-c, u, w));
        }
      }
      const b = Math.sqrt(await scalar(dot(w, w)));
      if (j === m - 1 || b < 1e-10) break;
      beta.push(b);
      const next = stateLike(params);
      noGrad(() => axpy_(1 / b, w, next));
      vs.push(next);
      v = next;
    }
    return tridiagonalEigenvalues(alpha, beta.slice(0, alpha.length - 1)).slice(0, k);
  } finally {
    noGrad(() => copy_(saved, params));
    for (const list of [saved, gPlus, w, ...vs]) list.forEach((t) => t.dispose());
  }
}
