import { UserError } from "../../../common/errors";
import { validHome } from "../../../device-agent/manifest/render";
import type { Step } from "../../engine";
import type { WgAddData } from "../../run-data";
import { detectTarget } from "../../targets/detect";
import { pickAdapter } from "../../targets";
import type { WgRun } from "../run";

/**
 * Step 2: connect (pinning a new host's key), learn what the target is, pick its OS
 * adapter — or refuse, with a sentence, before anything on the target is touched — and
 * read the login user's home from the target's account database.
 */
export function connectStep(run: WgRun): Step<WgAddData> {
  return {
    name: "connecting over SSH",
    do: async (ctx) => {
      const shell = await run.connect(ctx.data, ctx.save);
      const facts = await detectTarget(shell);
      if (ctx.data.forced?.os) facts.os = ctx.data.forced.os;
      if (ctx.data.forced?.arch) facts.arch = ctx.data.forced.arch;
      const picked = pickAdapter(facts, ctx.data.name);
      if ("refusal" in picked) throw new UserError(picked.refusal);
      facts.home = await picked.adapter.home(shell, facts.user);
      // Checked here, before anything is installed: the manifest can only hold a plain path.
      if (!validHome(facts.home))
        throw new UserError(
          `${facts.user}'s home on ${ctx.data.name} is ${JSON.stringify(facts.home)}; the agent's manifest needs an absolute path without quotes, $, .. or glob characters — add it with --via ssh, or use an account with a plain home`,
        );
      ctx.data.facts = facts;
      return `${facts.osPretty}, ${facts.arch}`;
    },
    undo: (ctx) => {
      if (!ctx.data.pinnedByRun) return Promise.resolve();
      run.deps.hostKeys.forget(ctx.data.pinnedByRun);
      return Promise.resolve("host key unpinned");
    },
  };
}
