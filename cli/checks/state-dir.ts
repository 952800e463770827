import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorCode } from "../../common/errors";
import { fail, pass, type Check } from "./types";

const LABEL = "state directory writable";

/** The bot creates it at start; proving a write now saves a failed start later. */
export const stateDirCheck: Check = {
  label: LABEL,
  applies: () => true,
  run({ config }) {
    const dir = config.state_dir;
    const probe = join(dir, `.doctor-${process.pid}`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(probe, "");
      rmSync(probe);
      return Promise.resolve(pass(LABEL, dir));
    } catch (error) {
      return Promise.resolve(
        fail(
          LABEL,
          `${dir}: ${errorCode(error)}`,
          `create it for the bot's user: mkdir -p ${dir} && chown <bot user> ${dir} && chmod 700 ${dir}`,
        ),
      );
    }
  },
};
