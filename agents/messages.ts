/**
 * The slice of the Messages API an agent uses: text, tool calls and their results. These
 * are what history stores and are assignable to the SDK's MessageParam as they are.
 */
export interface TextBlock {
  type: "text";
  text: string;
}

export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

export type AgentBlock = TextBlock | ToolUseBlock | ToolResultBlock;

export interface AgentMessage {
  role: "user" | "assistant";
  content: AgentBlock[];
}

/** A rough token count (about four characters a token): enough to bound history, not to bill. */
export function estimateTokens(messages: readonly AgentMessage[]): number {
  let chars = 0;
  for (const message of messages) {
    for (const block of message.content) {
      if (block.type === "text") chars += block.text.length;
      else if (block.type === "tool_use") chars += block.name.length + JSON.stringify(block.input).length;
      else chars += block.content.length;
    }
  }
  return Math.ceil(chars / 4) + messages.length * 4;
}
