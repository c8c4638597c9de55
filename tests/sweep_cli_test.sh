#!/usr/bin/env bash
# qdm sweep through the real CLI on miniature data: a 2x2 grid of pixel-quick points on 2 local
# workers; a re-run that skips all four; a sweep killed midway (SIGKILL to the coordinator) and
# re-run, which must finish without redoing finished points and end with the same parameters as
# the uninterrupted sweep; a bad grid value refused before anything is written; a failing point
# recorded while the others finish; `qdm report` ranking the points and each key's effect. With
# "mpi" as third argument, the same sweep under `mpirun -n 2 --oversubscribe` must give the same
# runs and parameters. Usage: sweep_cli_test.sh QDM SOURCE_DIR [mpi]
set -uo pipefail
qdm="$1" src="$2" mpi="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
source "$here/check_lib.sh"
trap 'kill -9 "${pid:-0}" 2>/dev/null; rm -rf "$tmp"' EXIT
"$here/make_test_data.sh" "$qdm" "$tmp/pkg" "$tmp/data" 16
cd "$src"
base=(--config experiments/configs/pixel-quick.ini --set "data.dir=$tmp/data" --set data.max_images=32
  --set train.batch_size=8 --set train.checkpoint_every=2 --threads-per-run 1)
grid=(--grid train.lr=0.01,0.03 --grid model.layers=1,1,1\|2,2,2)
epochs=300  # about a second per point in Release: long enough to kill one midway

# sweep DIR EPOCHS [extra...]: runs the grid, output in DIR.out
sweep() {
  local dir="$1" epochs="$2"
  shift 2
  "$qdm" sweep "${base[@]}" --set "train.epochs=$epochs" "${grid[@]}" --out "$dir" "$@" >"$dir.out" 2>&1
}

sweep "$tmp/a" "$epochs" --workers 2 && ok "2x2 grid on 2 workers" || { cat "$tmp/a.out"; bad "local sweep"; }
cat "$tmp/a.out"
[ "$(ls "$tmp/a"/pixel-*.h5 | wc -l)" -eq 4 ] && ok "four run files named by config hash" || bad "run files"
grep -q "4 complete, 0 failed, 0 interrupted, 0 skipped" "$tmp/a.out" && ok "summary: 4 complete" || bad "summary"
"$python" - "$tmp/a/sweep.h5" <<'PY' && ok "sweep.h5 lists 4 complete points with their values" || bad "manifest"
import sys, h5py
f = h5py.File(sys.argv[1])
assert f.attrs["kind"] == "qdm-sweep" and f.attrs["experiment"] == "pixel"
points = [f["points"][k].attrs for k in sorted(f["points"])]
assert len(points) == 4
assert all(p["status"] == "complete" and p["attempts"] == 1 for p in points), [dict(p) for p in points]
assert sorted((p["value:train.lr"], p["value:model.layers"]) for p in points) == [
    ("0.01", "1,1,1"), ("0.01", "2,2,2"), ("0.03", "1,1,1"), ("0.03", "2,2,2")]
PY

before=$(md5sum "$tmp/a"/pixel-*.h5)
sweep "$tmp/a" "$epochs" --workers 2 && grep -q "0 complete, 0 failed, 0 interrupted, 4 skipped" "$tmp/a.out" &&
  [ "$(md5sum "$tmp/a"/pixel-*.h5)" = "$before" ] &&
  ok "re-run skips all four and touches no run file" || { cat "$tmp/a.out"; bad "re-run"; }

# Kill the coordinator once a point has finished; its children checkpoint and stop.
# Started directly (not through `sweep`) so that $! is the coordinator itself.
"$qdm" sweep "${base[@]}" --set "train.epochs=$epochs" "${grid[@]}" --out "$tmp/k" --workers 1 \
  >"$tmp/k.out" 2>&1 &
