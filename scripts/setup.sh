#!/usr/bin/env bash
# Installs what Soma needs on a fresh Debian machine of this project's kind, once; later runs find it there.
set -euo pipefail

packages=(libsqlite3-dev libssh2-1-dev libcurl4-openssl-dev sqlite3 python3)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# The postgres engine's server (initdb, postgres) and psql, which its tests read rows with: Debian's package
# unless a PostgreSQL is already here.
if ! command -v psql >/dev/null || { ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected the toolchain at /opt/swift)"; exit 1; }
# The --json schema tests validate real output with Python's jsonschema (and rfc3339-validator, for its
# date-time format): from PyPI, for this user, unless they are importable already.
if ! python3 -c "import jsonschema, rfc3339_validator" 2>/dev/null; then
  echo "setup: installing jsonschema and rfc3339-validator from PyPI"
  python3 -m pip install --quiet --user jsonschema rfc3339-validator 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages jsonschema rfc3339-validator
fi
