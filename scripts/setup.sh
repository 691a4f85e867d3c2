#!/usr/bin/env bash
# One entry point for a fresh machine with only Node 20 and npm:
#   bash scripts/setup.sh demo   installs, builds, runs the main pipeline on the bundled fixtures
#   bash scripts/setup.sh test   installs, builds, runs every test; last line `N passed, N failed`
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=12.4.2
# unattended and offline-friendly: turbo sends no usage telemetry
export TURBO_TELEMETRY_DISABLED=1
# corepack fails here on a signature check; a pinned npx pnpm works everywhere
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  PNPM=(pnpm)
else
  PNPM=(npx --yes "pnpm@$PNPM_VERSION")
fi
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only >&2
"${PNPM[@]}" run build >&2
case "${1:-test}" in
  demo) node packages/cli/bin/scrubline.js run pipelines/fixtures-demo.yaml ;;
  test) node scripts/run-tests.mjs ;;
  *) echo "usage: scripts/setup.sh demo|test" >&2; exit 2 ;;
esac
