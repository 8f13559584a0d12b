/**
 * Weight initialisers with PyTorch's definitions, applied on the CPU before upload.
 *
 * PyTorch's defaults: `Conv2d` and `Linear` weights use kaiming_uniform(a = sqrt(5)), which is
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and their biases U(-1/sqrt(fan_in), 1/sqrt(fan_in));
 * `BatchNorm2d` weight 1 and bias 0. Models override these where their PyTorch definition
 * does (WideResNet: kaiming_normal(fan_out, relu) convolutions, zero linear bias).
 *
 * @module
 */
import type { Rng } from "../random/rng.ts";

/** Fills `out` with initial values drawn from `rng`. */
export type Initializer = (out: Float32Array, rng: Rng) => void;

/** Every element equal to `value`. */
export function constant(value: number): Initializer {
  return (out) => {
    out.fill(value);
  };
}

/** Zeros. */
export const zeros: Initializer = constant(0);
/** Ones. */
export const ones: Initializer = constant(1);

/** U(-bound, bound). */
export function uniform(bound: number): Initializer {
  return (out, rng) => {
    for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * bound;
  };
}

/** N(0, std^2). */
export function normal(std: number): Initializer {
  return (out, rng) => {
    for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
  };
}

/** The leaky-ReLU gain sqrt(2 / (1 + a^2)) (a = 0: ReLU, gain sqrt(2)). */
export function leakyReluGain(a: number): number {
  return Math.sqrt(2 / (1 + a * a));
}

/**
 * PyTorch's kaiming_uniform_(a, mode) given the fan of the chosen mode: U(-b, b) with
 * b = gain(a) * sqrt(3 / fan). The default a = sqrt(5) is nn.Conv2d's and nn.Linear's weight init.
 */
export function kaimingUniform(fan: number, a: number = Math.sqrt(5)): Initializer {
  return uniform(leakyReluGain(a) * Math.sqrt(3 / fan));
}

/** PyTorch's kaiming_normal_(a, mode) given the fan of the chosen mode: N(0, (gain(a) / sqrt(fan))^2). */
export function kaimingNormal(fan: number, a = 0): Initializer {
  return normal(leakyReluGain(a) / Math.sqrt(fan));
}

/** The default bias of nn.Conv2d and nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 when fan_in is 0). */
export function defaultBias(fanIn: number): Initializer {
  return uniform(fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0);
}
