import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "../..");

describe("the mutation-testing config", () => {
  test("jest.mutation.config.json is jest.config.js's unit project, so Stryker runs the same unit tests", async () => {
    const { projects } = (await import(join(root, "jest.config.js"))) as {
      projects: Array<Record<string, unknown>>;
    };
    const unit = projects.find((project) => project.displayName === "unit");
    const forStryker = JSON.parse(readFileSync(join(root, "jest.mutation.config.json"), "utf8")) as unknown;
    expect(forStryker).toEqual(unit);
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
