import { readEnv } from "../../../common/env";
import { labFactsPath, labIsUp, readLabFacts, type LabFacts } from "../../../lab/facts";

/**
 * The lab, or a decision about its absence: under CI=true a missing lab is a failure
 * (no real-component test may skip itself there); elsewhere the suite is skipped with a
 * pointer to `npm run lab:up`.
 */
export async function requireLab(): Promise<LabFacts | undefined> {
  const facts = readLabFacts();
  const up = facts !== undefined && (await labIsUp(facts));
  if (up) return facts;
  const why = facts ? "its homeserver does not answer" : `${labFactsPath()} does not exist`;
  if (readEnv().ci) throw new Error(`the lab is not up (${why}); CI must run e2e tests against it`);
  // eslint-disable-next-line no-console
  console.warn(`skipping e2e tests: the lab is not up (${why}) — run npm run lab:up as root`);
  return undefined;
}

/** describe() when the lab can be used; the caller's tests see `lab()` defined. */
export function describeLab(name: string, body: (lab: () => LabFacts) => void): void {
  const facts = readLabFacts();
  const ci = readEnv().ci;
  if (!facts && !ci) {
    describe.skip(`${name} (lab not up: npm run lab:up)`, () => body(() => facts!));
    return;
  }
  describe(name, () => {
    let current: LabFacts | undefined;
    beforeAll(async () => {
      current = await requireLab();
      if (!current) throw new Error("the lab is not up");
    });
    body(() => {
      if (!current) throw new Error("the lab is not up");
      return current;
    });
  });
}
