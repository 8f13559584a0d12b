// A --plugin given as a URL works through `deno task train`: the CLI re-runs itself with import
// access to that plugin's host only. The plugin is served by a tiny HTTP server on 127.0.0.1.
import { readResults } from "../src/train/results_csv.ts";
import { assert, assertEquals } from "./assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;

// A criterion that imports nothing: it perturbs every k-th step.
const PLUGIN = `export default {
  name: "every_k",
  kind: "criterion",
  description: "perturb every k-th step",
  options: [{ name: "every_k", type: "integer", default: 2, range: { min: 1 }, help: "every_k: period" }],
  create: (setup) => {
    const k = setup.options.number("every_k");
    return { shouldPerturb: (ctx) => ctx.step % k === 0 };
  },
};
`;

// The server: its own process with network access to 127.0.0.1 only; prints its port.
const SERVER = `
const body = ${JSON.stringify(PLUGIN)};
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) }, () =>
  new Response(body, { headers: { "content-type": "application/javascript" } }));
await server.finished;
`;

Deno.test({
  name: "deno task train --plugin http://127.0.0.1:PORT/...: imported with that host's permission only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir();
    const server = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net=127.0.0.1", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const w = server.stdin.getWriter();
    await w.write(new TextEncoder().encode(SERVER));
    await w.close();
    const reader = server.stdout.getReader();
    let portText = "";
    while (!portText.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      portText += new TextDecoder().decode(value);
    }
    const url = `http://127.0.0.1:${portText.trim()}/every_k.js`;
    // Deno records a remote module's hash in deno.lock; this one's URL has a random port, so the
    // lockfile is put back as it was instead of gaining an entry per run.
    const lockPath = `${ROOT}deno.lock`;
    const lock = await Deno.readTextFile(lockPath);
    try {
      const res = await new Deno.Command("deno", {
        args: [
          "task",
          "train",
          "--plugin",
          url,
          "--opt",
          "vassore-sgd",
          "--crt",
          "every_k",
          "--model",
          "wideresnet10x1",
          "--train_images",
          "64",
          "--test_images",
          "32",
          "--batch_size",
          "32",
          "--epochs",
          "1",
          "--output_dir",
          out,
          "--output_name",
          "url",
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
      assertEquals(res.code, 0, text);
      const rows = await readResults(`${out}/results.csv`);
      assertEquals(rows.length, 1);
      assertEquals(rows[0].criterion, "every_k");
      assert(rows[0].crt_parameter.includes("every_k=2"), rows[0].crt_parameter);
    } finally {
      await Deno.writeTextFile(lockPath, lock);
      server.kill("SIGTERM");
      await reader.cancel();
      await server.status;
      await Deno.remove(out, { recursive: true });
    }
  },
});
