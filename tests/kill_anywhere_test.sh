#!/usr/bin/env bash
# Kill anywhere: SIGKILLs `qdm train`, `qdm sample` and `qdm analyze` at random moments (50 that
# land while the command runs: 30 in training, including file creation, /train appends, HDF5 flushes and checkpoint
# writes, 10 in sampling, 10 in analysis) and checks after every kill that the run file opens,
# states what it is in (status, rows, samples, metrics), and that finishing the work (resuming
# training, sampling or analysing again) gives bit for bit what an uninterrupted run gives.
# Usage: kill_anywhere_test.sh QDM [SEED]; prints the seed of its random moments.
set -euo pipefail
qdm="$1"
seed="${2:-$(date +%s)}"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
work=$(mktemp -d)
trap '{ [ -n "${pid:-}" ] && kill -9 "$pid"; } 2>/dev/null || true; rm -rf "$work"' EXIT
echo "kill_anywhere: seed $seed (rerun with: $0 $qdm $seed)"
RANDOM=$seed
"$here/make_test_data.sh" "$qdm" "$work/pkg" "$work/data" 16
cfg="$work/kill.ini"
cat >"$cfg" <<INI
experiment = pixel
[data]
dir = $work/data
image_size = 8
classes = 0,1
[diffusion]
steps = 3
[model]
layers = 2,2,2
[train]
epochs = 150
batch_size = 4
checkpoint_every = 10
INI
export OMP_NUM_THREADS=1  # the same arithmetic in every process, whatever the machine

# seconds COMMAND...: runs it and prints how long it took (to place the kills inside it).
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
train_ms=$(seconds "$qdm" train --config "$cfg" --out "$work/ref.h5")
sample_ms=$(seconds "$qdm" sample --run "$work/ref.h5" --count 10000 --seed 7)
cp "$work/ref.h5" "$work/ref-analyzed.h5"
# The first analysis trains the evaluation classifier into data/classifiers/; the timed one (and
# every killed one) reads it from there.
cp "$work/ref.h5" "$work/warm.h5"
"$qdm" analyze "$work/warm.h5" --count 16 --no-png >/dev/null 2>&1
analyze_ms=$(seconds "$qdm" analyze "$work/ref-analyzed.h5" --count 64 --no-png)
echo "uninterrupted: train ${train_ms} ms, sample ${sample_ms} ms, analyze ${analyze_ms} ms"

# kill_at MS COMMAND...: starts it, SIGKILLs it after MS milliseconds; prints 1 when it was
# killed, 0 when it had already ended.
kill_at() {
  local ms="$1"
  shift
  "$@" >"$work/last.log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    echo 1
  else
    wait "$pid" 2>/dev/null || true
    echo 0
  fi
}
# state RUN: the run file opens and says what it holds (else the test fails).
state() {
  "$python" - "$1" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    assert status in ("running", "complete"), status
    rows = f["train/step"].shape[0]
    samples = len(f["samples"]) if "samples" in f else 0
    metrics = len(f["metrics"]) if "metrics" in f else 0
    print(f"{status} rows={rows} samples={samples} metrics={metrics}")
PY
}
# same_training A B: parameters and /train bit for bit.
same_training() {
  "$python" - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert b.attrs["status"] == "complete", b.attrs["status"]
assert np.array_equal(a["params/values"][()], b["params/values"][()]), "parameters differ"
for d in ["step", "epoch", "loss", "lr", "loss_per_t"]:
    assert np.array_equal(a["train/" + d][()], b["train/" + d][()]), d
PY
}

# Each phase goes on until its kills that landed while the command ran reach the target (a kill
# after the command ended is tried again), at most 4 times that many attempts.
killed=0 during_checkpoint=0 during_create=0 completions=0 attempts=0
run="$work/run.h5"
while [ $killed -lt 30 ] && [ $attempts -lt 120 ]; do
  attempts=$((attempts + 1)) i=$attempts
  if [ -e "$run.ckpt" ]; then
    cmd=("$qdm" train --resume --out "$run")
  else
    cmd=("$qdm" train --config "$cfg" --out "$run" --overwrite)
  fi
  k=$(kill_at $((RANDOM % (train_ms * 95 / 100 + 1))) "${cmd[@]}")
  killed=$((killed + k))
  ls "$work" | grep -q 'ckpt.*tmp\|\.ckpt\.' && during_checkpoint=$((during_checkpoint + 1)) || true
  ls "$work" | grep -q 'run.h5.partial' && during_create=$((during_create + 1)) || true
  if [ -e "$run" ]; then
    s=$(state "$run") || { echo "FAIL: after kill $i the run file does not open or says nothing"; cat "$work/last.log"; exit 1; }
    if [ "${s%% *}" = complete ]; then
      same_training "$work/ref.h5" "$run" || { echo "FAIL: run completed between kills differs"; exit 1; }
      completions=$((completions + 1))
      rm -f "$run" "$run.ckpt"
    fi
  fi
