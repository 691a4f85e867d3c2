import { defineConfig } from 'vitest/config';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// Tests import workspace packages from source, so they run without a build.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias: { find: string | RegExp; replacement: string }[] = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const entry = join(root, 'packages', dir, 'src', 'index.ts');
  if (!existsSync(entry)) continue;
  alias.push({ find: new RegExp(`^@scrubline/${dir}$`), replacement: entry });
  // subpath exports (`@scrubline/core/early-workers`): the module of that name in src
  alias.push({ find: new RegExp(`^@scrubline/${dir}/([\\w-]+)$`), replacement: join(root, 'packages', dir, 'src', '$1.ts') });
}

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
