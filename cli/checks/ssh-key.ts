import { statSync } from "node:fs";
import { errorCode } from "../../common/errors";
import { fail, pass, type Check } from "./types";

const LABEL = "SSH key";

/** ssh refuses a private key others can read, and so should we, before a device is added. */
export const sshKeyCheck: Check = {
  label: LABEL,
  applies: ({ config }) => config.ssh.key_file !== undefined,
  run({ config }) {
    const file = config.ssh.key_file!;
    try {
      const stat = statSync(file);
      if (!stat.isFile())
        return Promise.resolve(fail(LABEL, `${file} is not a file`, "point ssh.key_file at the private key"));
      const mode = stat.mode & 0o777;
      if ((mode & 0o077) !== 0)
        return Promise.resolve(
          fail(LABEL, `${file} has mode ${mode.toString(8).padStart(4, "0")}`, `chmod 600 ${file}`),
        );
      return Promise.resolve(pass(LABEL, `${file} (0600)`));
    } catch (error) {
      return Promise.resolve(
        fail(LABEL, `${file}: ${errorCode(error)}`, `create it: ssh-keygen -t ed25519 -N "" -f ${file}`),
      );
    }
  },
};
