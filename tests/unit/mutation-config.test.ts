import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "../..");

describe("the mutation-testing config", () => {
  test("jest.mutation.config.json is jest.config.js's unit project less the two race tests, so Stryker runs the same unit tests", async () => {
    const { projects } = (await import(join(root, "jest.config.js"))) as {
      projects: Array<Record<string, unknown>>;
    };
    const unit = projects.find((project) => project.displayName === "unit");
    const { testPathIgnorePatterns, ...forStryker } = JSON.parse(
      readFileSync(join(root, "jest.mutation.config.json"), "utf8"),
    ) as Record<string, unknown>;
    expect(forStryker).toEqual(unit);
    // Left out: 1000-try races with a spinning child (25 s and 12 s a run); see docs/mutation.md.
    expect(testPathIgnorePatterns).toEqual([
      "/node_modules/",
      "/tests/unit/capabilities/ssh/swap-race\\.test\\.ts$",
      "/tests/unit/device-agent/fs/race\\.test\\.ts$",
    ]);
  });

  test("Stryker runs that config and mutates provisioning/ too", () => {
    const config = JSON.parse(readFileSync(join(root, "stryker.config.json"), "utf8")) as {
      jest: { configFile: string };
      mutate: string[];
    };
    expect(config.jest.configFile).toBe("jest.mutation.config.json");
    expect(config.mutate).toEqual(
      expect.arrayContaining([
        "common/**/*.ts",
        "capabilities/**/*.ts",
        "provisioning/**/*.ts",
        "health/**/*.ts",
      ]),
    );
  });
});
