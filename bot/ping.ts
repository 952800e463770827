import { timingSafeEqual } from "node:crypto";
import type { Appservice } from "matrix-bot-sdk";

/**
 * The appservice side of the homeserver's ping (`POST /_matrix/app/v1/ping`), which
 * matrix-bot-sdk 0.8 does not serve. `meshpilot doctor` asks Synapse to ping the bot
 * (`/_matrix/client/v1/appservice/{id}/ping`); this answers it, so a 200 there proves
 * the registration, the URL and the hs_token all line up. Must be added before begin(),
 * which installs the SDK's catch-all.
 */
export function servePing(appservice: Appservice, hsToken: string): void {
  appservice.expressAppInstance.post("/_matrix/app/v1/ping", (req, res) => {
    const header = req.headers.authorization ?? "";
    const query = typeof req.query.access_token === "string" ? req.query.access_token : "";
    const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : query;
    if (!given) {
      res.status(401).json({ errcode: "M_UNAUTHORIZED", error: "no hs_token" });
      return;
    }
    if (!sameToken(given, hsToken)) {
      res.status(403).json({ errcode: "M_FORBIDDEN", error: "wrong hs_token" });
      return;
    }
    res.status(200).json({});
  });
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
