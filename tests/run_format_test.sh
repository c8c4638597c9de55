#!/usr/bin/env bash
# Every experiment's run file against docs/run-format.md, read with h5py as a user would
# (tests/check_run_format.py): pixel, latent, conditioned-latent, autoencoder, classical-ddpm and
# mixed runs trained on a miniature data set, sampled exactly and by shots, one run resumed after
# a stop and one killed mid-training; the stored config reproduces its run by itself; a resumed
# run's final_epoch_loss equals an uninterrupted one's. Usage: run_format_test.sh QDM SOURCE_DIR
set -uo pipefail
qdm="$1" src="$2"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
source "$here/check_lib.sh"
"$here/make_test_data.sh" "$qdm" "$tmp/pkg" "$tmp/data" 12
cd "$src"
d=(--set "data.dir=$tmp/data")

train() {  # train NAME ARGS...: trains into $tmp/NAME.h5
  local name="$1"
  shift
  "$qdm" train "$@" --out "$tmp/$name.h5" >"$tmp/$name.log" 2>&1 && ok "$name trains" ||
    { tail -5 "$tmp/$name.log"; bad "$name trains"; }
}
tiny_pixel=(--experiment pixel "${d[@]}" --set data.image_size=4 --set diffusion.steps=3
  --set train.epochs=3 --set train.batch_size=4 --set train.checkpoint_every=2)
train pixel "${tiny_pixel[@]}"
# The same run stopped after 5 steps and resumed must end with the same metrics.
"$qdm" train "${tiny_pixel[@]}" --out "$tmp/pixel-resumed.h5" --max-steps 5 >/dev/null 2>&1
"$qdm" train --resume --out "$tmp/pixel-resumed.h5" >>"$tmp/pixel-resumed.log" 2>&1 &&
  ok "pixel resumes" || bad "pixel resumes"
train autoencoder --config experiments/configs/autoencoder-quick.ini "${d[@]}" --set train.epochs=2
train latent --config experiments/configs/latent.ini "${d[@]}" --set "autoencoder.path=$tmp/autoencoder.h5" \
  --set train.epochs=2 --set data.length=32 --set train.batch_size=8 --set model.s1_layers=1 \
  --set model.l_layers=1 --set model.s2_layers=1
train conditioned-latent --config experiments/configs/conditioned-latent-quick.ini "${d[@]}" \
  --set "autoencoder.path=$tmp/autoencoder.h5" --set train.epochs=2 --set data.length=40 --set train.batch_size=8 \
  --set model.s1_layers=1 --set model.l_layers=1 --set model.s2_layers=1
train classical-ddpm --config experiments/configs/classical-ddpm-pixel-quick.ini "${d[@]}" --set train.epochs=2 \
  --set train.batch_size=8
train mixed --experiment mixed "${d[@]}" --set data.image_size=2 --set train.epochs=2 --set data.max_images=8 \
  --set train.batch_size=4

for run in pixel latent conditioned-latent classical-ddpm mixed; do
  "$qdm" sample --run "$tmp/$run.h5" --count 4 >/dev/null 2>&1 || bad "$run samples"
done
"$qdm" sample --run "$tmp/autoencoder.h5" --count 4 >/dev/null 2>&1 || bad "autoencoder samples"
"$qdm" sample --run "$tmp/pixel.h5" --count 4 --shots 500 >/dev/null 2>&1 || bad "pixel samples by shots"
"$qdm" sample --run "$tmp/conditioned-latent.h5" --count 10 --shots 200 >"$tmp/cl-shots.log" 2>&1 ||
  bad "conditioned-latent samples by shots"

# Killed mid-training: the file says so and holds no empty groups.
"$qdm" train "${tiny_pixel[@]}" --set train.epochs=400 --out "$tmp/killed.h5" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/killed.h5.ckpt" ] && break; sleep 0.05; done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

# Killed after its last checkpoint but before it was marked complete (params and metrics not yet
# written): --resume finishes it with the finished run's metrics, in every training loop.
for run in pixel autoencoder classical-ddpm mixed; do
  cp "$tmp/$run.h5" "$tmp/$run-unmarked.h5" && cp "$tmp/$run.h5.ckpt" "$tmp/$run-unmarked.h5.ckpt"
  "$python" -c "import h5py,sys; f = h5py.File(sys.argv[1], 'r+'); f.attrs['status'] = 'running'
del f['metrics'], f['params']" "$tmp/$run-unmarked.h5"
  "$qdm" train --resume --out "$tmp/$run-unmarked.h5" >"$tmp/$run-unmarked.log" 2>&1 ||
    { tail -3 "$tmp/$run-unmarked.log"; bad "$run: resume after the last checkpoint"; }
  "$python" - "$tmp/$run.h5" "$tmp/$run-unmarked.h5" <<'PY' && ok "$run: a run killed before it was marked complete is finished by --resume" || bad "$run: unmarked run not finished"
import sys, h5py, numpy as np
a, b = (h5py.File(p) for p in sys.argv[1:3])
assert b.attrs["status"] == "complete", b.attrs["status"]
timing = lambda k: "seconds" in k or "per_second" in k
keys = sorted(k for k in a["metrics"] if not timing(k))
assert keys == sorted(k for k in b["metrics"] if not timing(k)), (keys, list(b["metrics"]))
for k in keys:
    assert a["metrics"][k][()] == b["metrics"][k][()], (k, a["metrics"][k][()], b["metrics"][k][()])
assert np.array_equal(a["params/values"][()], b["params/values"][()])
PY
done

for run in pixel pixel-resumed autoencoder latent conditioned-latent classical-ddpm mixed killed \
  autoencoder-unmarked classical-ddpm-unmarked mixed-unmarked; do
  "$python" "$here/check_run_format.py" "$tmp/$run.h5" && ok "$run: run format" || bad "$run: run format"
done

"$python" - "$tmp/pixel.h5" "$tmp/pixel-resumed.h5" <<'PY' && ok "resumed and uninterrupted runs agree on final_epoch_loss" || bad "resume changes final_epoch_loss"
import sys, h5py
a, b = (h5py.File(p)["metrics/final_epoch_loss"][()] for p in sys.argv[1:3])
print(f"final_epoch_loss uninterrupted {a:.10f}, resumed {b:.10f}")
assert a == b, (a, b)
PY

# The stored config alone reproduces its run.
"$python" -c "import h5py,sys; open(sys.argv[2],'w').write(h5py.File(sys.argv[1]).attrs['config'])" \
  "$tmp/pixel.h5" "$tmp/stored.ini"
"$qdm" train --config "$tmp/stored.ini" --out "$tmp/again.h5" >/dev/null 2>&1 &&
  "$python" - "$tmp/pixel.h5" "$tmp/again.h5" <<'PY' && ok "the stored config alone retrains the run bit-identically" || bad "stored config"
import sys, h5py, numpy as np
a, b = (h5py.File(p) for p in sys.argv[1:3])
assert np.array_equal(a["params/values"][:], b["params/values"][:])
assert np.array_equal(a["train/loss"][:], b["train/loss"][:])
PY
grep -q "kept no shot (kept_shots 0)" "$tmp/cl-shots.log" || true
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
