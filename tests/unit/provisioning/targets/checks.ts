import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shellQuote } from "../../../../ssh/quote";
import { LocalShell, type RunOptions, type Shell, type ShellResult } from "../../../../provisioning/wg/shell";
import type { AgentLayout, TargetAdapter, TargetFacts } from "../../../../provisioning/targets/types";

/** What the local sh (dash here) says about the script's syntax, without running it; undefined when valid. */
export function shSyntaxProblem(script: string): string | undefined {
  const result = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
  return result.status === 0 ? undefined : result.stderr.trim() || `sh -n exited ${result.status}`;
}

/**
 * A small well-formedness check: one root element, tags nested and closed, attributes
 * quoted and not repeated, & only as a known entity, no text outside the root.
 */
export function xmlProblem(xml: string): string | undefined {
  const s = xml.replace(/^\uFEFF/, "");
  const stack: string[] = [];
  let rootSeen = false;
  let i = 0;
  const badAmp = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  while (i < s.length) {
    const lt = s.indexOf("<", i);
    const text = lt === -1 ? s.slice(i) : s.slice(i, lt);
    if (badAmp.test(text)) return `a bare & in text near ${JSON.stringify(text.slice(0, 40))}`;
    if (stack.length === 0 && text.trim())
      return `text outside the root element: ${JSON.stringify(text.trim())}`;
    if (lt === -1) break;
    const rest = s.slice(lt);
    if (rest.startsWith("<?")) {
      const end = s.indexOf("?>", lt);
      if (end < 0) return "an unclosed processing instruction";
      if (rest.startsWith("<?xml ") && lt !== 0) return "the XML declaration is not at the very start";
      i = end + 2;
      continue;
    }
    if (rest.startsWith("<!--")) {
      const end = s.indexOf("-->", lt);
      if (end < 0) return "an unclosed comment";
      i = end + 3;
      continue;
    }
    if (rest.startsWith("<!DOCTYPE")) {
      if (rootSeen) return "a DOCTYPE after the root element";
      const end = s.indexOf(">", lt);
      i = end + 1;
      continue;
    }
    const tag = /^<((?:[^"'>]|"[^"]*"|'[^']*')*)>/.exec(rest);
    if (!tag) return `an unclosed tag at ${lt}`;
    const body = tag[1]!;
    i = lt + tag[0].length;
    if (body.startsWith("/")) {
      const name = body.slice(1).trim();
      const open = stack.pop();
      if (open !== name) return `</${name}> closes <${open ?? "nothing"}>`;
      continue;
    }
    const selfClosing = body.endsWith("/");
    const inner = selfClosing ? body.slice(0, -1) : body;
    const name = /^[A-Za-z_:][\w.:-]*/.exec(inner)?.[0];
    if (!name) return `a tag without a name: <${body}>`;
    let attrs = inner.slice(name.length);
    const seen = new Set<string>();
    while (attrs.trim()) {
      const attr = /^\s+([A-Za-z_:][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')/.exec(attrs);
      if (!attr) return `a malformed attribute in <${body}>`;
      if (seen.has(attr[1]!)) return `attribute ${attr[1]} repeated in <${name}>`;
      if (badAmp.test(attr[2]!)) return `a bare & in attribute ${attr[1]}`;
      seen.add(attr[1]!);
      attrs = attrs.slice(attr[0].length);
    }
    if (stack.length === 0) {
      if (rootSeen) return `a second root element <${name}>`;
      rootSeen = true;
    }
    if (!selfClosing) stack.push(name);
  }
  if (stack.length) return `unclosed <${stack.join("> <")}>`;
  return rootSeen ? undefined : "no root element";
}

/** xmllint's verdict when it is installed (undefined when it is not, or when it accepts the text). */
export function xmllintProblem(xml: string | Buffer): string | undefined {
  if (spawnSync("sh", ["-c", "command -v xmllint"]).status !== 0) return undefined;
  const result = spawnSync("xmllint", ["--noout", "-"], { input: xml, encoding: "utf8" });
  return result.status === 0 ? undefined : result.stderr;
}

/**
 * Unbalanced (), {}, [] or an unterminated string in a PowerShell script — a lexer for
 * the subset these scripts use ('…' with '' inside, "…" with ` escapes, # comments).
 */
export function psProblem(script: string): string | undefined {
  const closing: Record<string, string> = { ")": "(", "}": "{", "]": "[" };
  const single = "'\u2018\u2019\u201A\u201B";
  const stack: string[] = [];
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (single.includes(c)) {
      for (i++; ; i++) {
        if (i >= script.length) return "an unterminated '…' string";
        if (single.includes(script[i]!)) {
          const next = script[i + 1];
          if (next !== undefined && single.includes(next)) i++;
          else break;
        }
      }
    } else if (c === '"') {
      for (i++; script[i] !== '"'; i++) {
        if (i >= script.length) return 'an unterminated "…" string';
        if (script[i] === "`") i++;
      }
    } else if (c === "`") {
      i++;
    } else if (c === "#") {
      while (i < script.length && script[i] !== "\n") i++;
    } else if ("({[".includes(c)) {
      stack.push(c);
    } else if (c in closing) {
      if (stack.pop() !== closing[c]) return `an unmatched ${c} at ${i}`;
    }
  }
  return stack.length ? `unclosed ${stack.join("")}` : undefined;
}

/** Writes an executable sh script. */
export function stub(dir: string, name: string, body: string): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** The local machine through sh, with `dir` first on PATH (for stand-in programs). */
export class PathShell implements Shell {
  readonly where = "the test machine";
  private readonly local = new LocalShell();

  constructor(private readonly dir: string) {}

  run(command: string, options?: RunOptions): Promise<ShellResult> {
    return this.local.run(`PATH=${shellQuote([this.dir])}:"$PATH"; export PATH; ${command}`, options);
  }
}

export function factsFor(over: Partial<TargetFacts> & { os: string }): TargetFacts {
  return {
    arch: "amd64",
    osPretty: over.os,
    home: "/home/ana",
    user: "ana",
    isRoot: false,
    init: "none",
    packageManager: "none",
    hasWgQuick: false,
    canSudo: true,
    ...over,
  };
}

/**
 * Calls every method of an adapter once, ignoring failures (a scripted shell may make some
 * refuse), so that the shell has seen every command the adapter can send.
 */
export async function exerciseAll(
  adapter: TargetAdapter,
  shell: Shell,
  layout: AgentLayout,
  facts: TargetFacts,
  agentPath: string,
): Promise<void> {
  const attempts: Array<() => Promise<unknown>> = [
    () => adapter.home(shell, facts.user),
    () => adapter.ensureWireguard(shell, facts),
    () => adapter.installTunnelConfig(shell, "mp0", "[Interface]\nPrivateKey = x\n"),
    () => adapter.tunnelUp(shell, "mp0", undefined),
    () => adapter.tunnelUp(shell, "mp0", "wireguard-go"),
    () => adapter.tunnelIsUp(shell, "mp0"),
    () => adapter.tunnelConfigPresent(shell, "mp0"),
    () => adapter.removeTunnel(shell, "mp0"),
    () => adapter.uploadAgent(shell, layout, { path: agentPath, sha256: "ab".repeat(32), bytes: 3 }),
    () => adapter.writePrivateFile(shell, layout.secret, "secret\n"),
    () => adapter.installService(shell, layout, facts),
    () => adapter.startAgent(shell, layout, facts),
    () => adapter.stopAgent(shell, layout, facts),
    () => adapter.removeAgentFiles(shell, layout),
    () => adapter.missingAgentFiles(shell, layout),
  ];
  for (const attempt of attempts) await attempt().catch(() => undefined);
}
