import {
  describeFailure,
  errorCode,
  errorMessage,
  newReference,
  ReportedFailure,
  UserError,
} from "../../../common/errors";
import { memoryLogger } from "../support/fakes";

describe("errors", () => {
  test("the two kinds carry their names, so logs tell them apart", () => {
    expect(new UserError("x").name).toBe("UserError");
    expect(new ReportedFailure("x").name).toBe("ReportedFailure");
  });

  test("errorCode: the errno code when there is one, else the message", () => {
    expect(errorCode(Object.assign(new Error("connect failed"), { code: "ECONNREFUSED" }))).toBe(
      "ECONNREFUSED",
    );
    expect(errorCode(Object.assign(new Error("odd"), { code: 5 }))).toBe("odd");
    expect(errorCode(new Error("plain"))).toBe("plain");
    expect(errorCode(undefined)).toBe("undefined");
    expect(errorMessage("words")).toBe("words");
  });

  test("a UserError's sentence is shown and logged as a refusal; anything else is a reference, logged in full", () => {
    const { log, lines } = memoryLogger();
    expect(describeFailure(log, "!add-pc", new UserError("pc1 is taken — pick another name"))).toBe(
      "pc1 is taken — pick another name",
    );
    const shown = describeFailure(log, "!add-pc", new Error("secret detail"));
    const reference = /^internal error, reference ([0-9a-f]{4}) — the bot's log has the details$/.exec(
      shown,
    )?.[1];
    expect(reference).toBeDefined();
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 30,
        label: "!add-pc",
        reason: "pc1 is taken — pick another name",
        msg: "refused",
      }),
      expect.objectContaining({
        level: 50,
        label: "!add-pc",
        reference,
        msg: "internal error: secret detail",
      }),
    ]);
    expect(newReference()).toMatch(/^[0-9a-f]{4}$/);
  });
});
