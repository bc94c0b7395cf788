#!/usr/bin/env bash
# Every test: unit and golden tests (Swift Testing), then the shared conformance cases when ../shared is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

swift build --build-tests 2>&1 | grep -E "error|warning: unre|Compiling|Build" | grep -v Compiling | tail -n 5
swift test --skip-build --no-parallel 2>&1 | tee .build/test-output.txt | grep -E "✘|failed|error:|passed after|Test run with" || true
if grep -qE "Test run with .* (failed|issue)" .build/test-output.txt || ! grep -q "Test run with" .build/test-output.txt; then
  echo "test: the Swift tests failed"
  exit 1
fi

if [ -f ../shared/conformance/run.py ]; then
  echo "conformance: ../shared/conformance/check"
  python3 ../shared/conformance/run.py --soma .build/debug/soma
else
  echo "conformance: skipped (../shared is not beside this clone)"
fi
