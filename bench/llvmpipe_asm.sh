#!/usr/bin/env bash
# The x86 code llvmpipe compiled for the kernels a command ran, one listing per shader: the
# command runs with an empty Mesa shader cache of its own (MESA_SHADER_CACHE_DIR), whose entries
# are zstd-compressed ELF objects; each is unpacked and disassembled with objdump. Mesa's release
# builds print no code themselves (GALLIVM_DEBUG=asm needs a debug build).
# Usage (from the project root): bash bench/llvmpipe_asm.sh OUT_DIR deno run -A some_script.ts ...
# then e.g. `grep -c vfmadd OUT_DIR/*.s` or count the instructions of a listing's hottest loop.
# Needs zstd and objdump (binutils).
set -euo pipefail
out=$1
shift
mkdir -p "$out"
cache=$(mktemp -d)
MESA_SHADER_CACHE_DIR=$cache XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} "$@"
n=0
while IFS= read -r entry; do
  # The compressed payload follows the entry's header: find zstd's frame magic.
  at=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$entry" | head -1 | cut -d: -f1) || true
  [ -n "$at" ] || continue
  name=$(basename "$entry")
  tail -c +"$((at + 1))" "$entry" | zstd -q -d -c >"$out/$name.o" 2>/dev/null || continue
  objdump -d --no-show-raw-insn "$out/$name.o" >"$out/$name.s" 2>/dev/null || continue
  echo "$out/$name.s: $(grep -c $'\t' "$out/$name.s") instructions"
  n=$((n + 1))
done < <(find "$cache" -type f ! -name index)
rm -rf "$cache"
echo "$n listings in $out"
