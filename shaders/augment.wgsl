// Data augmentation of one batch, from uint8 images resident on the GPU.
//
// One invocation per output pixel (b, y, x), covering all channels, so that the image's
// random draws are hashed once per pixel rather than once per value. Everything random
// is a pure function of (dataset index, epoch, seed) through pcg4d, the same hash as
// src/random/rng.ts computes on the CPU, so the CPU reference reproduces every pixel.
//
// The dataset is split over up to four storage buffers ("shards", each within the
// adapter's binding limit: CIFAR's 150 MB training set exceeds a 128 MiB binding); each
// holds `per_shard` whole images packed four bytes per u32, little-endian.
//
// `gathered` = 1: a split too large for the shards is streamed instead; shard0 then holds just
// this batch's images, in batch order, and image b of the batch is read from position b. The
// random draws and the label still key on the dataset index, so the batch is the same.

struct Params {
  count: u32,       // images in this batch
  start: u32,       // position in `order` of the batch's first image
  per_shard: u32,   // images per shard buffer
  channels: u32,
  height: u32,
  width: u32,
  pad: u32,         // random-crop zero padding (0: no crop)
  cutout: u32,      // cutout side (0: none)
  seed: u32,
  epoch: u32,
  p_flip: f32,
  p_cutout: f32,
  mean: vec4<f32>,  // per channel, pixel / 255 (byte offset 48)
  stdev: vec4<f32>, // (`std` is reserved in WGSL)
  gathered: u32,    // byte offset 80
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> shard0: array<u32>;
@group(0) @binding(2) var<storage, read> shard1: array<u32>;
@group(0) @binding(3) var<storage, read> shard2: array<u32>;
@group(0) @binding(4) var<storage, read> shard3: array<u32>;
@group(0) @binding(5) var<storage, read> labels: array<f32>;
@group(0) @binding(6) var<storage, read> order: array<u32>;
@group(0) @binding(7) var<storage, read_write> out_x: array<f32>;
@group(0) @binding(8) var<storage, read_write> out_y: array<f32>;

// pcg4d (Jarzynski & Olano 2020): four u32 in, four well-mixed u32 out.
fn pcg4d(a: vec4<u32>) -> vec4<u32> {
  var v = a * 1664525u + vec4<u32>(1013904223u);
  v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
  v ^= v >> vec4<u32>(16u);
  v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
  return v;
}

// A uniform number in [0, 1) with 24 bits: exact in f32, so CPU and GPU compare alike.
fn unit(r: u32) -> f32 {
  return f32(r >> 8u) * (1.0 / 16777216.0);
}

// Byte `byte_in_image` of image `img`, from whichever shard holds it.
fn pixel(img: u32, byte_in_image: u32, image_bytes: u32) -> u32 {
  let shard = img / p.per_shard;
  let byte = (img - shard * p.per_shard) * image_bytes + byte_in_image;
  let w = byte >> 2u;
  var word: u32;
  switch shard {
    case 0u: { word = shard0[w]; }
    case 1u: { word = shard1[w]; }
    case 2u: { word = shard2[w]; }
    default: { word = shard3[w]; }
  }
  return (word >> ((byte & 3u) * 8u)) & 0xffu;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + li;
  let hw = p.height * p.width;
  if (i >= p.count * hw) { return; }
  let b = i / hw;
  let y = (i % hw) / p.width;
  let x = i % p.width;
  let img = order[p.start + b];
  if (y == 0u && x == 0u) { out_y[b] = labels[img]; }

  // Streams 0 and 1 of src/random/rng.ts (STREAM.augmentA, STREAM.augmentB).
  let ra = pcg4d(vec4<u32>(img, p.epoch, p.seed, 0u));
  let rb = pcg4d(vec4<u32>(img, p.epoch, p.seed, 1u));
  let span = 2u * p.pad + 1u;
  let oy = ra.x % span;
  let ox = ra.y % span;
  let flip = unit(ra.z) < p.p_flip;
  let cut = p.cutout > 0u && unit(ra.w) < p.p_cutout;

  // Output (y, x) reads crop (y, x'), x' = mirrored x if flipped; the crop window starts
  // at (oy, ox) of the image padded by `pad`, i.e. at (oy - pad, ox - pad) of the image.
  let xc = select(x, p.width - 1u - x, flip);
  let sy = i32(y + oy) - i32(p.pad);
  let sx = i32(xc + ox) - i32(p.pad);
  let inside = sy >= 0 && sy < i32(p.height) && sx >= 0 && sx < i32(p.width);

  // The seed's Cutout: centre (cy, cx) anywhere, rows [cy - s/2, cy + s/2) clipped.
  var zeroed = false;
  if (cut) {
    let half = i32(p.cutout / 2u);
    let cy = i32(rb.x % p.height);
    let cx = i32(rb.y % p.width);
    zeroed = i32(y) >= cy - half && i32(y) < cy + half && i32(x) >= cx - half && i32(x) < cx + half;
  }

  let image_bytes = p.channels * hw;
  let src = select(img, b, p.gathered != 0u);
  for (var c = 0u; c < p.channels; c++) {
    var v = 0.0;
    if (inside) { v = f32(pixel(src, c * hw + u32(sy) * p.width + u32(sx), image_bytes)); }
    var z = (v / 255.0 - p.mean[c]) / p.stdev[c];
    if (zeroed) { z = 0.0; }
    out_x[((b * p.channels + c) * p.height + y) * p.width + x] = z;
  }
}
