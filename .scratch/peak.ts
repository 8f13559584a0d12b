import { winogradSettings } from "../src/ops/winograd.ts";
winogradSettings.chargeFilter = Deno.env.get("CHARGE") !== "0";
await import("../bench/conv_ab.ts");
