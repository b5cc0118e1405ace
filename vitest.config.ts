import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "data/**", ".trustql/**"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
