import { UserError } from "../common/errors";

export interface SshTarget {
  user: string;
  host: string;
  port: number;
}

const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

/** Parses `user@host[:port]` (IPv6 as `user@[::1]:22`); a mistake is one sentence saying the form. */
export function parseSshTarget(text: string): SshTarget {
  const form = "write it as user@host or user@host:port";
  const at = text.lastIndexOf("@");
  if (at <= 0) throw new UserError(`"${text}" has no user — ${form}`);
  const user = text.slice(0, at);
  let rest = text.slice(at + 1);
  if (!USER.test(user)) throw new UserError(`"${user}" is not a valid user name — ${form}`);
  let port = 22;
  let host: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) throw new UserError(`"${text}" has an unclosed [ — ${form}`);
    host = rest.slice(1, close);
    rest = rest.slice(close + 1);
    if (!/^[0-9a-f:.]+$/i.test(host) || !host.includes(":"))
      throw new UserError(`"${host}" is not an IPv6 address — ${form}`);
    if (rest) port = parsePort(rest.replace(/^:/, ""), text, form);
  } else {
    const colon = rest.lastIndexOf(":");
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    if (colon >= 0) port = parsePort(rest.slice(colon + 1), text, form);
    if (IPV4.test(host) ? !host.split(".").every((n) => Number(n) <= 255) : !HOST.test(host)) {
      throw new UserError(`"${host}" is not a host name or address — ${form}`);
    }
  }
  return { user, host, port };
}

export function formatSshTarget(target: SshTarget): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return `${target.user}@${host}${target.port === 22 ? "" : `:${target.port}`}`;
}

/** The key a host's pinned host key is stored under. */
export function hostKeyId(target: Pick<SshTarget, "host" | "port">): string {
  return `${target.host.toLowerCase()}:${target.port}`;
}

function parsePort(text: string, whole: string, form: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new UserError(`"${whole}" has a bad port — ${form}`);
  return port;
}
