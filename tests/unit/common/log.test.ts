import { memoryLogger } from "../support/fakes";

describe("logging", () => {
  test("secrets are redacted at the top level and one level down", () => {
    const { log, lines } = memoryLogger();
    log.info(
      { as_token: "AS-SECRET", config: { hs_token: "HS-SECRET", password: "pw" }, device: "pc1" },
      "hello",
    );
    const line = JSON.stringify(lines()[0]);
    expect(line).not.toContain("AS-SECRET");
    expect(line).not.toContain("HS-SECRET");
    expect(line).not.toContain('"pw"');
    expect(line).toContain('"device":"pc1"');
  });

  test("child loggers carry their bindings", () => {
    const { log, lines } = memoryLogger();
    log.child({ runId: "r1", cmd: "help" }).info("started");
    expect(lines()[0]).toMatchObject({ runId: "r1", cmd: "help", msg: "started" });
  });
});
