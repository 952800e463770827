import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { errorMessage } from "../../common/errors";
import { localAgent } from "../../provisioning/wg/agent-install";
import { SUPPORTED_TARGETS } from "../../provisioning/targets/builds";
import { fail, pass, type Check } from "./types";

const LABEL = "device agent built";

/** `!add-pc --via wg` uploads these; a missing or stale one fails only when that OS shows up. */
export const agentBuildCheck: Check = {
  label: LABEL,
  applies: ({ config }) => config.mesh !== undefined,
  async run({ config }) {
    const dir = config.mesh!.agent_dir;
    const hint = `build them: npm run build:agent (or point mesh.agent_dir at the built dist/agent)`;
    const problems: string[] = [];
    for (const target of SUPPORTED_TARGETS) {
      try {
        const agent = localAgent(dir, target);
        if ((await sha256(agent.path)) !== agent.sha256)
          problems.push(`${target}: checksum differs from SHA256SUMS`);
      } catch (error) {
        problems.push(`${target}: ${errorMessage(error).split(" — ")[0]}`);
        if (problems[0]?.includes("not built")) break;
      }
    }
    if (problems.length > 0) return fail(LABEL, `${dir}: ${problems.join("; ")}`, hint);
    return pass(LABEL, `${SUPPORTED_TARGETS.length} targets in ${dir}, checksums match`);
  },
};

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}
