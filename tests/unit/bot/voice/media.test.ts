import { downloadMedia, parseMxc } from "../../../../bot/voice/media";
import { deadUrl, json, localServer } from "./http-server";

const MXC = "mxc://example.org/AbCdEf";

describe("downloading media", () => {
  test("authenticated media first, with the token, from the mxc parts", async () => {
    const seen: Array<{ url?: string; auth?: string }> = [];
    const server = await localServer((req, _body, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.writeHead(200, { "content-type": "audio/ogg" });
      res.end("OggS...");
    });
    try {
      const data = await downloadMedia(
        { homeserverUrl: server.url, accessToken: "as-token", timeoutMs: 2000 },
        MXC,
        100,
      );
      expect(data.toString()).toBe("OggS...");
      expect(seen).toEqual([
        { url: "/_matrix/client/v1/media/download/example.org/AbCdEf", auth: "Bearer as-token" },
      ]);
    } finally {
      await server.close();
    }
  });

  test("falls back to the legacy endpoint only when the homeserver lacks the new one", async () => {
    const seen: string[] = [];
    const server = await localServer((req, _body, res) => {
      seen.push(req.url ?? "");
      if (req.url?.startsWith("/_matrix/client/v1/")) return json(res, 404, { errcode: "M_UNRECOGNIZED" });
      res.end("legacy bytes");
    });
    try {
      const data = await downloadMedia(
        { homeserverUrl: server.url, accessToken: "t", timeoutMs: 2000 },
        MXC,
        100,
      );
      expect(data.toString()).toBe("legacy bytes");
      expect(seen).toEqual([
        "/_matrix/client/v1/media/download/example.org/AbCdEf",
        "/_matrix/media/v3/download/example.org/AbCdEf",
      ]);
    } finally {
      await server.close();
    }
  });

  test("a missing file is not a reason to try the legacy endpoint", async () => {
    const seen: string[] = [];
    const server = await localServer((req, _body, res) => {
      seen.push(req.url ?? "");
      json(res, 404, { errcode: "M_NOT_FOUND", error: "Not found" });
    });
    try {
      await expect(
        downloadMedia({ homeserverUrl: server.url, accessToken: "t", timeoutMs: 2000 }, MXC, 100),
      ).rejects.toThrow("the homeserver would not give me the voice message (HTTP 404 M_NOT_FOUND)");
      expect(seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  test("the cap holds whether the size is announced or not", async () => {
    let chunked = false;
    const server = await localServer((_req, _body, res) => {
      if (chunked) {
        res.writeHead(200); // no content-length: chunked
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1024));
        res.end();
      } else {
        res.end(Buffer.alloc(5000));
      }
    });
    const source = { homeserverUrl: server.url, accessToken: "t", timeoutMs: 2000 };
    try {
      await expect(downloadMedia(source, MXC, 4096)).rejects.toThrow(
        "that voice message is 5 kB and the limit of 4 kB (stt.max_bytes)",
      );
      chunked = true;
      await expect(downloadMedia(source, MXC, 4096)).rejects.toThrow(
        "that voice message is larger than the limit of 4 kB (stt.max_bytes)",
      );
    } finally {
      await server.close();
    }
  });

  test("an unreachable homeserver and a bad URI are sentences", async () => {
    await expect(
      downloadMedia({ homeserverUrl: await deadUrl(), accessToken: "t", timeoutMs: 2000 }, MXC, 10),
    ).rejects.toThrow("could not download the voice message from the homeserver (ECONNREFUSED)");
    expect(() => parseMxc("https://example.org/x")).toThrow(/is not a media URI/);
    expect(parseMxc(MXC)).toEqual({ server: "example.org", mediaId: "AbCdEf" });
  });
});
