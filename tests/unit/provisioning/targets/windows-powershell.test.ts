import {
  decodePowerShell,
  encodePowerShell,
  MAX_COMMAND_LINE,
  outputLines,
  powershellCommand,
  PRELUDE,
  psArray,
  psQuote,
  scriptOf,
} from "../../../../provisioning/targets/windows-powershell";
import { psProblem } from "./checks";

describe("PowerShell -EncodedCommand", () => {
  test("is base64 of UTF-16LE (the example from PowerShell's help: dir → ZABpAHIA)", () => {
    expect(encodePowerShell("dir")).toBe("ZABpAHIA");
    expect(encodePowerShell('dir "c:\\program files" ')).toBe(
      Buffer.from('dir "c:\\program files" ', "utf16le").toString("base64"),
    );
  });

  test("round-trips any script: quotes, $, newlines, non-ASCII and surrogate pairs", () => {
    const script = `Write-Output 'o''brien' "$env:USERNAME" \`n\r\n€ é 日本 😀 \u2019 % ^ & | < >`;
    expect(decodePowerShell(encodePowerShell(script))).toBe(script);
    const line = powershellCommand(script);
    expect(scriptOf(line)).toBe(script);
    expect(decodePowerShell(line.split(" ").pop()!)).toBe(PRELUDE + script);
  });

  test("the command line has nothing cmd.exe or PowerShell would interpret", () => {
    const line = powershellCommand(`Remove-Item -LiteralPath 'C:\\a & b' ; "%PATH%" ^ | > $(calc)`);
    expect(line).toMatch(/^powershell -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/]+={0,2}$/);
  });

  test("every script stops on the first error, shows no progress and writes UTF-8 where it can", () => {
    expect(PRELUDE).toBe(
      [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        "try { [Console]::OutputEncoding = [Text.UTF8Encoding]::new($false) } catch { }",
        "",
      ].join("\n"),
    );
    expect(psProblem(PRELUDE)).toBeUndefined();
  });

  test("a script too long for cmd.exe's command line is a programming error, not a truncated command", () => {
    expect(() => powershellCommand("x".repeat(2800))).not.toThrow();
    expect(powershellCommand("x".repeat(2800)).length).toBeLessThanOrEqual(MAX_COMMAND_LINE);
    expect(() => powershellCommand("x".repeat(3100))).toThrow(/over cmd.exe's 8191 — pass its data on stdin/);
  });

  test("scriptOf is undefined for anything else", () => {
    expect(scriptOf("cmd /c ver")).toBeUndefined();
  });
});

describe("psQuote", () => {
  test("single-quotes, doubling every quote PowerShell would end the string at", () => {
    expect(psQuote("C:\\Users\\ana")).toBe("'C:\\Users\\ana'");
    expect(psQuote("o'brien")).toBe("'o''brien'");
    expect(psQuote("o\u2019brien \u2018x\u201A\u201B")).toBe(
      "'o\u2019\u2019brien \u2018\u2018x\u201A\u201A\u201B\u201B'",
    );
    expect(psQuote('$env:X "y" `z $(calc)')).toBe("'$env:X \"y\" `z $(calc)'");
    expect(psQuote("")).toBe("''");
    expect(() => psQuote("a\0b")).toThrow(/NUL/);
  });

  test("whatever the value, the result is one balanced string", () => {
    for (const value of ["'", "''", "\u2019'", "a'b\u2018c", "}{)(", "#", '"', "`"]) {
      expect([value, psProblem(`$x = ${psQuote(value)}`)]).toEqual([value, undefined]);
    }
    expect(psArray(["a", "o'b"])).toBe("@('a', 'o''b')");
  });

  test("outputLines drops \\r and blank lines", () => {
    expect(outputLines("present\r\n\r\n")).toEqual(["present"]);
    expect(outputLines(" C:\\a\r\nC:\\b \r\n")).toEqual(["C:\\a", "C:\\b"]);
  });
});
