/**
 * Tensors: storage, shapes, memory scopes.
 * @module
 */
export { OFFSET_ALIGN, Storage, Tensor } from "./tensor.ts";
export { keep, scopeDepth, tidy } from "./scope.ts";
export * from "./shape.ts";
