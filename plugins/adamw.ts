/**
 * Built-in base optimizer `adamw`: PyTorch's AdamW (decoupled weight decay, bias correction).
 * Memory: two buffers shaped like the parameters (first and second moments).
 *
 * @module
 */
import type { BaseOptimizerPlugin } from "../src/plugins/api.ts";
import { AdamW } from "../src/step/adamw.ts";
import { LR, WEIGHT_DECAY } from "./common.ts";
import { BASE_REPORT, COST } from "./reports.ts";

/** The `adamw` descriptor. */
const adamw: BaseOptimizerPlugin = {
  name: "adamw",
  kind: "optimizer",
  role: "base",
  report: BASE_REPORT,
  cost: COST.base,
  description: "AdamW (PyTorch semantics): decoupled weight decay, bias-corrected moments",
  options: [
    LR,
    WEIGHT_DECAY,
    {
      name: "betas",
      type: "numbers",
      default: [0.9, 0.999],
      length: 2,
      range: { min: 0, max: 1, maxExclusive: true },
      help: "AdamW moment decay rates beta1 beta2",
    },
    {
      name: "eps",
      type: "number",
      default: 1e-8,
      range: { min: 0, minExclusive: true },
      help: "AdamW epsilon",
    },
  ],
  create({ params, grads, options }) {
    const [b1, b2] = options.numbers("betas");
    return new AdamW({ params, grads }, {
      lr: options.number("lr"),
      betas: [b1, b2],
      eps: options.number("eps"),
      weightDecay: options.number("weight_decay"),
    });
  },
};

export default adamw;
