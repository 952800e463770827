import { UserError } from "../../common/errors";
import type { PullAddData } from "../run-data";
import { adapterFor } from "../targets";
import type { TargetAdapter } from "../targets/types";
import type { WgDeps } from "../wg/run";
import type { WgPresharedKey } from "../wg/keys";
import type { Rendezvous } from "./rendezvous";
import type { EnrollmentStore } from "./tokens";

/** An operator's 👍/👎 on a new peer (enroll.approve_first). */
export interface PeerApproval {
  device: string;
  /** One line: the machine, its OS, where it came from. */
  what: string;
  deadline: number;
}

export interface PullDeps extends WgDeps {
  enrollments: EnrollmentStore;
  rendezvous: Rendezvous;
  /** enroll.public_url, where the PC fetches the script and the agent. */
  publicUrl: string;
  approveFirst: boolean;
  askApproval: (request: PeerApproval) => Promise<{ approved: boolean; by: string }>;
}

/** One pull run's working state: the preshared key lives only here until it is in the PC's script. */
export class PullRun {
  psk: WgPresharedKey | undefined;

  /** The link's token is never journaled: a run that crashes is rolled back, and its link dies with it. */
  constructor(
    readonly deps: PullDeps,
    readonly token: string,
  ) {}

  linkUrl(): string {
    return `${this.deps.publicUrl.replace(/\/+$/, "")}/e/${this.token}`;
  }

  adapter(data: PullAddData): TargetAdapter {
    const adapter = adapterFor(data.facts?.os ?? data.os, data.facts?.arch ?? data.arch);
    if (!adapter) throw new UserError(`meshpilot has no target adapter for "${data.os}"`);
    return adapter;
  }
}
