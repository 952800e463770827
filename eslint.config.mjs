import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "vendor/**",
      "coverage/**",
      // Stryker's sandboxes (npm run test:mutation) are copies of the tree, not code to lint.
      ".stryker-tmp*/**",
      "reports/**",
      "eslint.config.mjs",
      "jest.config.js",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "no-console": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["tests/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    // The CLI, lab tools and benchmarks print to the terminal on purpose.
    files: ["cli/**/*.ts", "lab/**/*.ts", "bench/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
