/**
 * `deno task train`: the training CLI entry point. Until the training loop lands it runs the
 * runtime self-check (adapter, one op forward and backward).
 * @module
 */
import { selfCheck } from "./selfcheck.ts";

if (import.meta.main) Deno.exit(await selfCheck());
