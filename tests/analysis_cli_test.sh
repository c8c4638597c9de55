#!/usr/bin/env bash
# qdm analyze and qdm report through the real CLI on the real MNIST digits (data/ of `qdm data
# prepare`): a short pixel run and a short conditioned classical-ddpm run are analysed with the
# cached evaluation classifier (data/classifiers/mnist-seed1.h5, made by the eval_classifier test),
# their metrics are read back from the HDF5 files with h5py, the PNGs are checked, a report over
# the folder lists every run (an interrupted one as such), and bad input is one clear error.
# Usage: analysis_cli_test.sh QDM SOURCE_DIR
set -uo pipefail
qdm="$1" src="$2" data="$2/data"
python=/usr/bin/python3
if [ ! -e "$data/classifiers/mnist-seed1.h5" ]; then
  echo "FAIL: no cached classifier $data/classifiers/mnist-seed1.h5; the eval_classifier test makes it"
  exit 1
fi
source "$(dirname "$0")/check_lib.sh"
cd "$src"

mkdir -p "$tmp/runs"
# In double (the preset trains in single), so its exact samples can be held to the density
# matrix's to 1e-10 below.
"$qdm" train --config experiments/configs/pixel-quick.ini --set "data.dir=$data" \
  --set backend.precision=double --set train.epochs=3 --set train.snapshot_every=1 --out "$tmp/runs/pixel.h5" >"$tmp/log" 2>&1 ||
  { cat "$tmp/log"; bad "pixel trains"; }
"$qdm" train --config experiments/configs/classical-ddpm-pixel-quick.ini --set "data.dir=$data" \
  --set train.epochs=3 --set train.snapshot_every=2 --set model.conditioned=true \
  --set data.classes=0,1,2,3,4,5,6,7,8,9 \
  --out "$tmp/runs/ddpm.h5" >"$tmp/log" 2>&1 || { cat "$tmp/log"; bad "classical-ddpm trains"; }

"$qdm" analyze "$tmp/runs/pixel.h5" --count 40 --epoch-count 20 >"$tmp/pixel.out" 2>"$tmp/pixel.err" || {
  cat "$tmp/pixel.err"
  bad "analyze pixel"
}
cat "$tmp/pixel.out"
grep -q "^fid " "$tmp/pixel.out" && grep -q "^in_class_share " "$tmp/pixel.out" &&
  ok "analyze prints the metric table" || bad "analyze table"
"$python" - "$tmp/runs/pixel.h5" <<'PY' && ok "metrics stored with definitions; fid >= fid_real >= 0" || bad "stored metrics"
import sys, h5py
m = h5py.File(sys.argv[1])["metrics"]
for name in ["fid", "fid_real", "jsd", "jsd_real", "pairwise_mean", "class_share_0", "in_class_share"]:
    assert name in m, name
assert m["fid"].attrs["samples"] in (b"40", "40"), m["fid"].attrs["samples"]
assert "Frechet" in str(m["fid"].attrs["definition"])
assert 0 <= m["fid_real"][()] <= m["fid"][()], (m["fid_real"][()], m["fid"][()])
assert 0 <= m["jsd"][()] <= 1 and 0 <= m["jsd_real"][()] <= 1
assert abs(sum(m[f"class_share_{c}"][()] for c in range(10)) - 1) < 1e-12
assert len(h5py.File(sys.argv[1])["samples"]) == 1
PY
grep -q "^by epoch (20 samples per snapshot)" "$tmp/pixel.out" && ok "analyze prints the by-epoch table" ||
  bad "by-epoch table"
"$python" - "$tmp/runs/pixel.h5" <<'PY' && ok "curves of snapshots 1, 2, 3; the last is /params" || bad "metric curves"
import sys, h5py
f = h5py.File(sys.argv[1])
assert sorted(f["snapshots"]) == ["epoch_000001", "epoch_000002", "epoch_000003"], list(f["snapshots"])
assert (f["snapshots/epoch_000003/values"][()] == f["params/values"][()]).all()
assert not (f["snapshots/epoch_000001/values"][()] == f["params/values"][()]).all()
c = f["metric_curves"]
assert list(c["epoch"][()]) == [1, 2, 3], c["epoch"][()]
assert c.attrs["samples"] in (b"20", "20")
for name in ["fid", "fid_real", "jsd", "in_class_share"]:
    assert c[name].shape == (3,), name
