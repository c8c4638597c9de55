#!/usr/bin/env bash
# Fault test: SIGKILL a training run after its first checkpoint, check the killed run's file still
# opens, `qdm train --resume` it, and require final parameters and loss series identical (bit for
# bit) to an uninterrupted run with the same seed. Then the same with Ctrl-C (SIGINT), which must
# stop cleanly with exit status 130 and a hint to resume.
set -euo pipefail
qdm="$1"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
work=$(mktemp -d)
trap '{ [ -n "${pid:-}" ] && kill -9 "$pid"; } 2>/dev/null || true; rm -rf "$work"' EXIT
"$here/make_test_data.sh" "$qdm" "$work/pkg" "$work/data" 24
cfg="$work/kill.ini"
cat >"$cfg" <<INI
experiment = pixel
[data]
dir = $work/data
image_size = 16
[train]
epochs = 60
batch_size = 8
checkpoint_every = 10
INI

"$qdm" train --config "$cfg" --out "$work/whole.h5" >/dev/null 2>&1

# start_and_signal RUN SIGNAL: starts training into RUN, sends SIGNAL after its first checkpoint,
# and leaves the exit status in $status.
start_and_signal() {
  "$qdm" train --config "$cfg" --out "$1" >"$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    [ -e "$1.ckpt" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if ! kill "-$2" "$pid" 2>/dev/null; then
    echo "FAIL: training ended before it could be signalled (make the run longer)"
    cat "$1.log"
    exit 1
  fi
  status=0
  wait "$pid" || status=$?
}

start_and_signal "$work/killed.h5" KILL
"$python" - "$work/killed.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["status"] == "running", f.attrs["status"]
print(f"killed run opens: status {f.attrs['status']}, {f['train/step'].shape[0]} /train rows")
PY

start_and_signal "$work/stopped.h5" INT
if [ "$status" != 130 ] || ! grep -q "continue with: qdm train --resume --out $work/stopped.h5" "$work/stopped.h5.log"; then
  echo "FAIL: Ctrl-C gave status $status (want 130); log:"
  cat "$work/stopped.h5.log"
  exit 1
fi
echo "Ctrl-C stopped training with status 130 and a checkpoint"

"$qdm" train --resume --out "$work/killed.h5" >/dev/null 2>&1
"$qdm" train --resume --out "$work/stopped.h5" >/dev/null 2>&1
for resumed in killed stopped; do
"$python" - "$work/whole.h5" "$work/$resumed.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert b.attrs["status"] == "complete"
pa, pb = a["params/values"][()], b["params/values"][()]
assert pa.shape == pb.shape and np.array_equal(pa, pb), np.abs(pa - pb).max()
for d in ["step", "epoch", "loss", "lr", "loss_per_t"]:
    assert np.array_equal(a["train/" + d][()], b["train/" + d][()]), d
print(f"{sys.argv[2].split('/')[-1]}: resumed run identical to the uninterrupted one: "
      f"{pa.size} parameters, {a['train/step'].shape[0]} /train rows, "
      f"max |difference| {np.abs(pa - pb).max()}")
PY
done
