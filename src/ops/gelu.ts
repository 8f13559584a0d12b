/**
 * GELU in its exact erf form, x * Phi(x) (PyTorch's `nn.GELU()` default and timm's), and its
 * fused backward.
 * @module
 */
import geluSrcText from "../../shaders/gelu.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { gridStride, launch, shaderSource } from "./launch.ts";

const geluSrc = shaderSource(geluSrcText);

/** gelu(x) = 0.5 x (1 + erf(x / sqrt 2)), elementwise. */
export function gelu(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape);
  if (out.size) {
    // The forward pass reads no gradient; x fills the unused binding.
    launch("gelu", geluSrc, { GRAD: 0 }, [x, x, out], new Params().u32(x.size).bytes(), gridStride(x.size));
  }
  return record("gelu", [x], out);
}

/** g * gelu'(x) with gelu'(x) = Phi(x) + x phi(x): the backward of {@link gelu} (not recorded). */
export function geluBackward(g: Tensor, x: Tensor): Tensor {
  const dx = Tensor.empty(x.shape);
  if (dx.size) {
    launch(
      "gelu_grad",
      geluSrc,
      { GRAD: 1 },
      [x, g, dx],
      new Params().u32(x.size).bytes(),
      gridStride(x.size),
    );
  }
  return dx;
}
