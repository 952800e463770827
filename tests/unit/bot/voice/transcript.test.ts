import { commandFromTranscript, SPOKEN_COMMANDS } from "../../../../bot/voice/transcript";

const table = ["help", "add-pc", "audit"];

describe("spoken commands", () => {
  test.each([
    ["help", "!help"],
    ["Help.", "!help"],
    [" HEALTH! ", "!health"],
    ["Health?", "!health"],
    ["help add pc", "!help add pc"],
    ["Add PC web2 via SSH.", "!add-pc web2 via SSH"],
    ["add-pc web2", "!add-pc web2"],
    ["Audit web2.", "!audit web2"],
    ["Revoke web2.", "!revoke web2"],
    ["!help", "!help"],
  ])("%j → %j", (spoken, text) => {
    expect(commandFromTranscript(spoken, table)).toBe(text);
  });

  test.each(["What is filling the disk?", "helpful people say hi", "please help", ""])(
    "%j is not a command and stays as spoken",
    (spoken) => {
      expect(commandFromTranscript(spoken, table)).toBe(spoken.trim());
    },
  );

  test("a command the table gains later is recognised by its name", () => {
    expect(commandFromTranscript("Reboot web2.", [...table, "reboot"])).toBe("!reboot web2");
    expect(commandFromTranscript("Reboot web2.", table)).toBe("Reboot web2.");
  });

  test("the product's commands are known before their handlers exist", () => {
    expect(SPOKEN_COMMANDS).toEqual(
      expect.arrayContaining(["health", "revoke", "devices", "help", "add-pc"]),
    );
  });
});
