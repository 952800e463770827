import { AnthropicStandIn, callTool, lastToolResults, say } from "../../../lab/anthropic-standin";
import type { LabFacts } from "../../../lab/facts";
import { agentSays } from "./agents";
import { alertMatching } from "./health";
import { WAIT, type LabSession } from "./session";

/** A device's room as the operator sees it: joined, with its agent's user id. */
export interface DeviceRoom {
  room: string;
  agent: string;
}

export async function joinDeviceRoom(
  session: LabSession,
  facts: LabFacts,
  name: string,
): Promise<DeviceRoom> {
  const room = await session.operator.resolveAlias(`#device-${name}:${facts.serverName}`);
  await session.operator.waitForInvite((id) => id === room, WAIT);
  await session.operator.join(room);
  return { room, agent: `@agent-${name}:${facts.serverName}` };
}

/**
 * Has the stand-in model call one tool, and returns what the tool gave the model and the
 * agent's answer in the room (which quotes it).
 */
export async function oneToolCall(
  session: LabSession,
  standIn: AnthropicStandIn,
  device: DeviceRoom,
  tool: string,
  input: Record<string, unknown>,
): Promise<{ result: { content: string; isError: boolean }; answer: string }> {
  let result: { content: string; isError: boolean } | undefined;
  standIn.script(callTool(tool, input), (request) => {
    result = lastToolResults(request)[0];
    return say(`Tool said: ${result?.content ?? "(nothing)"}`);
  });
  const sent = await session.operator.sendText(device.room, `please use ${tool}`);
  const answer = await agentSays(
    session.operator,
    device.room,
    device.agent,
    sent,
    (b) => b.startsWith("Tool said:"),
    WAIT,
    `the answer after ${tool}`,
  );
  if (!result) throw new Error(`the model never saw the result of ${tool}`);
  return { result, answer: answer.content.body as string };
}

/** Sends a command that asks for a confirmation code (!revoke …) and returns the code. */
export async function confirmationCode(
  session: LabSession,
  facts: LabFacts,
  command: string,
): Promise<string> {
  const ask = await session.command(command);
  const prompt = await session.operator.waitForAfter(
    ask.sent,
    alertMatching(facts, session.alertsRoom, /--confirm [A-Z0-9]{4}/),
    WAIT,
    `the confirmation code for ${command}`,
  );
  return /--confirm ([A-Z0-9]{4})/.exec(prompt.content.body as string)![1]!;
}

/** !revoke with its confirmation code; resolves with the outcome line. */
export async function revokeDevice(session: LabSession, facts: LabFacts, name: string): Promise<string> {
  const code = await confirmationCode(session, facts, `!revoke ${name}`);
  const done = await session.command(`!revoke ${name} --confirm ${code}`);
  if (done.reaction !== "✅") throw new Error(`!revoke ${name} --confirm was answered ${done.reaction}`);
  const outcome = await session.operator.waitForAfter(
    done.sent,
    alertMatching(facts, session.alertsRoom, new RegExp(`${name} revoked`)),
    WAIT,
    `the revoke outcome for ${name}`,
  );
  return outcome.content.body as string;
}
