#!/usr/bin/env bash
# Runs a local moto_server (a fake AWS) for trying sops-rs and sops with KMS by hand.
#
#   scripts/moto-server.sh [PORT]        # default port 5000; Ctrl-C stops it
#
# It creates one symmetric KMS key in eu-west-3 and prints the variables to export in another
# shell, e.g.
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=testing ...
#   sops encrypt --kms "$SOPS_KMS_ARN" --encryption-context a:b file.yaml
# moto accepts any credentials and lets anyone assume any role in account 123456789012, e.g.
# `--kms "$SOPS_KMS_ARN+arn:aws:iam::123456789012:role/any"`.
#
# Needs `pip install 'moto[server]'` (which brings boto3, used here to create the key).
# The cargo tests do not use this script: they start their own server on a free port.
set -euo pipefail

port="${1:-5000}"
region=eu-west-3
endpoint="http://127.0.0.1:$port"

if ! command -v moto_server >/dev/null 2>&1; then
  echo "moto_server is not on PATH: run \`pip install 'moto[server]'\` (or bash .ci/run)" >&2
  exit 1
fi

moto_server -H 127.0.0.1 -p "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 100); do
  if python3 - "$endpoint" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
EOF
  sleep 0.2
done

arn=$(AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing python3 - "$endpoint" "$region" <<'EOF'
import sys, boto3
kms = boto3.client("kms", endpoint_url=sys.argv[1], region_name=sys.argv[2])
print(kms.create_key(Description="sops-rs manual test")["KeyMetadata"]["Arn"])
EOF
)

cat <<EOF

moto_server is running on $endpoint (pid $server). In another shell:

export AWS_ENDPOINT_URL=$endpoint
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=$region
export SOPS_KMS_ARN=$arn
export SOPS_DISABLE_VERSION_CHECK=1

Ctrl-C here stops the server.
EOF
wait "$server"
