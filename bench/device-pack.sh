#!/usr/bin/env bash
# Packs what bench/device-pii-run.sh needs on a bare device machine (no node, no registry there) into
# .devcarry/ (about 31 MB; pass it as the run's carry): this node binary, the built packages with their
# runtime dependencies (no compilers, bundlers or type definitions), and the 20 MB base input of the pii
# benchmarks, so both machines measure the same text.
#   bash bench/device-pack.sh      (repository root, after `npx tsc -b packages/*`; x86-64 only)
set -euo pipefail
grep -qx '/.devcarry/' .git/info/exclude || echo '/.devcarry/' >> .git/info/exclude
mkdir -p .devcarry bench/data
[ -f bench/data/pii-chat-20mb.jsonl ] || node bench/pii.mjs --mb 20 --runs 1 --only stage.1 > /dev/null
xz -T2 -c "$(command -v node)" > .devcarry/node.xz
tar -cJf .devcarry/bundle.tar.xz --exclude='*.map' --exclude='*.d.ts' \
  --exclude='node_modules/.pnpm/typescript@*' --exclude='node_modules/.pnpm/@turbo+*' --exclude='node_modules/.pnpm/turbo@*' \
  --exclude='node_modules/.pnpm/@esbuild+*' --exclude='node_modules/.pnpm/esbuild@*' --exclude='node_modules/.pnpm/@rollup+*' \
  --exclude='node_modules/.pnpm/rollup@*' --exclude='node_modules/.pnpm/vite@*' --exclude='node_modules/.pnpm/@types+node@*' \
  node_modules packages/*/node_modules packages/*/dist
xz -T2 -c bench/data/pii-chat-20mb.jsonl > .devcarry/pii-chat-20mb.jsonl.xz
du -sh .devcarry