assert all(v >= 0 for v in c["fid"][()])
PY
for png in samples loss trajectory fid-by-epoch scores-by-epoch; do
  head -c 8 "$tmp/runs/pixel-$png.png" 2>/dev/null | grep -q PNG && ok "pixel-$png.png written" ||
    bad "pixel-$png.png missing"
done

# Re-analysing reuses the stored set and replaces the metrics; --no-store leaves the file alone.
before=$(md5sum <"$tmp/runs/pixel.h5")
"$qdm" analyze "$tmp/runs/pixel.h5" --no-store --no-png >"$tmp/again.out" 2>&1 &&
  [ "$(md5sum <"$tmp/runs/pixel.h5")" = "$before" ] && grep -q "from set 000" "$tmp/again.out" &&
  ok "--no-store reuses set 000 and changes nothing" || bad "--no-store: $(cat "$tmp/again.out")"

"$qdm" analyze "$tmp/runs/ddpm.h5" --count 30 --epoch-count 10 --no-png >"$tmp/ddpm.out" 2>&1 || {
  cat "$tmp/ddpm.out"
  bad "analyze classical-ddpm"
}
grep -q "^accuracy_digit_7 " "$tmp/ddpm.out" && grep -q "^quality " "$tmp/ddpm.out" &&
  ok "conditioned run: accuracy and quality per digit" || bad "conditioned metrics: $(cat "$tmp/ddpm.out")"
"$python" - "$tmp/runs/ddpm.h5" <<'PY' && ok "classical-ddpm: snapshots after epochs 2 and 3, accuracy by epoch" || bad "ddpm curves"
import sys, h5py
c = h5py.File(sys.argv[1])["metric_curves"]
assert list(c["epoch"][()]) == [2, 3], c["epoch"][()]
assert all(0 <= v <= 1 for v in c["accuracy"][()])
PY

# The density-matrix backend: without noise its samples are the statevector backend's (same
# seed) to 1e-10; a noise sweep prints one row per strength and draws its curves.
"$qdm" sample --run "$tmp/runs/pixel.h5" --count 6 --seed 4 >/dev/null 2>&1 &&
  "$qdm" sample --run "$tmp/runs/pixel.h5" --count 6 --seed 4 --backend density-matrix >/dev/null 2>&1 &&
  "$qdm" sample --run "$tmp/runs/pixel.h5" --count 6 --seed 4 --backend density-matrix \
    --set noise.depolarizing=0.05 >/dev/null 2>&1 || bad "density-matrix sampling"
"$python" - "$tmp/runs/pixel.h5" <<'PY' && ok "density-matrix samples equal statevector ones without noise, differ with it" || bad "density-matrix samples"
import sys, h5py, numpy as np
s = h5py.File(sys.argv[1])["samples"]
sv, dm, noisy = (s[k]["images"][()] for k in sorted(s)[-3:])
assert np.abs(sv - dm).max() < 1e-10, np.abs(sv - dm).max()
assert np.abs(sv - noisy).max() > 1e-3
assert s[sorted(s)[-1]].attrs["backend"] == "density-matrix (noise: depolarizing=0.05)"
PY
"$qdm" analyze "$tmp/runs/pixel.h5" --noise noise.depolarizing=0,0.05 --count 12 --png "$tmp/noise" \
  >"$tmp/noise.out" 2>"$tmp/noise.err" || { cat "$tmp/noise.err"; bad "noise sweep"; }
cat "$tmp/noise.out"
[ "$(grep -c '^| 0' "$tmp/noise.out")" -eq 2 ] && grep -q "^| noise.depolarizing | fid |" "$tmp/noise.out" &&
  ok "noise sweep: a row per strength" || bad "noise table"
