#!/usr/bin/env bash
# The latent path through the real CLI on the real MNIST digits (data/ of `qdm data prepare`):
# the autoencoder-quick preset must reach a held-out reconstruction loss below 0.015 (Huber; a
# model that outputs the mean image scores about 0.05), then a short conditioned-latent run samples
# every digit into a PNG with a row per digit, and bad labels, latent sizes and autoencoders are
# clear errors. Usage: latent_cli_test.sh QDM SOURCE_DIR (QDM_RELEASE_QDM: a Release qdm that
# trains the autoencoder).
set -uo pipefail
qdm="$1" src="$2" data="$2/data"
python=/usr/bin/python3
if [ ! -e "$data/mnist" ]; then
  echo "FAIL: no MNIST in $data/mnist; scripts/test prepares it (qdm data prepare --dir data)"
  exit 1
fi
source "$(dirname "$0")/check_lib.sh"
cd "$src"

# The autoencoder's 1.3M-parameter training is GEMM work that the sanitizers slow tenfold (its
# code is checked under them by LatentTraining.*); scripts/test hands over its Release qdm for it,
# as it does for the evaluation classifier.
trainer="${QDM_RELEASE_QDM:-$qdm}"
[ -x "$trainer" ] || trainer="$qdm"
"$trainer" train --config experiments/configs/autoencoder-quick.ini --set "data.dir=$data" \
  --out "$tmp/ae.h5" >"$tmp/ae.log" 2>&1 || { cat "$tmp/ae.log"; bad "autoencoder-quick trains"; }
loss=$("$python" -c "import h5py; print(h5py.File('$tmp/ae.h5')['metrics/best_validation_loss'][()])")
echo "autoencoder-quick: best held-out Huber loss $loss"
"$python" -c "import sys; sys.exit(0 if $loss < 0.015 else 1)" && ok "held-out loss $loss < 0.015" ||
  bad "held-out loss $loss is not below 0.015"

"$qdm" sample --run "$tmp/ae.h5" --count 8 --png "$tmp/recon.png" >/dev/null 2>&1 &&
  [ -s "$tmp/recon.png" ] && ok "autoencoder reconstructions PNG" || bad "autoencoder sample"

latent=(--config experiments/configs/conditioned-latent-quick.ini --set "data.dir=$data"
  --set "autoencoder.path=$tmp/ae.h5" --set train.epochs=2)
"$qdm" train "${latent[@]}" --out "$tmp/cl.h5" >"$tmp/cl.log" 2>&1 || {
  cat "$tmp/cl.log"
  bad "conditioned-latent trains"
}
"$qdm" sample --run "$tmp/cl.h5" --count 20 --label all --png "$tmp/cl.png" >/dev/null 2>&1 ||
  bad "sample --label all"
"$python" - "$tmp/cl.h5" <<'PY' && ok "20 samples, two per digit in order, decoded 28x28, unit latents" || bad "stored samples"
import sys, h5py, numpy as np
s = h5py.File(sys.argv[1])["samples/000"]
assert s["images"].shape == (20, 28, 28), s["images"].shape
assert list(s["labels"][:]) == [k // 2 for k in range(20)], list(s["labels"][:])
z = s["latents"][:]
assert z.shape == (20, 8) and np.allclose((z ** 2).sum(1), 1, atol=1e-9)
PY
"$python" - "$tmp/cl.png" <<'PY' && ok "PNG has one row per digit (10 rows of 2)" || bad "PNG layout"
import sys, struct
head = open(sys.argv[1], "rb").read(24)
w, h = struct.unpack(">II", head[16:24])
# tiles 28 * 4 px with 2 px padding around each: 2 columns, 10 rows
assert (w, h) == (2 * 112 + 3 * 2, 10 * 112 + 11 * 2), (w, h)
PY

expect_error "label out of range" "--label 10 is outside 0..9 (or all)" \
  "$qdm" sample --run "$tmp/cl.h5" --count 4 --label 10
expect_error "label not a number" "--label 'seven' is not allowed: a label number or all expected" \
  "$qdm" sample --run "$tmp/cl.h5" --count 4 --label seven
expect_error "latent size not a power of two" \
  "config key data.latent_size = 6 is not allowed: a power of two in 2..1024 expected" \
  "$qdm" train "${latent[@]}" --set data.latent_size=6 --out "$tmp/x.h5"
expect_error "autoencoder of another latent size" \
  "has latent size 8, but this config has data.latent_size = 4" \
  "$qdm" train "${latent[@]}" --set data.latent_size=4 --out "$tmp/x.h5"
expect_error "a QDM run as the autoencoder" "is a run of experiment 'conditioned-latent', not an autoencoder" \
  "$qdm" train "${latent[@]}" --set "autoencoder.path=$tmp/cl.h5" --out "$tmp/x.h5"
[ ! -e "$tmp/x.h5" ] && ok "failed starts wrote no run file" || bad "a failed start left x.h5"

# A device's calibrated noise (noise.device): the chains routed to ibm_fez's ISA, sampled as
# trajectories with its noise; a sweep over devices; the emulator serving the device's noise.
fez="$src/tests/fixtures/ibm/props_fez.json"
"$qdm" sample --run "$tmp/cl.h5" --count 4 --label all --backend trajectories --shots 100 \
  --set "noise.device=$fez" >"$tmp/dev.out" 2>&1 && grep -q "transpiled for ibm_fez" "$tmp/dev.out" &&
  "$python" - "$tmp/cl.h5" <<'PY' && ok "samples under ibm_fez's noise: routed, 100 shots, noise named" || { cat "$tmp/dev.out"; bad "device noise sampling"; }
import sys, h5py
s = h5py.File(sys.argv[1])["samples"]
last = s[sorted(s)[-1]]
assert "noise of ibm_fez calibrated" in last.attrs["backend"], last.attrs["backend"]
assert last.attrs["shots"] == 100 and last["images"].shape[0] == 4
PY
expect_error "device noise with another noise key" "leave the other noise.* keys at 0" \
  "$qdm" sample --run "$tmp/cl.h5" --count 2 --backend trajectories --shots 10 \
  --set "noise.device=$fez" --set noise.depolarizing=0.01
expect_error "device noise on a backend without noise" "noise.device = $fez needs --backend trajectories" \
  "$qdm" sample --run "$tmp/cl.h5" --count 2 --shots 10 --set "noise.device=$fez"
expect_error "a device file that is not there" "cannot read device file '/nowhere/props_x.json'" \
  "$qdm" sample --run "$tmp/cl.h5" --count 2 --backend trajectories --set noise.device=/nowhere/props_x.json
"$qdm" analyze "$tmp/cl.h5" --noise "noise.device=none,$fez" --count 10 --shots 20 --no-png \
  >"$tmp/devsweep.out" 2>"$tmp/devsweep.err" && grep -q "^| none |" "$tmp/devsweep.out" &&
  grep -q "^| ibm_fez |" "$tmp/devsweep.out" && ok "analyze --noise noise.device: a row per device" ||
  { cat "$tmp/devsweep.out" "$tmp/devsweep.err"; bad "device sweep"; }
expect_error "--noise device on IonQ" "--noise device is the served IBM device's calibration" \
  "$qdm" qpu-emulator --provider ionq --noise device

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
