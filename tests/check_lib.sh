# Shared by the CLI test scripts (sourced): a temporary folder removed on exit, pass/fail
# counters, and expect_error NAME TEXT CMD... (exit status 2 with TEXT on stderr).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAIL: $1"; }
expect_error() {
  local name="$1" text="$2"
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  if [ "$status" -eq 2 ] && grep -qF -- "$text" "$tmp/err"; then ok "$name"; else
    bad "$name: exit $status, stderr: $(cat "$tmp/err")"
  fi
}
