import { defineConfig } from 'vitest/config'
import { defaultServerConditions } from 'vite'

// Workspace packages resolve to their TypeScript sources through the `@modelmesh/source`
// export condition, so the suite runs without a build and reports real source lines.
const conditions = ['@modelmesh/source', ...defaultServerConditions]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'providers-openai', include: ['packages/providers-openai/test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'providers-anthropic', include: ['packages/providers-anthropic/test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'providers-google', include: ['packages/providers-google/test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'testkit', include: ['packages/testkit/test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'stores-sqlite', include: ['packages/stores-sqlite/test/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'stores-postgres', include: ['packages/stores-postgres/test/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'stores-redis', include: ['packages/stores-redis/test/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'], testTimeout: 30_000 },
      },
      {
        extends: true,
        test: { name: 'bench', include: ['bench/test/**/*.test.ts'] },
      },
    ],
    testTimeout: 15_000,
    hookTimeout: 15_000,
  },
})
