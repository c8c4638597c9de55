#!/usr/bin/env bash
# Cloud QPU sampling through the real CLI against `qdm qpu-emulator` on loopback, for both
# protocols: samples from the emulator (IonQ: static circuits; IBM: dynamic ISA circuits for the
# ibm_torino fixture, which the emulator enforces) agree with the statevector backend's shot
# sampling of the same chains within 5 standard deviations per pixel; the API key appears in no
# output, log or run file; a dry run sends nothing and reports the transpilation; the journal
# records the device's calibration and the bit map; qdm export writes the same circuits as files;
# a sampler killed after submitting is resumed by job id without a second job; a deadline and
# Ctrl-C cancel the remote job and leave the journal consistent; missing and wrong keys give one
# clear error. Usage: qpu_cli_test.sh QDM SOURCE_DIR
set -uo pipefail
qdm="$1" src="$2"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
source "$here/check_lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
"$here/make_test_data.sh" "$qdm" "$tmp/pkg" "$tmp/data" 16
cd "$src"
export QDM_IONQ_API_KEY="ionq-key-$RANDOM-do-not-print" QDM_IBM_API_KEY="ibm-key-$RANDOM-do-not-print"
run="$tmp/pix.h5"
# Three steps: about 17% of each chain's shots pass the ancilla post-selection.
"$qdm" train --config experiments/configs/pixel-quick.ini --set "data.dir=$tmp/data" \
  --set data.max_images=64 --set train.batch_size=16 --set train.epochs=3 --set diffusion.steps=3 \
  --out "$run" >"$tmp/train.out" 2>&1 && ok "trained a 3-step pixel run" || { cat "$tmp/train.out"; bad "train"; }

