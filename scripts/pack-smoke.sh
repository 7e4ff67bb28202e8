#!/usr/bin/env bash
# What a user of the library gets: pack durn, install the tarball into an empty project with no
# environment variable and no .npmrc of ours (a dependency's .npmrc does not apply), then run the
# CLI there. onnxruntime-node's install script may fail offline (it fetches CUDA libraries from
# outside the npm registry); npm then drops that optional package and durn must still work.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/durn-pack-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" | tail -1)"
echo "pack-smoke: packed $tarball ($(du -h "$work/$tarball" | cut -f1))"

mkdir "$work/app" && cd "$work/app"
printf '{ "name": "app", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
start=$(date +%s)
npm install --no-audit --no-fund "$work/$tarball" > "$work/install.log" 2>&1 || {
  cat "$work/install.log"; echo "pack-smoke: npm install of the tarball failed"; exit 1; }
echo "pack-smoke: installed in $(( $(date +%s) - start )) s; onnxruntime-node $( [ -d node_modules/onnxruntime-node ] && echo present || echo absent)"

npx --no-install durn --help > /dev/null
npx --no-install durn doctor
mkdir out
t0=$(date +%s%N)
npx --no-install durn restore node_modules/durn/samples/noisy-color.png --task denoise --out out --no-ui
t1=$(date +%s%N)
test -s out/noisy-color.png
node --input-type=module -e "import { restore } from 'durn'; const b = await restore('node_modules/durn/samples/hazy.jpg', { task: 'dehaze' }); if (!Buffer.isBuffer(b) || b.length < 1000) throw new Error('no output'); console.log('pack-smoke: library restore ok,', b.length, 'bytes');"

# The one command that brings the native engine back when its install script could not run.
if [ ! -d node_modules/onnxruntime-node ]; then
  npm install --no-audit --no-fund onnxruntime-node@1.30 --onnxruntime-node-install=skip > "$work/ort.log" 2>&1 || {
    cat "$work/ort.log"; echo "pack-smoke: reinstalling onnxruntime-node failed"; exit 1; }
  npx --no-install durn doctor | grep -q 'ok  onnxruntime-node (CPU)'
  t2=$(date +%s%N)
  npx --no-install durn restore node_modules/durn/samples/noisy-color.png --task denoise --out out2 --no-ui
  t3=$(date +%s%N)
  echo "pack-smoke: restore of samples/noisy-color.png: $(( (t1 - t0) / 1000000 )) ms without onnxruntime-node (tfjs), $(( (t3 - t2) / 1000000 )) ms with it (onnx), process start included"
fi
# The torch engine's Python files travel in the tarball: one restore through them when durn finds
# PyTorch (its own discovery, as `durn doctor` reports it; DuRN-S-P also runs subpixel.py).
if npx --no-install durn doctor | grep -q 'ok  Python + PyTorch'; then
  npx --no-install durn restore node_modules/durn/samples/noisy-color.png --task raindrop --engine torch --out out3 --no-ui
  test -s out3/noisy-color.png
  echo "pack-smoke: torch engine restore ok"
else
  echo "pack-smoke: no Python with PyTorch here; the packed torch engine was not tried"
fi
echo "pack-smoke: ok"