for png in noise-fid noise-scores; do
  head -c 8 "$tmp/noise-$png.png" 2>/dev/null | grep -q PNG && ok "$png.png written" || bad "$png.png missing"
done
expect_error "noise sweep of an unknown key" "has no such key" "$qdm" analyze "$tmp/runs/pixel.h5" \
  --noise noise.bogus=0.1 --no-png
expect_error "noise strength out of range" "noise.depolarizing = '2'" "$qdm" analyze "$tmp/runs/pixel.h5" \
  --noise noise.depolarizing=0,2 --no-png
expect_error "sampling may change only noise and QPU keys" "only noise.*, qpu.*, ionq.*, ibm.*, backend.precision and backend.trajectories can change" "$qdm" sample --run \
  "$tmp/runs/pixel.h5" --set train.lr=0.1
expect_error "analysis noise needs new samples" "use --count N" "$qdm" analyze "$tmp/runs/pixel.h5" \
  --set noise.depolarizing=0.1 --no-png --no-store
expect_error "analysis may change only noise keys" "only noise.* keys" "$qdm" analyze \
  "$tmp/runs/pixel.h5" --set train.lr=1 --count 4 --no-png --no-store
"$qdm" analyze "$tmp/runs/pixel.h5" --backend density-matrix --set noise.depolarizing=0.01 --count 8 \
  --epoch-count 0 --no-png --no-store >"$tmp/noisy.out" 2>&1 && grep -q "^fid " "$tmp/noisy.out" &&
  ok "analyze under noise on the density-matrix backend" || bad "analyze under noise: $(cat "$tmp/noisy.out")"
expect_error "noise on the statevector backend" "has no noise models" "$qdm" sample --run \
  "$tmp/runs/pixel.h5" --set noise.depolarizing=0.1

# An interrupted run is listed as such.
"$qdm" train --config experiments/configs/pixel-quick.ini --set "data.dir=$data" \
  --max-steps 2 --out "$tmp/runs/stopped.h5" >/dev/null 2>&1
"$qdm" report "$tmp/runs" --csv "$tmp/report.csv" --rank-by fid >"$tmp/report.md" 2>"$tmp/err" ||
  bad "report: $(cat "$tmp/err")"
cat "$tmp/report.md"
[ "$(grep -c "^| " "$tmp/report.md")" -eq 5 ] && ok "report: header, rule and 3 runs" || bad "report rows"
grep -q "stopped.h5 | pixel | running" "$tmp/report.md" && ok "interrupted run shown as running" ||
  bad "interrupted run row"
"$python" - "$tmp/report.csv" <<'PY' && ok "CSV ranks by fid, best first" || bad "CSV ranking"
import sys, csv
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 3, rows
fids = [float(r["fid"]) for r in rows if r["fid"] != "-"]
assert len(fids) == 2 and fids == sorted(fids), fids
assert rows[-1]["status"] == "running"
PY

expect_error "analyze of an unfinished run" "has status 'running'" "$qdm" analyze "$tmp/runs/stopped.h5"
expect_error "missing run file" "run file '$tmp/none.h5' does not exist" "$qdm" analyze "$tmp/none.h5"
expect_error "unknown sample set" "--samples 007: the run has no such sample set (stored: 000, 001, 002, 003)" \
  "$qdm" analyze "$tmp/runs/pixel.h5" --samples 007 --no-png
expect_error "count with samples" "--count and --samples exclude each other" \
  "$qdm" analyze "$tmp/runs/pixel.h5" --samples 000 --count 3
expect_error "report of nothing" "'$tmp/nowhere' does not exist" "$qdm" report "$tmp/nowhere"
expect_error "rank by an unknown metric" "--rank-by nonsense: no run has that metric" \
  "$qdm" report "$tmp/runs" --rank-by nonsense
expect_error "classical-ddpm on a quantum backend" "a classical DDPM samples on the CPU only" \
  "$qdm" sample --run "$tmp/runs/ddpm.h5" --backend statevector

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
