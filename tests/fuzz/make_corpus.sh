#!/usr/bin/env bash
# Regenerates the committed seed corpora of tests/fuzz/corpus/ from real files that qdm writes
# and reads: a trained and sampled run file and its checkpoint, exported OpenQASM 3 and IonQ
# JSON, the presets, HTTP exchanges with the emulator, and shrunken IBM device documents.
# Usage: tests/fuzz/make_corpus.sh QDM (from the repository root).
set -euo pipefail
qdm="$(realpath "$1")"
cd "$(dirname "$0")/../.."
corpus=tests/fuzz/corpus
python=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in "$corpus"/*/; do find "$t" -type f -delete; done

tests/make_test_data.sh "$qdm" "$tmp/pkg" "$tmp/data" 4
run="$tmp/run.h5"
"$qdm" train --config experiments/configs/pixel-quick.ini --set "data.dir=$tmp/data" \
  --set data.max_images=16 --set train.batch_size=8 --set train.epochs=2 --set diffusion.steps=2 \
  --set train.checkpoint_every=1 --out "$run" >/dev/null 2>&1
cp "$run.ckpt" "$corpus/checkpoint/pixel-2-steps.ckpt"
"$qdm" sample --run "$run" --count 4 --seed 3 >/dev/null 2>&1
cp "$run" "$corpus/run_file/pixel-trained-sampled.h5"

"$qdm" export --run "$run" --format qasm3 --device tests/fixtures/ibm/conf_torino.json --count 2 \
  --seed 5 --out "$tmp/isa" >/dev/null 2>&1
"$qdm" export --run "$run" --format qasm3 --count 1 --seed 5 --out "$tmp/logical" >/dev/null 2>&1
"$qdm" export --run "$run" --format ionq-json --count 2 --seed 5 --out "$tmp/ionq" >/dev/null 2>&1
cp "$tmp/isa/sample-0.qasm" "$corpus/qasm3/isa-torino.qasm"
cp "$tmp/logical/sample-0.qasm" "$corpus/qasm3/logical.qasm"
printf 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nrz(0.5) $0;\nsx $1;\ncz $0, $1;\nc[0] = measure $0;\nreset $0;\nc[1] = measure $1;\n' \
  >"$corpus/qasm3/small.qasm"

cp experiments/configs/*.ini "$corpus/config/"
printf 'experiment = pixel\n[train]\nepochs = 3\n--set\ntrain.lr=0.01\nmodel.layers=2\n--grid\ntrain.lr=0.1,0.01\n' \
  >"$corpus/config/set-and-grid.txt"
printf 'experiment = conditioned-latent\n--random\ntrain.lr=log:1e-4:1e-1\nmodel.layers=int:1:4\n' \
  >"$corpus/config/random.txt"

"$python" tests/fuzz/make_corpus.py "$qdm" "$tmp" "$corpus"
echo "corpora: $(find "$corpus" -type f | wc -l) files, $(du -sh "$corpus" | cut -f1)"
