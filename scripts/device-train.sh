#!/usr/bin/env bash
# Train plugins' networks on a lent GPU machine (the workplace's `device` tool, which has PyTorch
# and CUDA but no Node.js and no network), with the recipes in recipes/. Three steps:
#
#  here:  scripts/device-train.sh pack [--val]
#           .device/bundle.tar.xz: this Node (24), the node_modules a training run loads, the
#           BSDS500 train photos (+ val with --val, if it fits). Prints what a call will carry
#           with the start weights in .device/from/ beside it (limit 64 MiB).
#         scripts/device-train.sh run 0.5 raindrop derain      dry run of the same, on this CPU
#         scripts/device-train.sh from raindrop deblur       shipped weights as start weights
#           (.device/from/<recipe>.safetensors.xz); xz makes float16 weights ~12% smaller.
#  there: move weights/ out of the checkout (alone it is over the 64 MiB a call carries), then
#           run(command: "bash scripts/device-train.sh run 7 raindrop denoise-rgb denoise-gray",
#           carry: [".device"], timeout_s: 600); put weights/ back.
#         When the bundle and the start weights together pass 64 MiB (any of deblur, dehaze,
#         raindrop), use two calls, the second at once while the machine is warm (30 s): "bash
#         scripts/device-train.sh unpack" carrying [".device/bundle.tar.xz"], then the run
#         carrying [".device/from"]; what the first unpacked stays there between calls.
#         The recipes train side by side on the one GPU for MINUTES each (the cores split between
#         their batch workers; the schedule anneals by the deadline, --schedule-by-time), then each
#         result goes to $OUT as float16, in parts of 15 MiB. ARGS_<recipe> adds options to one
#         recipe (ARGS_denoise_gray="--lr 0.0002"). Dry-run on CPU here: 2 recipes, 5 min.
#  here:  scripts/device-train.sh join <files_at> <folder>     the weights files, whole again
#         then compare with `npm run eval -- --only <networks> --weights-dir`… and ship the better
#         ones (scripts/ship-weights.ts, README "Quality of the shipped weights").
#
# $OUT takes 8 files of 16 MiB, 64 MiB in all: the float16 weights go as one xz archive in 15 MiB
# parts (five networks, 57 MiB; derain's 7 MiB more would not fit), the logs beside it. A call
# carries 64 MiB: the bundle (Node, modules, photos) is 56 of them. Checkpoints (float32 + Adam)
# stay there.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}; shift || true
# recipe_field RECIPE FIELD: one top-level field of recipes/RECIPE.json.
recipe_field() { node -p "JSON.parse(require('fs').readFileSync('recipes/$1.json', 'utf8')).$2"; }

case "$cmd" in
pack)
  mkdir -p .git/info
  grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
  [[ "$(node --version)" == v24.* ]] || { echo "device-train: put Node 24 first on PATH" >&2; exit 2; }
  shared=${DURN_SHARED:-../shared}/data/bsds500
  [ -d "$shared/train" ] || { echo "device-train: no $shared/train (../shared)" >&2; exit 2; }
  stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/bin" "$stage/node_modules" "$stage/data" .device
  cp "$(command -v node)" "$stage/bin/node"
  # Its debug symbols are 3 MiB of the 64 a call carries; strip keeps what addons link against.
  command -v strip >/dev/null && strip "$stage/bin/node"
  # What `durn train` imports (traced), with their dependencies; no types, no ExifTool's Perl.
  node scripts/package-closure.mjs @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm \
    @tensorflow/tfjs-backend-cpu chokidar commander exiftool-vendored piscina seedrandom sharp yaml zod |
    grep -v -e '^@types/' -e '^@webgpu/' -e '^exiftool-vendored.pl$' |
    while read -r p; do mkdir -p "$stage/node_modules/$(dirname "$p")"; cp -a "node_modules/$p" "$stage/node_modules/$p"; done
  find "$stage/node_modules" -name '*.map' -delete
  # tfjs: Node loads the dist/*.node.js bundles; the browser bundles and tests stay behind.
  find "$stage/node_modules" -path '*tfjs*/dist/*' \( -name 'tf-*.js' ! -name '*.node.js' -o -name '*_test.js' \) -delete
  cp -a "$shared/train" "$stage/data/train"
  [ "${1:-}" = --val ] && cp -a "$shared/val" "$stage/data/val"
  tar -C "$stage" -cf - . | xz -T0 -9 > .device/bundle.tar.xz
  tree=$(git ls-files -z | grep -zv '^weights/' | xargs -0 du -cb | tail -1 | cut -f1)
  extra=$(du -cb .device/bundle.tar.xz $([ -d .device/from ] && echo .device/from) | tail -1 | cut -f1)
  awk -v t="$tree" -v e="$extra" 'BEGIN { printf "carried: %.1f MiB (working tree without weights/ %.1f, .device %.1f); limit 64\n", (t+e)/1048576, t/1048576, e/1048576; exit (t+e > 64*1048576) }'
  ;;

