/**
 * Vision Transformer as timm's `vit_small_patch16_224` (what the seed's `vit` builds with
 * `timm.create_model("vit_small_patch16_224", num_classes=200)`): a 16x16 stride-16 patch
 * convolution to 384 features, a class token in front, a learned position embedding, 12 pre-norm
 * blocks (LayerNorm eps 1e-6, 6-head self-attention, LayerNorm, MLP 384 -> 1536 -> 384 with erf
 * GELU, each added to the residual stream), a final LayerNorm and the linear head on the class
 * token. No dropout, drop-path or layer scale (timm's defaults). 21,742,664 parameters with 200
 * classes at 224x224.
 *
 * State-dict names are timm's: `cls_token`, `pos_embed`, `patch_embed.proj.weight`,
 * `blocks.0.norm1.weight`, `blocks.0.attn.qkv.weight`, `blocks.0.attn.proj.bias`,
 * `blocks.0.mlp.fc1.weight`, `blocks.0.mlp.fc2.bias`, `norm.weight`, `head.weight`, …
 *
 * Image size: the position embedding has one entry per patch, so it is fixed when the model is
 * built (`imageSize`, 224 by default, as timm's `img_size`). Other sizes give floor(size / 16)
 * patches per side (timm's grid; pixels past the last whole patch are ignored by the stride-16
 * convolution), which is how tests train it on 32x32 or 28x28 images. Inputs must have the size
 * the model was built for (timm's strict_img_size).
 *
 * Initialisation as timm's default (`weight_init=''`): linear weights trunc_normal(std 0.02) with
 * zero biases, the position embedding trunc_normal(0.02), the class token normal(std 1e-6), layer
 * norms 1 and 0, and the patch convolution with PyTorch's default Conv2d initialisation.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { add } from "../ops/elementwise.ts";
import { concat, narrow } from "../ops/concat.ts";
import { broadcastTo, reshape, transpose } from "../ops/shape_ops.ts";
import { Attention, Conv2d, GELU, LayerNorm, Linear, Module, Sequential, tokenLinear } from "../nn/mod.ts";
import { init, truncNormal } from "../nn/mod.ts";
import type { Parameter } from "../nn/mod.ts";

/** Patch side of vit_small_patch16_224, the smallest image side it takes. */
export const VIT_PATCH = 16;

/** timm's LayerNorm eps in ViT (partial(nn.LayerNorm, eps=1e-6)). */
const VIT_LN_EPS = 1e-6;

/** Sets timm's linear initialisation: trunc_normal(0.02) weight, zero bias. */
function timmLinear(lin: Linear): Linear {
  lin.weight.init = truncNormal(0.02);
  if (lin.bias) lin.bias.init = init.zeros;
  return lin;
}

/** timm's PatchEmbed: `proj`, a patch x patch convolution of stride patch (with bias). */
export class PatchEmbed extends Module {
  readonly proj: Conv2d;

  constructor(inChannels: number, readonly dim: number, readonly patch: number) {
    super();
    this.proj = this.addModule("proj", new Conv2d(inChannels, dim, patch, { stride: patch }));
  }

  /** Patch tokens [B, L, dim] of images [B, C, H, W], row-major over the patch grid. */
  forward(x: Tensor): Tensor {
    const y = this.proj.forward(x);
    const [B, D, gh, gw] = y.shape;
    return transpose(reshape(y, [B, D, gh * gw]), 1, 2);
  }
}

/** timm's Mlp: fc1, GELU, fc2 over every token. */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly act: GELU;
  readonly fc2: Linear;

  constructor(dim: number, hidden: number) {
    super();
    this.fc1 = this.addModule("fc1", timmLinear(new Linear(dim, hidden)));
    this.act = this.addModule("act", new GELU());
    this.fc2 = this.addModule("fc2", timmLinear(new Linear(hidden, dim)));
  }

  /** x [B, N, dim] -> [B, N, dim]. */
  forward(x: Tensor): Tensor {
    return tokenLinear(this.fc2, this.act.forward(tokenLinear(this.fc1, x)));
  }
}

