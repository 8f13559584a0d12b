#!/usr/bin/env bash
# ResNet-18 (CIFAR, batch 32) SGD steps, samwise on WebGPU against PyTorch on the same GPU, in one
# run: issue 19's GPU figure (goal: samwise >= 0.3 of PyTorch CUDA's images/s). Prepared here,
# run on a lent device machine from the repo root, after `bash bench/gpu/prepare.sh`:
#   run(command: "bash bench/gpu/compare.sh", carry: [".gpu"], timeout_s: 540)
# It unpacks the Vulkan loaders (.gpu/debs), unpacks Deno (.gpu/deno.xz), runs samwise's step bench
# (the adapter picks the gpu kernel family; the bench prints the adapter's name), then PyTorch's
# step on the same model (.gpu/torch_anchor.py's resnet18, SGD momentum 0.9, weight decay 1e-3,
# median of timed steps with torch.cuda.synchronize), and prints both and their ratio; the lines go
# to $OUT/gpu_compare.txt too. A rehearsal on a machine without a GPU (the plumbing, not the
# figures): COMPARE_LOCAL=1 PYTHON=/tmp/torch-anchor/bin/python bash bench/gpu/compare.sh
# (keeps / as it is, runs PyTorch on the CPU).
set -uo pipefail
cd "$(dirname "$0")/../.."
gpu=.gpu
log=${OUT:-/tmp}/gpu_compare.txt
: >"$log"
say() { echo "$*" | tee -a "$log"; }
for f in "$gpu/deno.xz" "$gpu/torch_anchor.py"; do
  [ -e "$f" ] || { echo "compare.sh: $f is missing: run bench/gpu/prepare.sh here first" >&2; exit 2; }
done
if [ -z "${COMPARE_LOCAL:-}" ]; then
  for f in "$gpu"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -e "$icd" ] && export VK_DRIVER_FILES=$icd
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -e "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES=$egl
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$log"
fi
xz -dc "$gpu/deno.xz" >/tmp/deno && chmod +x /tmp/deno
export DENO_DIR="$PWD/$gpu/deno_dir" XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} NO_COLOR=1
say "deno: $(/tmp/deno --version | head -1)"

# samwise: the same bench as ../shared/anchors/side_by_side.sh reads on the CPU.
s=$(mktemp)
timeout 300 /tmp/deno bench -A --no-check --cached-only --filter "resnet18 SGD step" bench/step_bench.ts >"$s" 2>&1
rc=$?
grep -E "samwise throughput on|resnet18 SGD step" "$s" | tee -a "$log"
[ $rc -eq 0 ] || { tail -20 "$s" | tee -a "$log"; say "compare.sh: samwise's bench failed (exit $rc)"; }

# PyTorch on the GPU (or the CPU in a rehearsal): torch_anchor.py's model, imported without running
# its CPU figures.
py=${PYTHON:-python3}
timeout 200 "$py" - "$gpu" <<'PY' 2>&1 | tee -a "$log"
import sys, time
sys.path.insert(0, sys.argv[1]); sys.argv = ["torch_anchor.py", "none"]
import torch, torch.nn.functional as F
import torch_anchor
dev = "cuda" if torch.cuda.is_available() else "cpu"
sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
torch.backends.cudnn.benchmark = True
for batch in (32, 128):
    model = torch_anchor.resnet18().to(dev).train()
    x, y = torch.randn(batch, 3, 32, 32, device=dev), torch.randint(0, 10, (batch,), device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward(); opt.step()
    for _ in range(5): step()
    sync()
    ts = []
    for _ in range(30 if dev == "cuda" else 3):
        t = time.perf_counter(); step(); sync(); ts.append(time.perf_counter() - t)
    ts.sort()
    name = torch.cuda.get_device_name() if dev == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {name} resnet18 SGD step, batch {batch}: {batch / ts[len(ts) // 2]:.1f} images/s")
PY
for b in 32 128; do
  sr=$(grep -E "resnet18 SGD step, batch $b\b" "$s" | grep -oE "[0-9]+(\.[0-9]+)? *images/s" | head -1 | grep -oE "^[0-9.]+")
  tr=$(grep -E "^torch .*batch $b:" "$log" | grep -oE "[0-9.]+ images/s" | grep -oE "^[0-9.]+")
  [ -n "$sr" ] && [ -n "$tr" ] && say "$(awk -v a="$sr" -v b="$tr" -v n="$b" 'BEGIN{printf "ratio resnet18 step, batch %d, samwise/torch: %.3f (%s / %s images/s)\n", n, a/b, a, b}')"
done
rm -f "$s"
