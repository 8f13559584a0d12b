/**
 * Fused cosine similarity of two tensor lists (e.g. this step's and the previous step's outer
 * gradients): one pass over both flat buffers for a.b, a.a and b.b, one single-workgroup pass
 * that finishes the sums, all on the GPU (see `shaders/optim_cosine.wgsl`); a model in several
 * parameter groups takes these two passes per group, the sums carried over in the output.
 *
 * @module
 */
import cosineSrc from "../../shaders/optim_cosine.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { launch } from "../ops/launch.ts";
import { alignedSpans, pack, perRun, spanOf } from "../ops/flat_layout.ts";
import { Tensor } from "../tensor/tensor.ts";

const PARTIALS = 1024;

/**
 * Returns a [4] GPU tensor [cos, a.b, a.a, b.b] over the lists `a` and `b` (same shapes);
 * cos is 0 when either list is all zeros. Two dispatches per parameter group.
 */
export function cosineStats(a: readonly Tensor[], b: readonly Tensor[]): Tensor {
  const out = Tensor.empty([4]);
  let first = true;
  perRun([a, b], ([ra, rb]) => {
    cosineRun(ra, rb, out, !first);
    first = false;
  });
  return out;
}

function cosineRun(a: readonly Tensor[], b: readonly Tensor[], out: Tensor, accumulate: boolean): void {
  let [sa, sb] = alignedSpans([a, b]) ?? [null, null];
  const tmp: Tensor[] = [];
  if (!sa || !sb) {
    // Different layouts: pack both (buffer copies, no dispatches) so the elements line up.
    const pa = pack(a), pb = pack(b);
    tmp.push(pa, pb);
    sa = spanOf([pa])!;
    sb = spanOf([pb])!;
  }
  const n = sa.floats;
  const total = Math.max(1, Math.min(PARTIALS, n));
  const partials = Tensor.empty([3 * total]);
  const ra = { buffer: sa.buffer, offset: sa.offset, size: Math.max(4, n * 4) };
  const rb = { buffer: sb.buffer, offset: sb.offset, size: Math.max(4, n * 4) };
  const bytes = new Params().u32(n, total, accumulate ? 1 : 0).bytes();
  launch("optim.cosine.partial", cosineSrc, { PHASE: 0 }, [ra, rb, partials, out], bytes, [
    Math.ceil(total / 256),
  ]);
  launch("optim.cosine.finish", cosineSrc, { PHASE: 1 }, [ra, rb, partials, out], bytes, [1]);
  partials.dispose();
  tmp.forEach((t) => t.dispose());
}