/** A pre-norm transformer block: x + attn(norm1 x), then + mlp(norm2 x). */
export class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;

  constructor(dim: number, heads: number, mlpHidden: number) {
    super();
    this.norm1 = this.addModule("norm1", new LayerNorm(dim, VIT_LN_EPS));
    this.attn = this.addModule("attn", new Attention(dim, heads));
    timmLinear(this.attn.qkv);
    timmLinear(this.attn.proj);
    this.norm2 = this.addModule("norm2", new LayerNorm(dim, VIT_LN_EPS));
    this.mlp = this.addModule("mlp", new Mlp(dim, mlpHidden));
  }

  /** x [B, N, dim] -> [B, N, dim]. */
  forward(x: Tensor): Tensor {
    const h = add(x, this.attn.forward(this.norm1.forward(x)));
    return add(h, this.mlp.forward(this.norm2.forward(h)));
  }
}

/** Options of {@link VisionTransformer}; defaults are vit_small_patch16_224's. */
export interface ViTOptions {
  /** Image channels (3). */
  inChannels: number;
  /** Classes of the head. */
  numClasses: number;
  /** Image height and width the position embedding is built for (224). */
  imageSize?: number | readonly [number, number];
  /** Patch side (16). */
  patch?: number;
  /** Token features (384). */
  dim?: number;
  /** Blocks (12). */
  depth?: number;
  /** Attention heads (6). */
  heads?: number;
  /** MLP hidden features (4 * dim). */
  mlpHidden?: number;
}

/** See the module documentation. */
export class VisionTransformer extends Module {
  readonly clsToken: Parameter;
  readonly posEmbed: Parameter;
  readonly patchEmbed: PatchEmbed;
  readonly blocks: Sequential;
  readonly norm: LayerNorm;
  readonly head: Linear;
  /** Input height and width. */
  readonly imageSize: readonly [number, number];
  /** Tokens per image: the class token and one per patch. */
  readonly numTokens: number;

  constructor(o: ViTOptions) {
    super();
    const patch = o.patch ?? 16, dim = o.dim ?? 384, depth = o.depth ?? 12, heads = o.heads ?? 6;
    const size = o.imageSize ?? 224;
    this.imageSize = typeof size === "number" ? [size, size] : [size[0], size[1]];
    const [H, W] = this.imageSize;
    if (!(H >= patch && W >= patch)) {
      throw new Error(`vit: images of ${H}x${W} are smaller than one ${patch}x${patch} patch`);
    }
    this.numTokens = 1 + Math.floor(H / patch) * Math.floor(W / patch);
    // timm registers cls_token and pos_embed before its submodules; the state dict follows.
    this.clsToken = this.addParameter("cls_token", [1, 1, dim], init.normal(1e-6));
    this.posEmbed = this.addParameter("pos_embed", [1, this.numTokens, dim], truncNormal(0.02));
    this.patchEmbed = this.addModule("patch_embed", new PatchEmbed(o.inChannels, dim, patch));
    this.blocks = this.addModule("blocks", new Sequential());
    for (let i = 0; i < depth; i++) this.blocks.append(new Block(dim, heads, o.mlpHidden ?? 4 * dim));
    this.norm = this.addModule("norm", new LayerNorm(dim, VIT_LN_EPS));
    this.head = this.addModule("head", timmLinear(new Linear(dim, o.numClasses)));
  }

  /** Logits [B, numClasses] of images [B, C, H, W] of the size the model was built for. */
  forward(x: Tensor): Tensor {
    const [H, W] = this.imageSize;
    if (x.rank !== 4 || x.shape[2] !== H || x.shape[3] !== W) {
      throw new Error(`vit: built for ${H}x${W} images, got input [${x.shape}]`);
    }
    const B = x.shape[0], D = this.posEmbed.shape[2];
    const patches = this.patchEmbed.forward(x);
    const cls = broadcastTo(this.clsToken.value, [B, 1, D]);
    let t = add(concat([cls, patches], 1), this.posEmbed.value);
    t = this.blocks.forward(t);
    // The final norm is per token, so normalising only the class token equals timm's norm-all-then-pick.
    const clsOut = reshape(narrow(t, 1, 0, 1), [B, D]);
    return this.head.forward(this.norm.forward(clsOut));
  }
}

/** timm's vit_small_patch16_224 with `numClasses` classes (the seed's `vit`). */
export function vitSmallPatch16(o: ViTOptions): VisionTransformer {
  return new VisionTransformer({ ...o, patch: VIT_PATCH, dim: 384, depth: 12, heads: 6, mlpHidden: 1536 });
}
