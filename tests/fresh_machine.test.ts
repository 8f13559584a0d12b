// A fresh machine: the Deno version pinned in one place and gated, the WebGPU backend detected
// (Vulkan and GL both call Mesa's adapter "llvmpipe"), printed first and recorded, and no adapter at
// all reported in one line with exit code 2.
import { denoVersionProblem, pinnedDenoVersion } from "../src/cli/deno_version.ts";
import { type BackendSignals, detectBackend, llvmpipeThreads, vulkanIcdFound } from "../src/gpu/device.ts";
import { adapterFromScheduler } from "../src/sweep/slurm.ts";
import { assert, assertEquals } from "./assert.ts";
import { skipUnless, skipWithout } from "./skip.ts";

const root = new URL("..", import.meta.url).pathname;
const denoJson = await Deno.readTextFile(`${root}deno.json`);

Deno.test("the Deno version is pinned once, in deno.json, and the README's npx commands use it", async () => {
  const pin = pinnedDenoVersion(denoJson);
  const readme = await Deno.readTextFile(`${root}README.md`);
  assert(readme.includes(`npx -y deno@${pin} task train`), "README train command");
  assert(readme.includes(`npx -y deno@${pin} task test`), "README test command");
  const ci = await Deno.readTextFile(`${root}.ci/run`);
  assert(!/deno@\d/.test(ci), ".ci/run must read the pin from deno.json, not repeat it");
  const tasks = JSON.parse(denoJson).tasks as Record<string, string>;
  for (const t of ["train", "test"]) {
    assert(tasks[t].startsWith("deno run --allow-read src/cli/deno_version.ts && "), t);
  }
});

Deno.test("an older Deno is refused in one line naming the needed version; same or newer minor passes", () => {
  assertEquals(denoVersionProblem("2.9.6", "2.9.6"), null);
  assertEquals(denoVersionProblem("2.9.0", "2.9.6"), null);
  assertEquals(denoVersionProblem("2.10.1", "2.9.6"), null);
  assertEquals(denoVersionProblem("3.0.0", "2.9.6"), null);
  for (const old of ["2.8.9", "1.46.3", "2.1.0"]) {
    const m = denoVersionProblem(old, "2.9.6")!;
    assert(
      m.includes(`Deno ${old} is too old (needs >= 2.9)`) && m.includes("npx -y deno@2.9.6") &&
        !m.includes("\n"),
      m,
    );
  }
});

