#!/usr/bin/env bash
# The end of every fixture script: every process of the home killed with -9 where it stands, the SQLite files
# checkpointed, sockets and locks removed, and the home copied to DESTINATION, which then holds only files.
#   Tests/Fixtures/keep-home.sh SOMA_HOME DESTINATION
set -euo pipefail
HOME_FOLDER=$(realpath "$1") DESTINATION=$(realpath -m "$2")
for p in $(pgrep -f "$HOME_FOLDER"); do [ "$p" = $$ ] || kill -9 "$p"; done
sleep 0.3
cd "$HOME_FOLDER"
for f in $(find . -name "*.sqlite"); do sqlite3 "$f" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; done
find . -type s -delete; find . -name "*.lock" -delete; find . -name "*-wal" -delete; find . -name "*-shm" -delete
rm -rf "$DESTINATION"; mkdir -p "$DESTINATION"; cp -r "$HOME_FOLDER"/. "$DESTINATION"/
