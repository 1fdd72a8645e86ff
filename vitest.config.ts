import { defineConfig } from 'vitest/config';

// Two projects: `unit` (rules, stores and HTTP through app.inject) and `e2e` (a real server driven by Chromium).
// Both run on SQLite by default and on PostgreSQL when DATABASE_URL is set (see .ci/run).
export default defineConfig({
  // Classic JSX with our own factory (src/web/jsx.ts), as in tsconfig.json.
  oxc: { jsx: { runtime: 'classic', pragma: 'h', pragmaFrag: 'Fragment', development: false } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/http/**/*.test.ts', 'test/unit/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