Deno.test("the version gate exits 0 under this Deno and 2 with one line under a pin from the future", async () => {
  const gate = `${root}src/cli/deno_version.ts`;
  const ok = await new Deno.Command(Deno.execPath(), { args: ["run", "--allow-read", gate] }).output();
  assertEquals(ok.code, 0);
  // A copy of the gate beside a deno.json pinning a later major version stands in for an old Deno.
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/src/cli`, { recursive: true });
  await Deno.copyFile(gate, `${dir}/src/cli/deno_version.ts`);
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ samwise: { deno: "99.0.0" } }));
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `${dir}/src/cli/deno_version.ts`],
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr).trim();
  assertEquals(r.code, 2);
  assert(/^samwise: Deno [\d.]+ is too old \(needs >= 99\.0\)/.test(err) && !err.includes("\n"), err);
  await Deno.remove(dir, { recursive: true });
});

const LAVAPIPE_VK: BackendSignals = {
  os: "linux",
  vulkanIcdFound: true,
  features: new Set(["shader-f16", "timestamp-query"]),
  subgroupMinSize: 8,
  subgroupMaxSize: 8,
};
const LLVMPIPE_GL: BackendSignals = {
  os: "linux",
  vulkanIcdFound: true,
  features: new Set(["texture-compression-etc2", "timestamp-query"]),
  subgroupMinSize: 4,
  subgroupMaxSize: 128,
};

Deno.test("detectBackend: the variable first, then the ICD files, then the GL feature signature", () => {
  assertEquals(detectBackend(LAVAPIPE_VK).name, "vulkan");
  assertEquals(detectBackend(LLVMPIPE_GL).name, "gl"); // an ICD that failed to load
  assertEquals(detectBackend({ ...LAVAPIPE_VK, vulkanIcdFound: false }), {
    name: "gl",
    evidence: "no Vulkan ICD file",
  });
  assertEquals(detectBackend({ ...LAVAPIPE_VK, denoWebgpuBackend: "gl" }).name, "gl");
  assertEquals(detectBackend({ ...LLVMPIPE_GL, denoWebgpuBackend: "vulkan" }).name, "vulkan");
  assertEquals(detectBackend({ ...LAVAPIPE_VK, denoWebgpuBackend: "vulkan,gl" }).name, "vulkan"); // ambiguous: ICD
  assertEquals(detectBackend({ ...LAVAPIPE_VK, os: "darwin" }).name, "metal");
  assertEquals(detectBackend({ ...LAVAPIPE_VK, os: "windows" }).name, "unknown");
  assertEquals(detectBackend({ ...LLVMPIPE_GL, os: "windows" }).name, "gl");
});

Deno.test("vulkanIcdFound: VK_ICD_FILENAMES / VK_DRIVER_FILES replace the search; a missing file finds none", async () => {
  const dir = await Deno.makeTempDir();
  const icd = `${dir}/x_icd.json`;
  await Deno.writeTextFile(icd, "{}");
  const env = (m: Record<string, string>) => (k: string) => m[k];
  assertEquals(vulkanIcdFound(env({ VK_ICD_FILENAMES: "/nonexistent" })), false);
  assertEquals(vulkanIcdFound(env({ VK_ICD_FILENAMES: `/nonexistent:${icd}` })), true);
  assertEquals(vulkanIcdFound(env({ VK_DRIVER_FILES: dir })), true);
  // With the home and data directories pointed at an empty place, only /etc can hold a driver.
  const etcIcd = ["/etc/xdg/vulkan/icd.d", "/etc/vulkan/icd.d"].some((d) => {
    try {
      return [...Deno.readDirSync(d)].some((e) => e.name.endsWith(".json"));
    } catch {
      return false;
    }
  });
  await Deno.remove(icd);
  assertEquals(vulkanIcdFound(env({ HOME: dir, XDG_DATA_DIRS: dir, XDG_CONFIG_HOME: dir })), etcIcd);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("adapterFromScheduler: the first assigned GPU index, 0 when the job sees one GPU", () => {
  const env = (m: Record<string, string>) => (k: string) => m[k];
  assertEquals(adapterFromScheduler(env({ CUDA_VISIBLE_DEVICES: "2,3" }), 4), 2);
  assertEquals(adapterFromScheduler(env({ SLURM_STEP_GPUS: "1", CUDA_VISIBLE_DEVICES: "0" }), 4), 1);
  assertEquals(adapterFromScheduler(env({ CUDA_VISIBLE_DEVICES: "3" }), 1), 0); // ConstrainDevices
  assertEquals(adapterFromScheduler(env({}), 4), 0);
});

const cli = `${root}src/cli/train.ts`;
const TINY = [
  "--model",
  "wideresnet10x1",
  "--batch_size",
  "16",
  "--train_images",
  "32",
  "--test_images",
  "16",
];

/** Runs train with `env` until its first stdout line (or the end); returns that line and the exit code. */
async function firstLine(
  env: Record<string, string>,
  extra: string[] = [],
  clearEnv = false,
): Promise<{ line: string; code: number; err: string }> {
  const out = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...TINY, "--epochs", "1", "--output_dir", out, ...extra],
    env,
    clearEnv,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  if (text.includes("\n")) child.kill("SIGKILL");
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const { code } = await child.status;
  const err = await errText;
  await Deno.remove(out, { recursive: true });
  return { line: text.split("\n")[0], code, err };
}

const linux = Deno.build.os === "linux";

/** Whether Mesa's EGL driver, which wgpu's GL backend loads on headless Linux, is installed. */
function eglMesa(): boolean {
  const dirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"];
  return dirs.some((d) => {
    try {
      Deno.statSync(`${d}/libEGL_mesa.so.0`);
      return true;
    } catch {
      return false;
    }
  });
}
const lvp = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json";

Deno.test({
  name: "without a Vulkan ICD the first line says gl and the adapter (wgpu's fallback to OpenGL)",
  ignore: !linux || skipUnless(eglMesa(), "Mesa's EGL driver libEGL_mesa.so.0", "libegl-mesa0"),
  async fn() {
    // Only the ICD is taken away: a DENO_WEBGPU_BACKEND from outside must not forbid GL.
    const env = Deno.env.toObject();
    delete env.DENO_WEBGPU_BACKEND;
    const r = await firstLine({ ...env, VK_ICD_FILENAMES: "/nonexistent" }, [], true);
    assert(/ on gl \(no Vulkan ICD file\), adapter "[^"]+"$/.test(r.line), r.line + r.err);
  },
});

Deno.test({
  name: "with lavapipe the first line says vulkan; config.json and summary.json record backend and adapter",
  ignore: !linux || skipWithout(lvp, "mesa-vulkan-drivers"),
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir();
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, ...TINY, "--epochs", "1", "--output_dir", out, "--output_name", "b"],
      env: { VK_ICD_FILENAMES: lvp },
      stdout: "piped",
    }).output();
    const first = new TextDecoder().decode(r.stdout).split("\n")[0];
    assertEquals(r.code, 0);
    assert(/ on vulkan \(.*\), adapter "llvmpipe[^"]*"$/.test(first), first);
    for (const f of ["config.json", "summary.json"]) {
      const j = JSON.parse(await Deno.readTextFile(`${out}/b/${f}`));
      assertEquals(j.backend, "vulkan", f);
      assert(String(j.adapter).startsWith("llvmpipe"), f);
    }
    await Deno.remove(out, { recursive: true });
  },
});

Deno.test({
  name: "no adapter at all: one line saying what to install, exit code 2",
  ignore: !linux,
  async fn() {
    const r = await firstLine({ DENO_WEBGPU_BACKEND: "vulkan", VK_ICD_FILENAMES: "/nonexistent" });
    assertEquals(r.code, 2);
    const err = r.err.trim();
    assert(/^samwise: no WebGPU adapter found: .*apt-get install -y mesa-vulkan-drivers/.test(err), err);
    assert(!err.includes("\n"), err);
    assertEquals(r.line, "");
  },
});

Deno.test("--adapter beyond the machine's GPUs is refused in one line naming the flag", async () => {
  const r = await firstLine({}, ["--adapter", "7"]);
  assertEquals(r.code, 2);
  assert(/^samwise train: --adapter 7: expected 0/.test(r.err.trim()) && !r.err.trim().includes("\n"), r.err);
});

Deno.test("llvmpipe gets three threads per core, at most its 16", () => {
  assertEquals([0, 1, 2, 4, 5, 6, 64].map(llvmpipeThreads), [3, 3, 6, 12, 15, 16, 16]);
});

Deno.test("the first adapter request sets LP_NUM_THREADS for llvmpipe, unless the user set it", async () => {
  const script = `import { gpuContext } from "${root}src/gpu/device.ts";
    try { await gpuContext(); } catch { /* no adapter: the variable is set before the request */ }
    console.log(Deno.env.get("LP_NUM_THREADS"));`;
  const env = Deno.env.toObject();
  delete env.LP_NUM_THREADS;
  const run = async (extra: Record<string, string>) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      clearEnv: true,
      env: { ...env, ...extra },
      stderr: "null",
    }).output();
    return new TextDecoder().decode(r.stdout).trim().split("\n").at(-1);
  };
  assertEquals(await run({}), String(llvmpipeThreads(navigator.hardwareConcurrency)));
  assertEquals(await run({ LP_NUM_THREADS: "5" }), "5");
});
