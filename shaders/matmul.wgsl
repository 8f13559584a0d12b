// Batched matmul C[z] = op(A[z]) x op(B[z]) on vec4 data, register-blocked without shared memory:
// each invocation computes TM rows x (TN4 * 4) columns of C. Workgroup barriers are costly under
// llvmpipe, so no workgroup memory is used; larger per-invocation tiles amortise the loads instead.
//
// The lines marked //@ are filled in by src/ops/matmul.ts with a fully unrolled body for the
// chosen transposes. llvmpipe does not unroll loops over private arrays; the unrolled form ran
// 1.5x faster (30 vs 20 GFLOP/s at 1024^3).
//
// Either operand can instead be an rgba32float 2-D array texture holding the same rows of vec4s
// (one layer per slice; see matmul_pack.wgsl), bound as a read-only storage texture: under
// llvmpipe its textureLoad is a vectorised gather, about half the cost of the per-lane storage
// loads it replaces (and of a sampled texture's texel fetch; gemmSettings.textureBinding).
//
// Split K (the SLICES line of a split kernel): a product whose C has too few tiles to fill the
// SIMD lanes (a weight gradient: small M x N, K = every pixel of the batch) runs as PARTS
// products over consecutive ranges of p.zsum vec4s of K each, into slices b * PARTS + q of a
// partial buffer; matmul_split_sum.wgsl adds them.
//
// Requirements checked by the caller: K % 4 == 0, N % 4 == 0, and M % 4 == 0 when A is transposed.
//@CONSTANTS
// ACCUM adds the product to what C holds (gradient accumulation across batch chunks).
override ACCUM: bool = false;

// Slice s of a batch starts at base + s * stride (vec4 units) in each operand; a stride of 0
// broadcasts. An operand read through a texture has base 0 and stride 1 (0 to broadcast): its
// "offset" is the texture layer of the slice. C slice z is the sum over zsum consecutive slices s
// of A[s] x B[s], which turns a batched product summed over the batch (a weight gradient) into
// one pass.
//
// The batch is folded into the x dimension: invocation x covers column group x % cgroups of C
// slice x / cgroups. With one slice per workgroup column, a narrow C (the 4x4 and 8x8 maps of a
// ResNet's deep layers: N = 16 is 1 column group) left 7 of the 8 SIMD lanes idle.
//
// A's slices may instead be interleaved (ax > 1 slices, A not transposed) in blocks of ab slices
// side by side: row `row` is ax * K4 vec4s (one row of texels in a texture), block b of it the
// K4 vec4s of each of its w = min(ab, ax - b * ab) slices, vec4 k4 of slice s at
// row * ax * K4 + b * ab * K4 + k4 * w + s % ab (see GemmArgs.interleaveA in src/ops/matmul.ts).
// With ab = ax that is (row * K4 + k4) * ax + s. ax and ab are 1 otherwise. B's slices may be
// interleaved in groups of 4 vec4s along each row (bx > 1 slices; groupedAt, lib/interleave.wgsl),
// and C's in groups of 4 vec4s (cx > 1 slices, sc = 4, N4 % 4 == 0: vec4 q = row * N4 + col4 of
// slice z at cbase + (q / 4) * 4 * cx + z * 4 + q % 4; GemmArgs.interleaveC). Since col4 and so the first
// column of every row of the tile, q0 = row * N4 + col4, are multiples of 4, vec4 j of that row
// is at q0 * cx + (j / 4) * 4 * cx + j % 4, which is q0 + j when planar (cx = 1): one form.
struct Params {
  M: u32, N: u32, K: u32, zsum: u32,
  sa: u32, sb: u32, sc: u32, cgroups: u32,
  abase: u32, bbase: u32, cbase: u32, batch: u32,
  ax: u32, cx: u32, bx: u32, ab: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
//@BINDINGS
//!include interleave
@group(0) @binding(3) var<storage, read_write> C: array<vec4<f32>>;

@compute @workgroup_size(8, WGY)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let M4 = p.M / 4u;
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let slice = gid.x / p.cgroups;
  let col4 = (gid.x % p.cgroups) * TN4;
  let row = gid.y * TM;
  if (slice >= p.batch || row >= p.M) { return; }
  let co = p.cbase + slice * p.sc;
  //@DECLARE
  //@SLICES
    let ao = p.abase + s * p.sa;
    let bo = p.bbase + s * p.sb;
    // A's slice: planar, at ao (a texture's: its layer), vec4s K4 apart along its rows, 1 along
    // K; interleaved, its first vec4 ai within a row of ax * K4, aw apart along K (see Params).
    let ail = p.ax > 1u;
    let ablock = s / p.ab;
    let ai = select(0u, ablock * p.ab * K4 + s % p.ab, ail);
    let aw = select(1u, min(p.ab, p.ax - ablock * p.ab), ail);
    let arow = select(K4, p.ax * K4, ail);
    let aos = select(ao, ai, ail);
    let aol = select(ao, 0u, ail);
    // B's slice: planar at bo (a texture's: its layer); interleaved, 0: rows of bx * width vec4s,
    // the slice's vec4s placed by groupedAt.
    let bos = select(bo, 0u, p.bx > 1u);
    //@SLICE_DECLARE
    for (var k4 = k0; k4 < k1; k4++) {
      //@BODY
    }
  }
  //@STORE
}
