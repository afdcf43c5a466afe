#!/usr/bin/env bash
# Regenerate schema/mesh.config.schema.json straight from the TypeBox sources (no full build).
set -euo pipefail
cd "$(dirname "$0")/.."
esbuild=$(ls -d node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
"$esbuild" packages/core/src/config/json-schema.ts --bundle --platform=node --format=esm --outfile=.mesh-schema.tmp.mjs --log-level=warning
node -e "import('./.mesh-schema.tmp.mjs').then(m => require('fs').writeFileSync('schema/mesh.config.schema.json', JSON.stringify(m.configJsonSchema(), null, 2) + '\n'))"
rm -f .mesh-schema.tmp.mjs
