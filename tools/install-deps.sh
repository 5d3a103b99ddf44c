#!/usr/bin/env bash
# Installs what AuthLedger needs beyond the Swift toolchain: liblmdb and libcrypto
# headers from Debian, and the Python libraries the interop tests run against.
# Idempotent: does nothing that is already done.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="missing-sudo"; fi
fi

need=()
# wrk drives the HTTP benchmarks (tools/http-bench.sh).
for pkg in liblmdb-dev libssl-dev pkg-config wrk; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$SUDO" = "missing-sudo" ]; then
        echo "AuthLedger needs ${need[*]}: run this script as root, or install them with apt-get." >&2
        exit 1
    fi
    echo "Installing ${need[*]} ..." >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The interop tests run tokens through JOSE libraries nobody here wrote; the HTTP tests
# check answers against docs/openapi.yaml with PyYAML and jsonschema.
if ! python3 -c "import jwt, joserfc, cryptography, yaml, jsonschema" >/dev/null 2>&1; then
    echo "Installing PyJWT, joserfc, cryptography, PyYAML and jsonschema from PyPI ..." >&2
    pkgs=("PyJWT>=2.8" "joserfc>=1.0" "cryptography>=42" "PyYAML>=6" "jsonschema>=4.18")
    # Debian's own python3 refuses system-wide pip installs (PEP 668) unless told otherwise.
    python3 -m pip install --quiet --disable-pip-version-check "${pkgs[@]}" >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${pkgs[@]}" >&2
fi
