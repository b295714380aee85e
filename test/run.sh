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
# Unit tests first (seconds, no services), then integration tests: they share one engine, so
# their files run in turn.
mapfile -t units < <(find dist/test/unit -name '*.test.js' | sort)
node --test "${units[@]}"
bash test/env/up.sh
mapfile -t integration < <(find dist/test/integration -name '*.test.js' | sort)
node --test --test-concurrency=1 "${integration[@]}"