from)
  mkdir -p .device/from
  for r in "$@"; do
    xz -T0 -6 -c "weights/$r.$(recipe_field "$r" network).safetensors" > ".device/from/$r.safetensors.xz"
  done
  du -cb .device/from/* | awk '{ printf "%.1f MiB %s\n", $1/1048576, $2 }'
  ;;

unpack|run)
  # Node goes to /tmp, the modules and photos stay in the checkout's copy: both outlast the call.
  if [ -f .device/bundle.tar.xz ] && [ ! -x /tmp/node-run/node ]; then
    mkdir -p /tmp/node-run .device/unpacked
    xz -dc .device/bundle.tar.xz | tar -C .device/unpacked -xf -
    mv .device/unpacked/bin/node /tmp/node-run/
    [ -d node_modules ] || mv .device/unpacked/node_modules node_modules
  fi
  [ -x /tmp/node-run/node ] && export PATH=/tmp/node-run:$PATH
  [[ "$(node --version 2>/dev/null)" == v2[0-9].* ]] ||
    { echo "device-train: no Node here: carry .device/bundle.tar.xz (this call or the one before)" >&2; exit 2; }
  node --version
  [ "$cmd" = unpack ] && exit 0
  minutes=${1:?usage: device-train.sh run MINUTES RECIPE...}; shift
  [ $# -ge 1 ] || { echo "usage: device-train.sh run MINUTES RECIPE..." >&2; exit 2; }
  out=${OUT:-.device/out}; runs=${DURN_DEVICE_RUNS:-/tmp/durn-device-runs}
  rm -rf "$runs/half" "$runs/logs.txt"; mkdir -p "$out" "$runs/half"
  data=(); for d in .device/unpacked/data/train .device/unpacked/data/val; do [ -d "$d" ] && data+=("$d"); done
  [ ${#data[@]} -gt 0 ] || data=("${DURN_SHARED:-../shared}/data/bsds500/train")
  py=${DURN_PYTHON:-python3}
  device=$($py -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")' 2>/dev/null || echo cpu)
  [ "$device" = cuda ] && nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader || true
  workers=$(( ($(nproc) - 1) / $# )); [ "$workers" -ge 1 ] || workers=1
  pids=()
  for r in "$@"; do
    [ -f "recipes/$r.json" ] || { echo "device-train: no recipes/$r.json" >&2; exit 2; }
    rm -f "$runs/$r.safetensors" "$runs/$r.ckpt.safetensors" # an earlier call's, on a warm machine
    from=(); [ -f ".device/from/$r.safetensors" ] && from=(--from ".device/from/$r.safetensors")
    if [ -f ".device/from/$r.safetensors.xz" ]; then
      xz -dc ".device/from/$r.safetensors.xz" > "$runs/from-$r.safetensors"; from=(--from "$runs/from-$r.safetensors")
    fi
    # Options beside the recipe's for one recipe, e.g. ARGS_denoise_gray="--lr 0.0002".
    args_var="ARGS_${r//-/_}"; read -r -a extra <<< "${!args_var:-}"
    node src/cli.ts train --recipe "recipes/$r.json" --data "${data[@]}" "${from[@]}" --engine torch \
      --device "$device" ${PRECISION:+--precision "$PRECISION"} --workers "$workers" --minutes "$minutes" \
      --schedule-by-time \
      --out "$runs/$r.safetensors" --overwrite "${extra[@]}" >"$runs/$r.log" 2>&1 &
    pids+=($!)
  done
  # A progress line each minute keeps the call's output alive and shows data wait vs GPU. Past
  # the deadline (MINUTES plus GRACE seconds, default 120) runs get a Ctrl-C: they checkpoint and
  # stop, so that the call ends inside its limit with something to bring back.
  deadline=$(( SECONDS + ${minutes%.*} * 60 + ${GRACE:-120} )); tick=0; stopped=0
  any_alive() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
  while any_alive; do
    sleep 5; tick=$(( tick + 5 ))
    if [ "$stopped" = 0 ] && [ "$SECONDS" -gt "$deadline" ]; then
      echo "device-train: past the deadline, stopping the runs"; kill -INT "${pids[@]}" 2>/dev/null || true; stopped=1
    fi
    [ $(( tick % 60 )) = 0 ] || continue
    for r in "$@"; do echo "$r: $(grep -a 'step ' "$runs/$r.log" | tail -1)"; done
    [ "$device" = cuda ] && nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader || true
  done
  status=0; for p in "${pids[@]}"; do wait "$p" || status=1; done
  for r in "$@"; do
    # A stopped run has a checkpoint but no weights: `--resume <ckpt> --steps <its step>` writes them.
    ckpt="$runs/$r.ckpt.safetensors"
    if [ ! -f "$runs/$r.safetensors" ] && [ -f "$ckpt" ]; then
      step=$(grep -a -o 'checkpoint at step [0-9]*' "$runs/$r.log" | tail -1 | grep -o '[0-9]*$' || true)
      [ -n "$step" ] && node src/cli.ts train "$(recipe_field "$r" task)" --resume "$ckpt" --steps "$step" --engine torch \
        --device cpu --out "$runs/$r.safetensors" >>"$runs/$r.log" 2>&1 || true
    fi
    { echo "=== $r"; cat "$runs/$r.log"; } >> "$runs/logs.txt"
    [ -f "$runs/$r.safetensors" ] || { echo "$r: no weights (see logs.txt)"; continue; }
    node scripts/ship-weights.ts "$runs/$r.safetensors" --dir "$runs/half" --overwrite \
      --note "float16 copy brought back from the GPU machine"
  done
  # One xz archive in 15 MiB parts: float16 weights still shed ~12%, which lets five fit in 64 MiB.
  tar -C "$runs/half" -cf - . | xz -T0 -6 | split -b 15M -d - "$out/weights.tar.xz.part"
  xz -c "$runs/logs.txt" > "$out/logs.txt.xz"
  ls -la "$out"
  exit "$status"
  ;;

join)
  from=${1:?usage: device-train.sh join <files_at> <folder>}; to=${2:?usage: device-train.sh join <files_at> <folder>}
  mkdir -p "$to"
  cat "$from"/weights.tar.xz.part* | xz -dc | tar -C "$to" -xvf -
  if [ -f "$from/logs.txt.xz" ]; then xz -dc "$from/logs.txt.xz" > "$to/logs.txt"; fi
  ;;

*)
  sed -n '2,22p' "$0" >&2; exit 2 ;;
esac
