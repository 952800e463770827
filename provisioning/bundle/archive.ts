import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { createGunzip, gzipSync } from "node:zlib";
import { UserError } from "../../common/errors";

/** A small file of the archive, with its mode (0600 for secrets, 0700 for what runs). */
export interface SmallEntry {
  name: string;
  mode: number;
  data: Buffer;
}

/** The agent: its gzip (the one push sends, cached per build) and what it must unpack to. */
export interface AgentEntry {
  name: string;
  bytes: number;
  sha256: string;
  openGzip(): NodeJS.ReadableStream;
}

const BLOCK = 512;

/**
 * Writes `<folder>/…` as a .tar.gz at `path` (created 0600: it holds the private key).
 * The agent goes last, and its cached gzip is copied in as a gzip member of its own: a
 * .tar.gz may be several gzip members back to back (RFC 1952; GNU tar, bsdtar and
 * Windows' tar read them as one stream), so 110 MB are not compressed again per bundle.
 * The copy is unpacked and hashed on the way: an archive whose agent is not the one in
 * SHA256SUMS is never left behind. Returns the archive's size.
 */
export async function writeBundleArchive(
  path: string,
  folder: string,
  entries: readonly SmallEntry[],
  agent: AgentEntry,
  mtime: number = Math.floor(Date.now() / 1000),
): Promise<number> {
  const head = [header(`${folder}/`, 0, 0o700, mtime, "5")];
  for (const e of entries)
    head.push(header(`${folder}/${e.name}`, e.data.length, e.mode, mtime, "0"), pad(e.data));
  head.push(header(`${folder}/${agent.name}`, agent.bytes, 0o700, mtime, "0"));
  const tail = Buffer.concat([
    Buffer.alloc((BLOCK - (agent.bytes % BLOCK)) % BLOCK),
    Buffer.alloc(2 * BLOCK),
  ]);

  const out = createWriteStream(path, { mode: 0o600, flags: "wx" });
  const failed = once(out, "error").then(([error]) => Promise.reject(error as Error));
  failed.catch(() => undefined);
  let size = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    size += chunk.length;
    if (!out.write(chunk)) await Promise.race([once(out, "drain"), failed]);
  };
  await write(gzipSync(Buffer.concat(head), { level: 6 }));
  const check = hashUnzipped(() => agent.openGzip());
  check.catch(() => undefined); // awaited below; a read error must not be an unhandled rejection meanwhile
  for await (const chunk of agent.openGzip() as AsyncIterable<Buffer>) await write(chunk);
  await write(gzipSync(tail));
  out.end();
  await Promise.race([once(out, "finish"), failed]);
  const unzipped = await check;
  if (unzipped.sha256 !== agent.sha256 || unzipped.bytes !== agent.bytes)
    throw new UserError(
      `the agent's cached gzip does not unpack to the executable in SHA256SUMS (${unzipped.bytes} bytes, ${unzipped.sha256.slice(0, 12)}…) — run npm run build:agent again`,
    );
  return size;
}

async function hashUnzipped(open: () => NodeJS.ReadableStream): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of open().pipe(createGunzip()) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

/** A ustar header: numeric owner 0/0 with no names, so extraction gives the files to whoever unpacks them. */
function header(name: string, size: number, mode: number, mtime: number, type: "0" | "5"): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`a bundle path is too long for tar: ${name}`);
  const h = Buffer.alloc(BLOCK);
  const octal = (value: number, width: number): string => value.toString(8).padStart(width - 1, "0") + "\0";
  h.write(name, 0, 100, "utf8");
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(mtime, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(type, 156, "ascii");
  h.write("ustar\0" + "00", 257, "ascii");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}
