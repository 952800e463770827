/** Two projects: unit tests need nothing; e2e tests need the lab (npm run lab:up). */
const common = {
  preset: "ts-jest",
  testEnvironment: "node",
  // Type errors are tsc's job (npm run typecheck); tests only transpile (isolatedModules).
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
  // Stryker's sandboxes copy the whole tree (package.json included): not modules of this one.
  modulePathIgnorePatterns: ["<rootDir>/.stryker-tmp"],
};

module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"] },
    {
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"],
      slowTestThreshold: 60,
      // Real processes on a machine that may be busy: a test without its own limit gets 2 min, not 5 s.
      setupFilesAfterEnv: ["<rootDir>/tests/e2e/support/timeout.ts"],
    },
  ],
};
