#!/usr/bin/env bash
# The main job on embedded defaults: set up, build, and check the bundled shop example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product soma 2>&1 | tail -n 1
echo
echo "\$ soma check examples/shop/app.cell"
.build/release/soma check examples/shop/app.cell
