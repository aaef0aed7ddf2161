#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each (default 60), on one core: one libFuzzer
# process at a time, in-process (no -jobs/-fork, which would add worker processes and write
# fuzz-N.log files here), targets one after the other. Seeds the corpora first.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain for the sanitizer
# (`cargo +nightly`); without one, set FUZZ_TOOLCHAIN=stable, which builds with
# RUSTC_BOOTSTRAP=1 and --sanitizer none. FUZZ_SANITIZER overrides the sanitizer (address by
# default). Crashes land in fuzz/artifacts/<target>/; turn each into a regression test under
# sops-core/tests/data/regressions/. Exit status: non-zero if any target found a crash.
set -uo pipefail
fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(enc_value yaml_store yaml_fast_vs_parser json_store dotenv_store ini_store metadata decrypt)
fi

toolchain=${FUZZ_TOOLCHAIN:-nightly}
sanitizer=${FUZZ_SANITIZER:-address}
cargo_fuzz=(cargo "+$toolchain" fuzz)
if [ "$toolchain" != nightly ]; then
  export RUSTC_BOOTSTRAP=1
  sanitizer=none
fi
# One core: no parallel rustc either.
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}

"$fuzz/seed.sh" >/dev/null

failed=()
for target in "${targets[@]}"; do
  echo "=== $target: ${seconds}s ($(date -u +%H:%M:%S))"
  mkdir -p "corpus/$target" "artifacts/$target"
  "${cargo_fuzz[@]}" run --sanitizer "$sanitizer" "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" 2>&1 | grep -v '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)'
  status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    echo "=== $target: FAILED (exit $status); see fuzz/artifacts/$target/"
    failed+=("$target")
  else
    echo "=== $target: ok"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "targets with findings: ${failed[*]}"
  exit 1
fi
echo "no findings"
