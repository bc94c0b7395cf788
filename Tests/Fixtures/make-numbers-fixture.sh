#!/usr/bin/env bash
# Makes the numbers home fixture: a Map of Ints whose stored keys' text sorts otherwise than the Ints ("-1" <
# "10" < "9"), written by turns, one deleted, then the worker and supervisor killed with -9 (keep-home.sh).
#   Tests/Fixtures/make-numbers-fixture.sh SOMA_BINARY SOURCE_FOLDER OUTPUT_FOLDER
set -euo pipefail
S=$(realpath "$1") SRC=$(realpath "$2") OUT=$(realpath -m "$3") FIXTURES=$(dirname "$(realpath "$0")")
export SOMA_HOME=/tmp/soma-fixture-home
rm -rf "$SOMA_HOME" /tmp/soma-fixture-src; mkdir -p /tmp/soma-fixture-src; cp "$SRC"/* /tmp/soma-fixture-src/; cd /tmp/soma-fixture-src
$S launch numbers.cell --name numbers >/dev/null
PORT=$($S status --app numbers --json | python3 -c "import json,sys;print(json.load(sys.stdin)['port'])")
post() { curl -s -m 5 -XPOST "localhost:$PORT/Numbers/$1" -d "$2"; echo; }
for n in 9 10 -1 -20 100 0 55 1000 7; do post put "{\"n\":$n}" >/dev/null; done
post drop '{"n":7}' >/dev/null
post keys '{}'
sleep 0.5
"$FIXTURES/keep-home.sh" "$SOMA_HOME" "$OUT/home"
mkdir -p "$OUT/src"; cp "$SRC"/* "$OUT/src/"
echo "stored keys: $(sqlite3 "$OUT/home/apps/numbers/state/state.sqlite" "select group_concat(key, ' ') from slot_values where slot = 'seen'")"