done
# Finish whatever the last kill left, then compare.
if [ -e "$run.ckpt" ]; then
  "$qdm" train --resume --out "$run" >"$work/last.log" 2>&1 || { cat "$work/last.log"; exit 1; }
  same_training "$work/ref.h5" "$run" || { echo "FAIL: resumed run differs"; exit 1; }
  completions=$((completions + 1))
fi
[ $killed -ge 30 ] || { echo "FAIL: only $killed of $attempts kills landed while training ran"; exit 1; }
echo "training: $killed kills while it ran ($attempts tried; $during_checkpoint during a checkpoint write, $during_create while creating the file): every file opened, $completions runs finished bit-identical to the uninterrupted one"

# Sampling and analysis write into a finished run: a kill must lose nothing already there.
cp "$work/ref.h5" "$work/s.h5"
phase_killed=0 attempts=0
while [ $phase_killed -lt 10 ] && [ $attempts -lt 40 ]; do
  attempts=$((attempts + 1)) i=$attempts
  k=$(kill_at $((RANDOM % (sample_ms * 95 / 100 + 1))) "$qdm" sample --run "$work/s.h5" --count 10000 --seed 7)
  killed=$((killed + k)) phase_killed=$((phase_killed + k))
  state "$work/s.h5" >/dev/null || { echo "FAIL: sampling kill $i broke the run file"; exit 1; }
  same_training "$work/ref.h5" "$work/s.h5" || { echo "FAIL: sampling kill $i changed the training"; exit 1; }
done
"$qdm" sample --run "$work/s.h5" --count 10000 --seed 7 >/dev/null 2>&1
"$python" - "$work/ref.h5" "$work/s.h5" <<'PY' || { echo "FAIL: samples after kills differ"; exit 1; }
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
ref = a["samples/000/images"][()]
sets = sorted(b["samples"])
assert np.array_equal(ref, b["samples"][sets[-1]]["images"][()])
for s in sets:  # every set a kill left behind is whole
    assert b["samples"][s]["images"].shape == ref.shape, s
print(f"sampling: 10 kills while it ran, {len(sets)} whole sample sets kept, the last identical to the uninterrupted one")
PY

[ $phase_killed -ge 10 ] || { echo "FAIL: only $phase_killed kills landed while sampling ran"; exit 1; }
cp "$work/ref.h5" "$work/a.h5"
phase_killed=0 attempts=0
while [ $phase_killed -lt 10 ] && [ $attempts -lt 40 ]; do
  attempts=$((attempts + 1)) i=$attempts
  k=$(kill_at $((RANDOM % (analyze_ms * 95 / 100 + 1))) "$qdm" analyze "$work/a.h5" --count 64 --no-png)
  killed=$((killed + k)) phase_killed=$((phase_killed + k))
  state "$work/a.h5" >/dev/null || { echo "FAIL: analysis kill $i broke the run file"; exit 1; }
done
[ $phase_killed -ge 10 ] || { echo "FAIL: only $phase_killed kills landed while analysis ran"; exit 1; }
"$qdm" analyze "$work/a.h5" --count 64 --no-png >/dev/null 2>&1
"$python" - "$work/ref-analyzed.h5" "$work/a.h5" <<'PY' || { echo "FAIL: metrics after kills differ"; exit 1; }
import sys, h5py
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
ma = {k: a["metrics"][k][()] for k in a["metrics"]}
mb = {k: b["metrics"][k][()] for k in b["metrics"]}
assert ma == mb, (ma, mb)
print(f"analysis: 10 kills while it ran, then {len(mb)} metrics identical to the uninterrupted analysis")
PY
echo "kill_anywhere: $killed kills while a command ran; every file opened and finished bit-identical"
