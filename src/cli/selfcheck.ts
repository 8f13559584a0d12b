/**
 * The self-check `deno task train` runs until the training CLI lands: prints the adapter and
 * runs one op forward and backward, checking the result against the CPU.
 * @module
 */
import { backward, init, matmul, NoAdapterError, runtime, sum, tensor } from "../../mod.ts";

/** Runs the self-check; returns the process exit code. */
export async function selfCheck(): Promise<number> {
  try {
    await init();
  } catch (e) {
    if (e instanceof NoAdapterError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
  const rt = runtime();
  console.log(`samwise self-check on WebGPU adapter: ${rt.adapterName}`);
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([1, 0, -1, 2, 0.5, 1], [3, 2]);
  a.requiresGrad = true;
  const y = matmul(a, b);
  const loss = sum(y);
  backward(loss);
  const got = [...await y.data()];
  const want = [1 * 1 + 2 * -1 + 3 * 0.5, 0 + 4 + 3, 4 - 5 + 3, 0 + 10 + 6];
  const grad = [...await a.grad!.data()];
  const wantGrad = [1, 1, 1.5, 1, 1, 1.5];
  const ok = got.every((v, i) => Math.abs(v - want[i]) < 1e-5) &&
    grad.every((v, i) => Math.abs(v - wantGrad[i]) < 1e-5);
  console.log(`matmul [2,3]x[3,2] = [${got}] (expected [${want}])`);
  console.log(`d sum / dA = [${grad}] (expected [${wantGrad}])`);
  const s = rt.stats();
  console.log(
    `${s.dispatches} dispatches in ${s.submits} submits, ${s.readbacks} readbacks: ${ok ? "OK" : "MISMATCH"}`,
  );
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await selfCheck());
