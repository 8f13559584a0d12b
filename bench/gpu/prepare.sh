#!/usr/bin/env bash
# Builds .gpu/ (git-ignored) for bench/gpu/compare.sh, which times a ResNet-18 SGD step of samwise
# (WebGPU through the NVIDIA Vulkan driver) against PyTorch CUDA on a lent GPU machine. That machine
# has PyTorch but no Deno, no Vulkan loader and no network, so everything travels from here:
#   .gpu/deno.xz        this machine's Deno binary, xz-compressed (the working tree's limit is 64 MiB)
#   .gpu/deno_dir/      a DENO_DIR holding the npm packages the bench imports (run with --cached-only)
#   .gpu/debs/*.deb     the Vulkan / EGL loaders (amd64), unpacked there as the device README says
#   .gpu/torch_anchor.py  ../shared/anchors' PyTorch models (the measuring tool, not a dependency)
# Run from the project root: bash bench/gpu/prepare.sh; then, in a session with a device machine,
# run `bash bench/gpu/compare.sh` there with carry [".gpu"] (see compare.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu
mkdir -p "$out/debs"
deno_bin=$(readlink -f "$(command -v deno)")
[ -x "$deno_bin" ] || { echo "prepare.sh: no deno on PATH" >&2; exit 2; }
want=$(sed -nE 's/.*"samwise": *\{ *"deno": *"([0-9.]+)".*/\1/p' deno.json)
have=$("$deno_bin" --version | head -1 | cut -d' ' -f2)
[ "$want" = "$have" ] || { echo "prepare.sh: deno $have on PATH, deno.json pins $want" >&2; exit 2; }
if [ ! -s "$out/deno.xz" ] || [ "$deno_bin" -nt "$out/deno.xz" ]; then
  xz -T0 -6 -c "$deno_bin" >"$out/deno.xz.tmp" && mv "$out/deno.xz.tmp" "$out/deno.xz"
fi
DENO_DIR="$PWD/$out/deno_dir" deno cache --quiet bench/step_bench.ts
if ! compgen -G "$out/debs/libvulkan1_*.deb" >/dev/null; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  # shellcheck disable=SC2086
  apt-get $o update -qq
  # shellcheck disable=SC2086
  (cd "$out/debs" && apt-get $o download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
cp ../shared/anchors/torch_anchor.py "$out/torch_anchor.py"
du -sh "$out" "$out"/* | sed 's/^/prepare.sh: /'
total=$(du -sm "$out" | cut -f1)
[ "$total" -lt 60 ] || { echo "prepare.sh: $out is ${total} MiB, over what a device call carries" >&2; exit 2; }
