#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer) of the webhook path: the parser with how a
# body is stored, and the signature check. Too slow to build for every CI run (≈6 minutes of
# instrumented release build on 2 cores), so it is run by hand; the last result is in README.
#   fuzz/run.sh [seconds per target]        (default 60)
# The machine's toolchain is stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags, and
# without a sanitizer (--sanitizer none) the targets' own assertions are the oracle.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
for target in webhook_parser webhook_signature; do
  mkdir -p "corpus/$target"
  echo "== $target, $secs s"
  cargo fuzz run -O --sanitizer none "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$secs" 2>&1 |
    grep -E "^#[0-9]+.*(DONE|pulse)|^Done|SUMMARY|panicked|crash-" | tail -3
done
