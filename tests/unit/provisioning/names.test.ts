import { UserError } from "../../../common/errors";
import { DEVICE_NAME, validateDeviceName } from "../../../provisioning/names";

describe("device names are DNS labels", () => {
  test.each(["a", "pc1", "aurgi-pc", "9", "a-b-c", "x".repeat(31), "0pc"])("%s is accepted", (name) => {
    expect(() => validateDeviceName(name)).not.toThrow();
  });

  test.each([
    "pc9-",
    "-pc9",
    "-",
    "",
    "Pc1",
    "pc_1",
    "pc.1",
    "x".repeat(32),
    "pc1\n",
    "pc 1",
    "pc1-\n",
    "ṗc1",
  ])("%j is refused with a sentence", (name) => {
    expect(() => validateDeviceName(name)).toThrow(UserError);
    expect(() => validateDeviceName(name)).toThrow(/is not a valid device name/);
  });

  test("a trailing or leading hyphen is named in the sentence", () => {
    expect(() => validateDeviceName("pc9-")).toThrow(/may not start or end with -/);
  });

  // A valid name followed by anything: only the end anchor ($) refuses these.
  test.each([
    "pc1\n",
    "pc1 x",
    "pc1-",
    "pc1_",
    "pc1.lan",
    "pc1;reboot",
    "pc1/../etc",
    "pc1$(id)",
    "pc1\u0000",
    "pc1\r",
    `${"x".repeat(31)}y`,
  ])("%j (a valid name and then more) is refused", (name) => {
    expect(DEVICE_NAME.test(name)).toBe(false);
    expect(() => validateDeviceName(name)).toThrow(/is not a valid device name/);
  });

  test("the pattern is anchored at both ends", () => {
    expect(DEVICE_NAME.test("ok-name\nmore")).toBe(false);
    expect(DEVICE_NAME.test("bad!ok")).toBe(false);
  });
});