torino=tests/fixtures/ibm/conf_torino.json
# emulator PROVIDER [args...]: starts one (IBM serving ibm_torino), sets $port and $emu_pid
emulator() {
  local provider="$1"
  shift
  local device=()
  [ "$provider" = ibm ] && device=(--device "$torino")
  "$qdm" qpu-emulator --provider "$provider" "${device[@]}" "$@" >"$tmp/emu-$provider.out" 2>"$tmp/emu-$provider.err" &
  emu_pid=$!
  port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/emu-$provider.out")
    [ -n "$port" ] && break
    sleep 0.05
  done
}
stop_emulator() { kill -INT "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null; }
# add_faults SPEC: queues faults through the emulator's control endpoint
add_faults() {
  $python -c "import json,urllib.request as u;u.urlopen(u.Request('http://127.0.0.1:$port/_emulator/faults',data=json.dumps({'faults':'$1'}).encode(),method='POST'))"
}
stats() { $python -c "import json,urllib.request;print(json.load(urllib.request.urlopen('http://127.0.0.1:$port/_emulator/stats'))['$1'])"; }
# qpu_args PROVIDER: the --set flags pointing the backend at the emulator
qpu_args() {
  echo "--set $1.base_url=http://127.0.0.1:$port --set qpu.poll_interval=0.05 --set qpu.backoff_base=0.05"
  [ "$1" = ibm ] && echo "--set ibm.token_url=http://127.0.0.1:$port/identity/token --set ibm.service_crn=crn:v1:test"
}

"$qdm" sample --run "$run" --backend statevector --shots 2000 --count 16 --seed 5 >"$tmp/ref.out" 2>&1 &&
  ok "statevector shot sampling of the chain circuits" || { cat "$tmp/ref.out"; bad "reference"; }

for provider in ionq ibm; do
  emulator "$provider" --seed "${#provider}"
  [ -n "$port" ] && ok "$provider emulator listening on $port" || { cat "$tmp/emu-$provider."*; bad "emulator"; continue; }
  # The job rides through a rate limit, a dropped status reply and an HTML error page.
  add_faults "429,drop@status,502-html@status"
  # shellcheck disable=SC2046
  "$qdm" sample --run "$run" --backend "$provider" --shots 2000 --count 16 --seed 5 $(qpu_args "$provider") \
    >"$tmp/$provider.out" 2>&1 && ok "$provider: 16 samples x 2000 shots" || { cat "$tmp/$provider.out"; bad "$provider sample"; }
  cat "$tmp/$provider.out"
  [ "$(stats jobs_created)" = 1 ] && [ "$(stats faults_left)" = 0 ] &&
    ok "$provider: one job for 16 circuits through 3 injected faults" || bad "$provider job count"
  # shellcheck disable=SC2046
  "$qdm" sample --run "$run" --backend "$provider" --shots 2000 --count 16 --seed 5 --dry-run $(qpu_args "$provider") \
    >"$tmp/$provider-dry.out" 2>"$tmp/$provider-dry.err" && grep -q -e '"type":"ionq.multi-circuit.v1"' -e '"program_id":"sampler"' "$tmp/$provider-dry.out" &&
    grep -q "operations per circuit" "$tmp/$provider-dry.err" && grep -q "transpiled: two-qubit gates" "$tmp/$provider-dry.err" &&
    [ "$(stats jobs_created)" = 1 ] &&
    ok "$provider: dry run prints the payload, gate counts and transpilation, sends nothing" || { cat "$tmp/$provider-dry.err"; bad "$provider dry run"; }
  stop_emulator
done
cat "$tmp/ibm-dry.err"
grep -q "static circuits of 9 qubits" "$tmp/ionq-dry.err" && grep -q "dynamic circuits of 7 qubits" "$tmp/ibm-dry.err" &&
  ok "IonQ gets static chains (6 + 3 qubits), IBM dynamic ones (6 + 1)" || bad "circuit kinds"
$python - "$tmp/ibm-dry.out" <<'PY' && ok "IBM payload: ISA OpenQASM 3 on physical qubits, measure/reset mid-circuit, bit map" || bad "IBM payload"
import json, re, sys
body = json.load(open(sys.argv[1]))
qasm = body["params"]["pubs"][0][0]
assert "cx " not in qasm and "qubit[" not in qasm, qasm[:400]
assert re.search(r"^cz \$\d+, \$\d+;$", qasm, re.M), "no cz on physical qubits"
assert re.search(r"^c\[\d+\] = measure \$\d+;$", qasm, re.M)
assert "// classical bits (bit=role/step/index[=value kept]): 0=ancilla/3/0=0" in qasm, qasm[:300]
gates = set(re.findall(r"^([a-z]+)[ (]", qasm, re.M)) - {"include", "bit"}
assert gates <= {"rz", "sx", "x", "cz", "c"}, gates
print("IBM pub 0:", len(qasm.splitlines()), "lines; gates", sorted(gates))
PY
# Offline: the same dry run against the fixture file, no account and no emulator.
"$qdm" sample --run "$run" --backend ibm --count 2 --seed 5 --dry-run --device tests/fixtures/ibm/conf_brisbane.json \
  --set ibm.backend=ibm_brisbane >"$tmp/brisbane.out" 2>"$tmp/brisbane.err" &&
  grep -q '"backend":"ibm_brisbane"' "$tmp/brisbane.out" && grep -q 'ecr \$' "$tmp/brisbane.out" &&
  grep -q "gate ecr _q0, _q1" "$tmp/brisbane.out" &&
  ok "offline dry run for ibm_brisbane (ecr, its definition in the OpenQASM)" || { cat "$tmp/brisbane.err"; bad "offline dry run"; }
expect_error "--device names a device other than ibm.backend" "the device description is of 'ibm_brisbane', but ibm.backend is 'ibm_torino'" \
  "$qdm" sample --run "$run" --backend ibm --count 2 --dry-run --device tests/fixtures/ibm/conf_brisbane.json
expect_error "--device without --dry-run" "--device applies to --dry-run" \
  "$qdm" sample --run "$run" --backend ibm --count 2 --device "$torino"
expect_error "dynamic circuits on IonQ say why not" "qpu.circuit = dynamic: IonQ's circuit JSON" \
  "$qdm" sample --run "$run" --backend ionq --count 2 --dry-run --set qpu.circuit=dynamic
expect_error "a QPU name IonQ does not have" "ionq.backend 'aria-1' is not simulator or qpu.NAME" \
  "$qdm" sample --run "$run" --backend ionq --count 2 --dry-run --set ionq.backend=aria-1
$python - "$run" <<'PY' && ok "journal: circuit kind, IBM calibration date, bit map, transpile report" || bad "journal fields"
import json, sys, h5py
jobs = h5py.File(sys.argv[1])["jobs"]
by = {jobs[k].attrs["provider"]: jobs[k].attrs for k in jobs}
assert by["ionq"]["circuit_kind"] == "static" and by["ibm"]["circuit_kind"] == "dynamic"
assert by["ibm"]["calibration_date"].startswith("2025-02-26"), by["ibm"]["calibration_date"]
assert by["ibm"]["device_version"] == "1.0.54"
bits = json.loads(by["ibm"]["bit_map"])["bits"]
assert [b["role"] for b in bits] == ["ancilla"] * 3 + ["data"] * 6, bits
assert [b["step"] for b in bits][:3] == [3, 2, 1]
assert "SWAPs" in by["ibm"]["transpile"] and "layout 0->" in by["ibm"]["transpile"]
assert "multinomial" in by["ionq"]["counts"] and "seed 5" in by["ionq"]["counts"], by["ionq"]["counts"]
print("ibm:", by["ibm"]["transpile"])
PY

# qdm export: the chains as files, logical or for a device, and IonQ JSON.
"$qdm" export --run "$run" --format qasm3 --device "$torino" --count 3 --seed 5 --out "$tmp/export-isa" >"$tmp/export.out" 2>&1 &&
  "$qdm" export --run "$run" --format qasm3 --count 3 --seed 5 --out "$tmp/export-logical" >>"$tmp/export.out" 2>&1 &&
  "$qdm" export --run "$run" --format ionq-json --count 3 --seed 5 --out "$tmp/export-ionq" >>"$tmp/export.out" 2>&1 &&
  ok "qdm export: qasm3 (ISA and logical) and ionq-json" || { cat "$tmp/export.out"; bad "export"; }
$python - "$tmp" <<'PY' && ok "exported files carry their bit maps; ISA files equal the dry run's circuits" || bad "export contents"
import json, sys
tmp = sys.argv[1]
m = json.load(open(f"{tmp}/export-isa/manifest.json"))
assert m["device"] == "ibm_torino" and m["circuit"] == "dynamic" and len(m["files"]) == 3
dry = json.load(open(f"{tmp}/ibm-dry.out"))["params"]["pubs"]
for k, f in enumerate(m["files"]):
    text = open(f"{tmp}/export-isa/{f['file']}").read()
    assert [b["role"] for b in f["bits"]] == ["ancilla"] * 3 + ["data"] * 6
    assert text == dry[k][0] + "\n", f["file"]
logical = open(f"{tmp}/export-logical/sample-0.qasm").read()
assert "qubit[7] q;" in logical and "] = measure q[" in logical, logical[:300]
ion = json.load(open(f"{tmp}/export-ionq/sample-0.json"))
assert ion["input"]["qubits"] == 9 and ion["input"]["gateset"] == "qis"
print("exported", len(m["files"]), "files per format;", m["transpile"])
PY
expect_error "export into a folder that is not empty" "is not empty" \
  "$qdm" export --run "$run" --format qasm3 --count 1 --out "$tmp/export-isa"
expect_error "export --device with ionq-json" "use --format qasm3" \
  "$qdm" export --run "$run" --format ionq-json --device "$torino" --count 1 --out "$tmp/e2"

for pair in "001 ionq" "002 ibm"; do
  set -- $pair
  $python "$here/compare_shot_samples.py" "$run" 000 "$1" &&
    ok "$2 agrees with statevector shot sampling within 5 sd per pixel" || bad "$2: 5 sd agreement"
done

# A QPU config file instead of --set; a model key in it is refused with its line.
emulator ibm
printf '[ibm]\nbase_url = http://127.0.0.1:%s\ntoken_url = http://127.0.0.1:%s/identity/token\nservice_crn = crn:v1:file\n[qpu]\npoll_interval = 0.05\n' \
  "$port" "$port" >"$tmp/qpu.ini"
"$qdm" sample --run "$run" --backend ibm --shots 200 --count 2 --seed 17 --qpu-config "$tmp/qpu.ini" >"$tmp/file.out" 2>&1 &&
  grep -q "Completed" "$tmp/file.out" && ok "--qpu-config points the ibm backend at the emulator" || { cat "$tmp/file.out"; bad "qpu config"; }
printf '[train]\nlr = 0.1\n' >"$tmp/bad-qpu.ini"
expect_error "a model key in a QPU config is refused" "bad-qpu.ini:2: train.lr is not allowed here" \
  "$qdm" sample --run "$run" --backend ibm --count 2 --qpu-config "$tmp/bad-qpu.ini"
stop_emulator

# Resume: the sampler dies after submitting; --resume fetches the same job, no second one.
emulator ionq --polls 60
# shellcheck disable=SC2046
"$qdm" sample --run "$run" --backend ionq --shots 500 --count 4 --seed 9 $(qpu_args ionq) >"$tmp/kill.out" 2>&1 &
sampler=$!
for _ in $(seq 1 200); do grep -q "submitted ionq job" "$tmp/kill.out" && break; sleep 0.05; done
kill -9 "$sampler"; wait "$sampler" 2>/dev/null
expect_error "an unfinished job for the same request is not resubmitted without --resume" "pass --resume" \
  "$qdm" sample --run "$run" --backend ionq --shots 500 --count 4 --seed 9 $(qpu_args ionq)
# shellcheck disable=SC2046
"$qdm" sample --run "$run" --backend ionq --shots 500 --count 4 --seed 9 --resume $(qpu_args ionq) >"$tmp/resume.out" 2>&1 &&
  grep -q "resuming ionq job" "$tmp/resume.out" && [ "$(stats jobs_created)" = 1 ] &&
  ok "--resume fetched the killed run's job by id; 1 job created" || { cat "$tmp/resume.out"; bad "resume"; }
stop_emulator

# Deadline: the job never finishes; it is cancelled and the journal says so.
emulator ibm --faults never-finishes
# shellcheck disable=SC2046
"$qdm" sample --run "$run" --backend ibm --shots 100 --count 2 --seed 11 --set qpu.deadline=2 $(qpu_args ibm) \
  >"$tmp/deadline.out" 2>&1
status=$?
[ "$status" -ne 0 ] && grep -q "did not finish within qpu.deadline = 2 s; it was cancelled" "$tmp/deadline.out" &&
  [ "$(stats cancels)" = 1 ] && ok "deadline: exit $status, remote job cancelled" || { cat "$tmp/deadline.out"; bad "deadline"; }
stop_emulator

# Ctrl-C while the job runs: cancelled, exit 130, journal consistent.
emulator ionq --faults never-finishes
# shellcheck disable=SC2046
"$qdm" sample --run "$run" --backend ionq --shots 100 --count 2 --seed 13 $(qpu_args ionq) >"$tmp/int.out" 2>&1 &
sampler=$!
for _ in $(seq 1 200); do grep -q "started" "$tmp/int.out" && break; sleep 0.05; done
kill -INT "$sampler"; wait "$sampler"
status=$?
[ "$status" -eq 130 ] && grep -q "was cancelled" "$tmp/int.out" && [ "$(stats cancels)" = 1 ] &&
  ok "Ctrl-C: exit 130, remote job cancelled" || { cat "$tmp/int.out"; bad "ctrl-c"; }
stop_emulator
$python - "$run" <<'PY' && ok "journal: 4 fetched (one resumed), 2 cancelled; no unfinished entry" || bad "journal"
import sys, h5py
jobs = h5py.File(sys.argv[1])["jobs"]
status = sorted(jobs[k].attrs["status"] for k in jobs)
print("journal:", status)
assert status.count("fetched") == 4 and status.count("cancelled") == 2, status
assert all(jobs[k].attrs["job_id"] for k in jobs)
PY

# A noisy emulator runs the jobs as trajectories under its noise model.
emulator ionq --noise depolarizing=0.02,readout_error=0.05
# shellcheck disable=SC2046
"$qdm" sample --run "$run" --backend ionq --shots 500 --count 2 --seed 23 $(qpu_args ionq) >"$tmp/noisy.out" 2>&1 &&
  grep -q "noise: depolarizing=0.02 readout_error=0.05" "$tmp/emu-ionq.out" &&
  ok "noisy emulator: 2 samples through the trajectories backend" || { cat "$tmp/noisy.out" "$tmp/emu-ionq."*; bad "noisy emulator"; }
stop_emulator
# An IBM emulator with the device's calibrated noise (--noise device) runs the ISA circuits so.
emulator ibm --noise device
# shellcheck disable=SC2046
"$qdm" sample --run "$run" --backend ibm --shots 300 --count 2 --seed 23 $(qpu_args ibm) >"$tmp/devnoise.out" 2>&1 &&
  grep -q "noise: the device's calibration" "$tmp/emu-ibm.out" &&
  ok "device-noise emulator: 2 samples under ibm_torino's calibration" || { cat "$tmp/devnoise.out" "$tmp/emu-ibm."*; bad "device-noise emulator"; }
stop_emulator
expect_error "bad emulator noise entry" "noise entry 'bitflip=0.1' is not NAME=STRENGTH" \
  "$qdm" qpu-emulator --noise bitflip=0.1
expect_error "emulator too wide" "--max-qubits 31 is outside 1..30" \
  "$qdm" qpu-emulator --noise depolarizing=0.01 --max-qubits 31
expect_error "an IBM emulator needs a device" "--provider ibm needs --device CONF.json" \
  "$qdm" qpu-emulator --provider ibm

# Keys: a missing variable is named; a wrong key is refused without printing it.
emulator ionq
expect_error "missing key names its variable" "environment variable QDM_IONQ_API_KEY is not set" \
  env -u QDM_IONQ_API_KEY "$qdm" sample --run "$run" --backend ionq --count 1 --seed 21 $(qpu_args ionq)
QDM_IONQ_API_KEY=wrong-key-1234 "$qdm" sample --run "$run" --backend ionq --count 1 --seed 21 $(qpu_args ionq) \
  >"$tmp/wrong.out" 2>&1
grep -q "IonQ refused the job: HTTP 401" "$tmp/wrong.out" && ! grep -q "wrong-key-1234" "$tmp/wrong.out" &&
  ok "wrong key: HTTP 401 named, key not printed" || { cat "$tmp/wrong.out"; bad "wrong key"; }
stop_emulator

leaks=$(grep -l -a -e "$QDM_IONQ_API_KEY" -e "$QDM_IBM_API_KEY" "$run" "$tmp"/*.out "$tmp"/*.err 2>/dev/null)
[ -z "$leaks" ] && ok "no API key in the run file, outputs or emulator logs" || bad "key leaked into: $leaks"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
