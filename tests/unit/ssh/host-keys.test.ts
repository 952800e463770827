import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fingerprint, HostKeyStore } from "../../../ssh/host-keys";
import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";

describe("host key pins", () => {
  const store = (): HostKeyStore =>
    new HostKeyStore(
      openDatabase(join(mkdtempSync(join(tmpdir(), "meshpilot-hostkeys-")), "s.db"), BOT_MIGRATIONS),
    );

  test("fingerprints are OpenSSH's: SHA256 of the key blob, base64 without padding", () => {
    expect(fingerprint(Buffer.alloc(0))).toBe("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
  });

  test("a pin is kept: pinning another fingerprint for the same host does not replace it", () => {
    const pins = store();
    expect(pins.get("10.0.0.5:22")).toBeUndefined();
    pins.pin("10.0.0.5:22", "SHA256:first");
    pins.pin("10.0.0.5:22", "SHA256:attacker");
    expect(pins.get("10.0.0.5:22")).toBe("SHA256:first");
  });

  test("pins are per host:port, and forgetting one leaves the others", () => {
    const pins = store();
    pins.pin("10.0.0.5:22", "SHA256:a");
    pins.pin("10.0.0.5:2222", "SHA256:b");
    pins.forget("10.0.0.5:22");
    expect(pins.get("10.0.0.5:22")).toBeUndefined();
    expect(pins.get("10.0.0.5:2222")).toBe("SHA256:b");
    pins.pin("10.0.0.5:22", "SHA256:reinstalled");
    expect(pins.get("10.0.0.5:22")).toBe("SHA256:reinstalled");
  });
});
