import { createInterface } from "node:readline";

/**
 * Forwards HTTP requests given as JSON lines on stdin to a base URL and writes each reply
 * as a JSON line on stdout. The lab's hosts live in network namespaces the test runner
 * cannot reach; this runs inside one (`ip netns exec hub node relay.js URL`) and carries
 * requests the caller has already signed, byte for byte — so tests can also send unsigned,
 * stale or replayed ones.
 *
 *   in:  {"id":1,"method":"GET","path":"/health","headers":{...},"body":""}
 *   out: {"id":1,"status":200,"body":"{...}"}   or   {"id":1,"error":"..."}
 */
interface RelayRequest {
  id: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const base = process.argv[2];
if (!base) {
  process.stderr.write("usage: relay.js BASE_URL\n");
  process.exit(2);
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const request = JSON.parse(line) as RelayRequest;
  forward(request).then(
    (reply) => process.stdout.write(`${JSON.stringify(reply)}\n`),
    (error: unknown) =>
      process.stdout.write(
        `${JSON.stringify({ id: request.id, error: error instanceof Error ? error.message : String(error) })}\n`,
      ),
  );
});

async function forward(request: RelayRequest): Promise<{ id: number; status: number; body: string }> {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(request.method === "GET" ? {} : { body: request.body }),
    // A redirect is handed back as it came, never followed with the signed request.
    redirect: "manual",
    signal: AbortSignal.timeout(180_000),
  });
  return { id: request.id, status: response.status, body: await response.text() };
}
