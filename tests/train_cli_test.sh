#!/usr/bin/env bash
# End-to-end checks of `qdm train` and `qdm sample` with the real binary on a miniature data set:
# a run file readable by h5py with every documented group, a PNG grid, and every kind of bad
# input answered by one line on stderr, exit status 2 and no file written over.
set -u
qdm="$1"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3  # Debian's, which has python3-h5py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/make_test_data.sh" "$qdm" "$work/pkg" "$work/data" 8
cfg="$work/tiny.ini"
cat >"$cfg" <<INI
experiment = pixel
[data]
dir = $work/data
image_size = 4
[diffusion]
steps = 3
[train]
epochs = 2
batch_size = 4
INI
passed=0 failures=0
check() {  # check NAME STATUS PATTERN -- ARGS...
  local name="$1" want="$2" pattern="$3"
  shift 4
  local out status
  out=$("$qdm" "$@" 2>&1)
  status=$?
  if [ "$status" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: $name: qdm $* -> status $status (want $want), output:"
    echo "$out" | tail -5
    failures=$((failures + 1))
  else
    echo "ok: $name"
    passed=$((passed + 1))
  fi
}
assert() {  # assert NAME COMMAND...
  local name="$1"
  shift
  if "$@"; then echo "ok: $name"; passed=$((passed + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}

check "help-config lists keys" 0 'train.lr = 5e-05' -- train --experiment pixel --help-config
check "train" 0 'trained 2 epochs' -- train --config "$cfg" --out "$work/run.h5"
check "sample + png" 0 '16 samples 4x4 .* -> .*run.h5:/samples/000' -- sample --run "$work/run.h5" --count 16 --png "$work/grid.png" --trajectory
assert "png written" test -s "$work/grid.png"
assert "h5py reads every documented group" "$python" - "$work/run.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
for a in ["schema_version", "qdm_version", "git_revision", "build_type", "host", "created",
          "experiment", "backend", "seed", "config", "status"]:
    assert a in f.attrs, a
assert f.attrs["status"] == "complete" and f.attrs["experiment"] == "pixel"
rows = f["train/step"].shape[0]
assert rows > 0 and f["train/epoch"][-1] == 1 and f["train/step"][-1] == rows
for d in ["step", "epoch", "loss", "lr", "wall_time", "loss_per_t"]:
    assert f["train/" + d].shape[0] == rows, (d, f["train/" + d].shape)
assert f["train/loss_per_t"].shape[1] == 3
assert f["params/values"].shape == (3, 3 * (2 * 4 + 2 * 5 + 2 * 4))
assert f["samples/000/images"].shape == (16, 4, 4)
assert f["samples/000/trajectory"].shape == (16, 4, 4, 4)
for m in ["final_loss", "train_seconds", "seconds_per_epoch", "train_samples_per_second"]:
    assert f["metrics/" + m][()] > 0, m
PY
assert "h5dump -H opens it" sh -c "h5dump -H '$work/run.h5' >/dev/null"

before=$(md5sum "$work/run.h5")
check "refuses existing --out" 2 "^qdm train: error: --out '.*run.h5' exists; pass --overwrite to replace it or --resume to continue it$" -- train --config "$cfg" --out "$work/run.h5"
assert "existing run untouched" test "$before" = "$(md5sum "$work/run.h5")"
check "overwrite" 0 'trained 2 epochs' -- train --config "$cfg" --out "$work/run.h5" --overwrite
check "unknown key" 2 "^qdm train: error: unknown config key 'train.lrr' \(--set\); known keys: .*train.lr," -- train --config "$cfg" --set train.lrr=1 --out "$work/x.h5"
check "bad value" 2 "^qdm train: error: config key train.epochs = '-3' \(--set\) is not allowed: an integer in 1..10000000 expected$" -- train --config "$cfg" --set train.epochs=-3 --out "$work/x.h5"
check "bad value in file" 2 "config key diffusion.schedule = 'sigmoid' \(bad.ini:3\) is not allowed: one of linear, linear-2023, cosine expected" -- train --experiment pixel --config "$here/bad.ini" --out "$work/x.h5"
check "missing data set" 2 "^qdm train: error: data set mnist \(train\) not found: looked for train-images-idx3-ubyte" -- train --config "$cfg" --set "data.dir=$work/nothing" --out "$work/x.h5"
mkdir -p "$work/corrupt/mnist"
cp "$work/data/mnist/"* "$work/corrupt/mnist/"
truncate -s 5000 "$work/corrupt/mnist/train-images-idx3-ubyte"
check "truncated IDX" 2 "^qdm train: error: .*train-images-idx3-ubyte.* (holds|truncated|bytes)" -- train --config "$cfg" --set "data.dir=$work/corrupt" --out "$work/x.h5"
printf 'garbage!' | dd of="$work/corrupt/mnist/train-images-idx3-ubyte" conv=notrunc 2>/dev/null
check "corrupt IDX" 2 "^qdm train: error: .*train-images-idx3-ubyte.*magic" -- train --config "$cfg" --set "data.dir=$work/corrupt" --out "$work/x.h5"
check "missing folders of --out are made" 0 'trained 2 epochs' -- train --config "$cfg" --out "$work/new/deeper/run.h5"
assert "run file in the new folder" test -s "$work/new/deeper/run.h5"
check "a file where a folder should be" 2 "^qdm train: error: --out '.*tiny.ini/run.h5': '.*tiny.ini' is not a folder$" -- train --config "$cfg" --out "$cfg/run.h5"
check "unwritable file system" 2 "^qdm train: error: cannot create HDF5 file '/proc/qdm-run.h5'" -- train --config "$cfg" --out /proc/qdm-run.h5
check "out is a folder" 2 "is a folder, not a file" -- train --config "$cfg" --out "$work"
assert "no run file left by failed starts" test ! -e "$work/x.h5"
check "unknown experiment" 2 "unknown experiment 'pixle'; known experiments: pixel" -- train --experiment pixle --out "$work/x.h5"
check "experiment conflict" 2 "--experiment latent conflicts with experiment = pixel" -- train --experiment latent --config "$cfg" --out "$work/x.h5"
check "resume without checkpoint run" 2 "run file '.*none.h5' does not exist" -- train --resume --out "$work/none.h5"
check "resume with changed config" 2 "--resume continues a run with its own config, but train.lr differs \(run: 5e-05, given: 0.1\)" -- train --resume --out "$work/run.h5" --set train.lr=0.1
check "sample needs --run" 2 "--run RUN.h5 is required" -- sample --count 3
check "sample bad count" 2 "--count 0 is outside 1..1000000" -- sample --run "$work/run.h5" --count 0
check "sample non-run file" 2 "is not an HDF5 file" -- sample --run "$cfg"
check "sample png into a new folder" 0 "PNG grid: .*pngs/g.png" -- sample --run "$work/run.h5" --png "$work/pngs/g.png"
check "sample png under a file" 2 "--png '.*tiny.ini/g.png': '.*tiny.ini' is not a folder" -- sample --run "$work/run.h5" --png "$cfg/g.png"
check "resume a finished run" 0 "had already finished training \(6 steps\); nothing changed" -- train --resume --out "$work/run.h5"
assert "a finished run stays complete after --resume" "$python" -c "import h5py,sys; sys.exit(h5py.File('$work/run.h5')['/'].attrs['status'] != 'complete')"
# Killed after its last checkpoint but before it was marked complete: --resume finishes it.
cp "$work/run.h5" "$work/unmarked.h5" && cp "$work/run.h5.ckpt" "$work/unmarked.h5.ckpt"
"$python" -c "import h5py; f = h5py.File('$work/unmarked.h5', 'r+'); f.attrs['status'] = 'running'; del f['metrics']"
check "resume a run killed before it was marked complete" 0 "trained 2 epochs \(6 steps\)" -- train --resume --out "$work/unmarked.h5"
assert "it is complete with the finished run's metrics" "$python" -c "
import h5py, sys
a, b = h5py.File('$work/unmarked.h5'), h5py.File('$work/run.h5')
same = all(a['metrics'][k][()] == b['metrics'][k][()] for k in ('final_loss', 'final_epoch_loss', 'train_steps'))
sys.exit(not (a.attrs['status'] == 'complete' and same))"
mv "$work/run.h5.ckpt" "$work/run.ckpt.saved"
check "resume without checkpoint" 2 "checkpoint '.*run.h5.ckpt' does not exist: nothing to resume from" -- train --resume --out "$work/run.h5"
mv "$work/run.ckpt.saved" "$work/run.h5.ckpt"
check "trains in single precision" 0 'trained 2 epochs' -- train --config "$cfg" --set backend.precision=single --out "$work/single.h5"
check "samples a single-precision run" 0 '4 samples 4x4' -- sample --run "$work/single.h5" --count 4
check "single precision elsewhere" 2 "backend.precision = single trains on the statevector backend only; backend.name is density-matrix" -- train --config "$cfg" --set backend.precision=single --set backend.name=density-matrix --out "$work/x.h5"
check "sample label on unconditioned" 2 "--label 3: this model is unconditioned and takes no label" -- sample --run "$work/run.h5" --label 3

# The mixed (density-matrix) QDM: trains and logs like the others, resumes bit-identically after
# --max-steps, samples images in [0, 1] and draws a grid.
mixed=(--experiment mixed --set "data.dir=$work/data" --set data.image_size=2 --set train.epochs=2
  --set train.batch_size=4 --set diffusion.steps=2 --set train.checkpoint_every=1)
check "mixed trains" 0 "trained 2 epochs" -- train "${mixed[@]}" --out "$work/mixed.h5"
check "mixed stops early" 0 "stopped after step 2" -- train "${mixed[@]}" --out "$work/mixed-parts.h5" --max-steps 2
check "mixed resumes" 0 "trained 2 epochs" -- train --resume --out "$work/mixed-parts.h5"
check "mixed samples" 0 "8 samples 2x2" -- sample --run "$work/mixed.h5" --count 8 --png "$work/mixed.png"
if "$python" - "$work/mixed.h5" "$work/mixed-parts.h5" <<'PY'
import sys, h5py, numpy as np
whole, parts = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
assert whole.attrs["experiment"] == "mixed" and whole.attrs["backend"] == "density-matrix"
assert (whole["params/values"][()] == parts["params/values"][()]).all(), "resume is not bit-identical"
assert (whole["train/loss"][()] == parts["train/loss"][()]).all()
assert whole["train/loss_per_t"].shape[1] == 2 and whole["params/values"].shape[0] == 2
img = whole["samples/000/images"][()]
assert img.shape == (8, 2, 2) and (img >= 0).all() and (img <= 1 + 1e-12).all()
assert np.allclose((img ** 2).sum(axis=(1, 2)), 1), "sqrt(diag rho) of a unit-trace state"
PY
then passed=$((passed + 1)); echo "ok: mixed run file, bit-identical resume, samples"; else
  failures=$((failures + 1)); echo "FAIL: mixed run file"; fi
check "mixed refuses a backend" 2 "runs on the density-matrix backend, not statevector" -- sample --run "$work/mixed.h5" --backend statevector
check "mixed bad loss" 2 "train.loss = 'l2'" -- train "${mixed[@]}" --set train.loss=l2 --out "$work/bad.h5"
echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
