import { CAPABILITY_NAMES, type CapabilityName } from "../../common/capabilities";
import { CALL_REF_PATTERN } from "../../common/audit/chain";
import type { AuditLog } from "../../common/audit/log";
import type { RegisteredCapability } from "../capabilities";
import type { CapabilityContext } from "../capabilities/types";
import { invoke, type CallRequest } from "../invoke";

/** What the routes need: the registry, the capability context, the audit log, identity. */
export interface AgentState {
  registry: ReadonlyMap<CapabilityName, RegisteredCapability>;
  ctx: CapabilityContext;
  audit: AuditLog;
  version: string;
  startedAt: number;
}

export interface Reply {
  status: number;
  payload: unknown;
}

/** Routes an authenticated request. */
export async function routeRequest(
  state: AgentState,
  method: string,
  rawPath: string,
  body: Buffer,
): Promise<Reply> {
  const url = new URL(rawPath, "http://agent");
  const route = `${method} ${url.pathname}`;
  switch (route) {
    case "GET /health":
      return { status: 200, payload: health(state) };
    case "GET /capabilities":
      return { status: 200, payload: { capabilities: capabilities(state) } };
    case "GET /audit/head":
      return { status: 200, payload: state.audit.head() };
    case "GET /audit/verify":
      return auditVerify(state, url.searchParams);
    case "GET /audit/entries":
      return auditEntries(state, url.searchParams);
    case "POST /call":
      return call(state, body);
    default:
      return { status: 404, payload: { error: `no route ${route}` } };
  }
}

function health(state: AgentState): unknown {
  const { policy } = state.ctx;
  return {
    version: state.version,
    uptime_s: Math.round((Date.now() - state.startedAt) / 1000),
    os: state.ctx.platform.os,
    capabilities: state.registry.size,
    capabilities_enabled: CAPABILITY_NAMES.filter((name) => policy.isEnabled(name)).length,
    audit: state.audit.head(),
  };
}

function capabilities(state: AgentState): unknown[] {
  return [...state.registry.values()].map((cap) => ({
    name: cap.name,
    description: cap.description,
    input_schema: cap.inputSchema,
    enabled: state.ctx.policy.isEnabled(cap.name),
    needs_approval: state.ctx.policy.needsApproval(cap.name),
  }));
}

/** `?count=N&hash=H` is the head the caller remembers: a chain cut short or rewritten since is reported. */
function auditVerify(state: AgentState, query: URLSearchParams): Reply {
  const count = query.get("count");
  const hash = query.get("hash");
  if ((count === null) !== (hash === null))
    return { status: 400, payload: { error: "give both count and hash, or neither" } };
  if (count !== null && !/^\d+$/.test(count))
    return { status: 400, payload: { error: "count must be a number" } };
  const remembered = count !== null && hash !== null ? { count: Number(count), hash } : undefined;
  return { status: 200, payload: state.audit.verify(remembered) };
}

function auditEntries(state: AgentState, query: URLSearchParams): Reply {
  const after = query.get("after") ?? "0";
  const limit = query.get("limit") ?? "100";
  if (!/^\d+$/.test(after) || !/^\d+$/.test(limit))
    return { status: 400, payload: { error: "after and limit must be numbers" } };
  const entries = state.audit.entries(Number(after), Number(limit));
  const last = entries[entries.length - 1];
  // next_after: where the next page starts; null when this page reached the head.
  const head = state.audit.head();
  return { status: 200, payload: { entries, next_after: last && last.id < head.count ? last.id : null } };
}

async function call(state: AgentState, body: Buffer): Promise<Reply> {
  const request = parseCall(body);
  if (typeof request === "string") return { status: 400, payload: { error: request } };
  const response = await invoke(state.registry, state.ctx, state.audit, request);
  const status = response.status === "done" ? 200 : response.status === "refused" ? 403 : 503;
  return { status, payload: response };
}

/** The envelope of POST /call; the arguments themselves are validated by the capability's schema. */
function parseCall(body: Buffer): CallRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return "the body must be JSON";
  }
  if (typeof value !== "object" || value === null) return "the body must be a JSON object";
  const {
    capability,
    args,
    caller,
    approved_by: approvedBy,
    call_ref: ref,
  } = value as Record<string, unknown>;
  if (typeof capability !== "string" || capability.length === 0) return "capability must be a string";
  if (typeof caller !== "string" || caller.length === 0 || caller.length > 255)
    return "caller must be a string";
  if (approvedBy !== undefined && (typeof approvedBy !== "string" || approvedBy.length > 255))
    return "approved_by must be a string";
  if (ref !== undefined && (typeof ref !== "string" || !CALL_REF_PATTERN.test(ref)))
    return "call_ref must be 8 to 64 letters, digits, _ or -";
  return {
    capability,
    args: args ?? {},
    caller,
    ...(approvedBy !== undefined ? { approvedBy } : {}),
    ...(ref !== undefined ? { ref } : {}),
  };
}