pid=$!
# Once one point has finished and the next has written a checkpoint, so that it is mid-run.
for _ in $(seq 1 2400); do
  grep -q "^\[1/4\]" "$tmp/k.out" 2>/dev/null &&
    [ "$(ls "$tmp/k"/*.h5.ckpt 2>/dev/null | wc -l)" -ge 2 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if kill -9 "$pid" 2>/dev/null; then
  wait "$pid" 2>/dev/null
  finished=$(grep -c "complete in" "$tmp/k.out")
  done_before=$(for f in $(grep -o "pixel-[0-9a-f]*" "$tmp/k.out" | sort -u); do
    grep -q "$f.*complete in" "$tmp/k.out" && md5sum "$tmp/k/$f.h5"; done)
  sweep "$tmp/k" "$epochs" --workers 1 && ok "killed sweep re-run finishes" || { cat "$tmp/k.out"; bad "resume run"; }
  cat "$tmp/k.out"
  # The orphaned child checkpointed on the SIGTERM it got when the coordinator died; the re-run
  # waited for it (the folder lock) and resumed it.
  [ "$finished" -lt 4 ] && grep -lq "stopped after step" "$tmp/k"/logs/*.log &&
    ok "the kill stopped a point midway ($finished of 4 finished)" || bad "kill landed after the sweep"
  grep -q " $finished skipped as finished" "$tmp/k.out" &&
    [ "$(for f in $(echo "$done_before" | awk '{print $2}'); do md5sum "$f"; done)" = "$done_before" ] &&
    ok "the $finished finished point(s) skipped, their files untouched" || bad "skip after kill"
  "$python" - "$tmp/a" "$tmp/k" <<'PY' && ok "killed-and-resumed sweep ends with the uninterrupted one's parameters" || bad "parameters after resume"
import sys, glob, os, h5py
a, k = sys.argv[1], sys.argv[2]
names = sorted(os.path.basename(p) for p in glob.glob(a + "/pixel-*.h5"))
assert names == sorted(os.path.basename(p) for p in glob.glob(k + "/pixel-*.h5")), names
for n in names:
    pa, pk = h5py.File(f"{a}/{n}")["params/values"][()], h5py.File(f"{k}/{n}")["params/values"][()]
    assert (pa == pk).all(), n
PY
else
  bad "the sweep ended before it could be killed (make the points longer)"
fi

# A bad value is refused before any folder or run exists, naming key and value.
expect_error "invalid grid value" "train.lr = '-1'" "$qdm" sweep "${base[@]}" --grid train.lr=0.01,-1 \
  --out "$tmp/bad"
[ ! -e "$tmp/bad" ] && ok "nothing written for the invalid grid" || bad "folder written"
expect_error "unknown grid key" "unknown config key 'train.lrr'" "$qdm" sweep "${base[@]}" \
  --grid train.lrr=1,2 --out "$tmp/bad"
expect_error "range without --random" "needs --random" "$qdm" sweep "${base[@]}" \
  --grid train.lr=log:1e-3:1e-1 --out "$tmp/bad"
expect_error "another sweep in the folder" "belongs to another sweep" "$qdm" sweep "${base[@]}" \
  --grid train.lr=0.5,0.6 --out "$tmp/a"

# A point that fails (batch larger than the data) is recorded; the other finishes.
"$qdm" sweep "${base[@]}" --set train.epochs=1 --grid train.batch_size=8,4096 --out "$tmp/f" \
  >"$tmp/f.out" 2>&1
status=$?
[ "$status" -eq 1 ] && grep -q "1 complete, 1 failed" "$tmp/f.out" && grep -q "fewer than train.batch_size" "$tmp/f.out" &&
  ok "a failing point is recorded with its error, the sweep goes on (exit 1)" ||
  { cat "$tmp/f.out"; bad "failed point (exit $status)"; }
"$python" - "$tmp/f/sweep.h5" <<'PY' && ok "sweep.h5 holds the failed point's error" || bad "failed point in manifest"
import sys, h5py
p = {g.attrs["value:train.batch_size"]: g.attrs for g in h5py.File(sys.argv[1])["points"].values()}
assert p["8"]["status"] == "complete" and p["4096"]["status"] == "failed"
assert "fewer than train.batch_size" in p["4096"]["error"], p["4096"]["error"]
PY

# Random draws: reproducible from the seed.
"$qdm" sweep "${base[@]}" --grid train.lr=log:1e-3:1e-1 --grid train.lr_gamma=lin:0.5:1 --random 3 \
  --seed 5 --out "$tmp/r" --dry-run >"$tmp/r1" 2>&1 &&
  "$qdm" sweep "${base[@]}" --grid train.lr=log:1e-3:1e-1 --grid train.lr_gamma=lin:0.5:1 --random 3 \
    --seed 5 --out "$tmp/r" --dry-run >"$tmp/r2" 2>&1 && cmp -s "$tmp/r1" "$tmp/r2" &&
  [ "$(wc -l <"$tmp/r1")" -eq 3 ] && ok "random draws: 3 points, the same for the same seed" ||
  { cat "$tmp/r1"; bad "random draws"; }

# The report ranks the points and shows each swept key's effect.
"$qdm" report "$tmp/a" --rank-by final_loss >"$tmp/report.md" 2>&1 || bad "report: $(cat "$tmp/report.md")"
cat "$tmp/report.md"
grep -q "effect of each swept key on final_loss" "$tmp/report.md" &&
  grep -Eq "^\| train.lr \| 0.01 \| 2 \|" "$tmp/report.md" && grep -Eq "^\| model.layers \| 2,2,2 \| 2 \|" "$tmp/report.md" &&
  ok "report: effect table per key" || bad "effect table"
for key in train.lr model.layers; do
  head -c 8 "$tmp/a/effect-$key.png" 2>/dev/null | grep -q PNG && ok "effect-$key.png" || bad "effect-$key.png"
done

if [ "$mpi" = mpi ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  # Open MPI keeps allocations until exit that LeakSanitizer would report in every rank.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  mpirun -n 2 --oversubscribe "$qdm" sweep "${base[@]}" --set "train.epochs=$epochs" "${grid[@]}" --out "$tmp/m" \
    >"$tmp/m.out" 2>&1 && ok "mpirun -n 2 sweep" || { cat "$tmp/m.out"; bad "mpirun sweep"; }
  cat "$tmp/m.out"
  grep -q "1 MPI rank" "$tmp/m.out" && ok "rank 0 handed points to the other rank" || bad "mpi ranks"
  "$python" - "$tmp/a" "$tmp/m" <<'PY' && ok "MPI sweep: same runs, same final parameters as the local one" || bad "MPI vs local"
import sys, glob, os, h5py
a, m = sys.argv[1], sys.argv[2]
names = sorted(os.path.basename(p) for p in glob.glob(a + "/pixel-*.h5"))
assert names == sorted(os.path.basename(p) for p in glob.glob(m + "/pixel-*.h5")), names
for n in names:
    assert (h5py.File(f"{a}/{n}")["params/values"][()] == h5py.File(f"{m}/{n}")["params/values"][()]).all(), n
PY
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
