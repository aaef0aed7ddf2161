#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the repository's fixtures:
# fuzz/corpus/<target>/<origin>-<file>. Existing corpus files (what the fuzzer found) are kept.
#
#   fuzz/seed.sh
set -euo pipefail
fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$fuzz")
corpus="$fuzz/corpus"
fixtures="$repo/fixtures"
malformed="$repo/sops-core/tests/data/malformed"
regressions="$repo/sops-core/tests/data/regressions"

targets=(enc_value yaml_store yaml_fast_vs_parser json_store dotenv_store ini_store metadata decrypt)
for t in "${targets[@]}"; do mkdir -p "$corpus/$t"; done

# seed TARGET FILE [PREFIX]: copies FILE (at most 64 KiB: seeds should be small) into TARGET's
# corpus, PREFIX bytes first.
seed() {
  local target=$1 file=$2 prefix=${3:-}
  local size
  size=$(wc -c <"$file")
  [ "$size" -le 65536 ] || return 0
  local name
  name=$(basename "$(dirname "$file")")-$(basename "$file")
  { printf '%s' "$prefix"; cat "$file"; } >"$corpus/$target/$name"
}

shopt -s nullglob
sources=("$fixtures"/interop/* "$fixtures"/sops-3.11.0/* "$fixtures"/spec-examples/*
         "$malformed"/* "$regressions"/*)
for f in "${sources[@]}"; do
  [ -f "$f" ] || continue
  case "$f" in
    *.yaml|*.yml) seed yaml_store "$f"; seed yaml_fast_vs_parser "$f"; seed metadata "$f" ;;
    *.json)       seed json_store "$f"; seed metadata "$f" ;;
    *.env)        seed dotenv_store "$f" ;;
    *.ini)        seed ini_store "$f" ;;
  esac
  # Encrypted files are the seeds of the whole decrypt.
  if grep -q 'ENC\[AES256_GCM' "$f" 2>/dev/null; then
    case "$f" in
      *.bin.json|*/b1.enc) seed decrypt "$f" B ;;
      *.yaml|*.yml)        seed decrypt "$f" Y ;;
      *.json)              seed decrypt "$f" J ;;
      *.env)               seed decrypt "$f" E ;;
      *.ini)               seed decrypt "$f" I ;;
    esac
  fi
done

# enc_value: "<key path AAD>\n<ENC value>". The values of ex.enc.yaml decrypt with the target's
# fixed key (the data key of fixtures/spec-examples); the AAD is the YAML key path (list items take their list's
# path, top-level comments an empty one).
awk '
  function path(   i, p) { p = ""; for (i = 1; i <= n; i++) p = p key[i] ":"; return p }
  {
    match($0, /^ */); indent = RLENGTH; line = substr($0, indent + 1)
    if (line ~ /^#ENC\[/) { print "" > (out "comment-" NR); print substr(line, 2) > (out "comment-" NR); next }
    if (line ~ /^- ENC\[/) { printf "%s\n%s", path(), substr(line, 3) > (out "item-" NR); next }
    if (line ~ /^[A-Za-z0-9_]+:/) {
      k = line; sub(/:.*/, "", k); v = line; sub(/^[^:]*: ?/, "", v)
      while (n > 0 && ind[n] >= indent) n--
      if (v == "") { n++; key[n] = k; ind[n] = indent }
      else if (v ~ /^ENC\[/) printf "%s%s:\n%s", path(), k, v > (out "value-" NR)
    }
  }
' out="$corpus/enc_value/ex-" "$fixtures/spec-examples/ex.enc.yaml"
# Values of other files (another key: they exercise the parser and the failure paths).
i=0
grep -ho 'ENC\[AES256_GCM[^]]*\]' "$fixtures"/sops-3.11.0/*.yaml | head -n 40 | while read -r v; do
  i=$((i + 1)); printf 'a:b:\n%s' "$v" >"$corpus/enc_value/other-$i"
done
printf 'x:\nENC[AES256_GCM,data:YQ==,iv:Yg==,tag:Yw==,type:str]' >"$corpus/enc_value/short-iv"
printf 'x:\nENC[AES256_GCM,data:a,b,iv:c,d,tag:e,type:f]]' >"$corpus/enc_value/commas"

for t in "${targets[@]}"; do
  printf '%-14s %4d seeds\n' "$t" "$(find "$corpus/$t" -type f | wc -l)"
done
