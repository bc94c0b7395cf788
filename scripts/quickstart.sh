#!/usr/bin/env bash
# The main job on embedded defaults: set up, build, launch the bundled shop example, and send an order
# through it over the CLI and over HTTP. The shop keeps running afterwards: `soma stop --app shop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product soma 2>&1 | tail -n 1
soma=.build/release/soma
run() { echo; echo "\$ soma $*"; "$soma" "$@"; }

run check examples/shop/app.cell
run launch examples/shop/app.cell
id="order-$(date +%s)"
run send Shop.place_order "{\"order\": {\"id\": \"$id\", \"buyer\": \"ada\", \"items\": [{\"sku\": \"tea\", \"qty\": 2, \"price\": 3.5}], \"total\": 7.0}}"
url=$("$soma" status --app shop --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
echo
echo "\$ curl -X POST $url/Shop/get_order -d '{\"id\": \"$id\"}'"
curl -s -X POST "$url/Shop/get_order" -d "{\"id\": \"$id\"}"
echo
run send Shop.stats
db=$("$soma" resources show shop --app shop --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["endpoint"])')
sleep 0.3  # the outbox consumer's turn writes the row once the order's turn is durable
echo
echo "\$ sqlite3 $db \"SELECT id, buyer, total FROM orders WHERE id = '$id'\""
sqlite3 "$db" "SELECT id, buyer, total FROM orders WHERE id = '$id'"
run status --app shop
run resources list --app shop
echo
echo "The shop is still running at $url (see docs/running.md). Stop it with: $soma stop --app shop"
