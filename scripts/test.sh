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

# The runtime's turn and swap tests and the crash tests again, with a cache far smaller than their data, so that
# entries leave memory and come back from the store in all of them (docs/state.md).
SOMA_TEST_CACHE_BYTES=2048 swift test --skip-build --no-parallel --filter "SomaRuntimeTests|CrashTests|SwapCrashTests|SwapEndToEndTests" 2>&1 \
  | tee .build/test-output-tiny-cache.txt | grep -E "✘|failed|error:|Test run with" || true
if grep -qE "Test run with .* (failed|issue)" .build/test-output-tiny-cache.txt || ! grep -q "Test run with" .build/test-output-tiny-cache.txt; then
  echo "test: the Swift tests failed with a tiny cache (SOMA_TEST_CACHE_BYTES=2048)"
  exit 1
fi

if [ -f ../shared/conformance/run.py ]; then
  echo "conformance: ../shared/conformance/check"
  python3 ../shared/conformance/run.py --soma .build/debug/soma
else
  echo "conformance: skipped (../shared is not beside this clone)"
fi
