/**
 * Built-in base optimizer `sgd`: PyTorch's SGD (momentum with dampening 0, Nesterov, weight decay
 * added to the gradient). Memory: one momentum buffer when `--momentum` is not 0.
 *
 * @module
 */
import type { BaseOptimizerPlugin } from "../src/plugins/api.ts";
import { OptionError } from "../src/plugins/options.ts";
import { Sgd } from "../src/step/sgd.ts";
import { LR, WEIGHT_DECAY } from "./common.ts";
import { BASE_REPORT, COST } from "./reports.ts";

/** The `sgd` descriptor. */
const sgd: BaseOptimizerPlugin = {
  name: "sgd",
  kind: "optimizer",
  role: "base",
  report: BASE_REPORT,
  cost: COST.base,
  description: "SGD (PyTorch semantics): momentum, dampening 0, Nesterov, weight decay added to the gradient",
  options: [
    LR,
    WEIGHT_DECAY,
    { name: "momentum", type: "number", default: 0.9, range: { min: 0, max: 1 }, help: "SGD momentum" },
    { name: "nesterov", type: "boolean", default: false, help: "Nesterov momentum (SGD)" },
  ],
  create({ params, grads, options }) {
    const momentum = options.number("momentum");
    const nesterov = options.boolean("nesterov");
    if (nesterov && momentum <= 0) throw new OptionError("--nesterov", "--nesterov needs --momentum > 0");
    return new Sgd({ params, grads }, {
      lr: options.number("lr"),
      momentum,
      weightDecay: options.number("weight_decay"),
      nesterov,
    });
  },
};

export default sgd;
