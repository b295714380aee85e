#!/usr/bin/env bash
# The test command (`npm test`, as the README says): builds, checks lint and formatting, brings up
# the real test environment (Docker engine, registries, git server; installed when missing),
# then runs the unit and integration suites on node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
rm -rf dist
npx tsc -p tsconfig.json
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "formatting differs: run npm run format" >&2; exit 1; }
# Unit tests first (seconds, no services), then integration tests. They share one engine, but
# each file works on devices, repositories and state of its own, so two files run side by side
# (FERRY_TEST_CONCURRENCY=1 runs them in turn).
mapfile -t units < <(find dist/test/unit -name '*.test.js' | sort)
node --test "${units[@]}"
bash test/env/up.sh
mapfile -t integration < <(find dist/test/integration -name '*.test.js' | sort)
node --test --test-concurrency="${FERRY_TEST_CONCURRENCY:-2}" "${integration[@]}"
