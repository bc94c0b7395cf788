#!/usr/bin/env bash
# Makes a home fixture: the shop example launched, three orders (one paid), swapped to v2, two more orders
# while the queue process is stopped (so their pushes stay pending), then everything killed with -9. The SQLite
# files are checkpointed and sockets and locks removed, so the fixture is small and holds only files.
#   Tests/Fixtures/make-home-fixture.sh SOMA_BINARY SOURCE_FOLDER OUTPUT_FOLDER
set -euo pipefail
S=$(realpath "$1") SRC=$(realpath "$2") OUT=$(realpath -m "$3") FIXTURES=$(dirname "$(realpath "$0")")
export SOMA_HOME=/tmp/soma-fixture-home
rm -rf "$SOMA_HOME"; mkdir -p /tmp/soma-fixture-src; cp "$SRC"/* /tmp/soma-fixture-src/; cd /tmp/soma-fixture-src
$S launch app.cell --name shop >/dev/null
PORT=$($S status --app shop --json | python3 -c "import json,sys;print(json.load(sys.stdin)['port'])")
post() { curl -s -m 5 -XPOST "localhost:$PORT/Shop/$1" -d "$2"; echo; }
for id in o1 o2 o3; do post place_order "{\"order\":{\"id\":\"$id\",\"buyer\":\"ann\",\"items\":[{\"sku\":\"tea\",\"qty\":1,\"price\":2.5}],\"total\":2.5}}"; done
post pay '{"id":"o1"}'
sleep 1
$S swap v2.cell --app shop --yes >/dev/null
kill -STOP "$(pgrep -f "queue-serve.*$SOMA_HOME")"
for id in o4 o5; do post place_order "{\"order\":{\"id\":\"$id\",\"customer\":\"bo\",\"items\":[{\"sku\":\"tea\",\"qty\":2,\"price\":2.5}],\"total\":5.0,\"status\":\"Open\"}}"; done
sleep 0.5
"$FIXTURES/keep-home.sh" "$SOMA_HOME" "$OUT"
echo "pending effects: $(sqlite3 "$OUT/apps/shop/state/state.sqlite" 'select count(*) from pending_effects')"
