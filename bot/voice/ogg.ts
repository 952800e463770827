/**
 * Just enough of Ogg (RFC 3533) and Ogg Opus (RFC 7845) to measure a voice message
 * before it goes anywhere: the event's declared duration is the sender's word, the
 * granule position of the last page is the stream's own. Every page's CRC is checked,
 * so a truncated or corrupted upload is caught here and not by the STT service.
 */

export interface OggAudioInfo {
  codec: "opus" | "vorbis" | "flac" | "speex" | "unknown";
  channels?: number;
  /** Opus: the rate the encoder was fed (informational; Opus always decodes at 48 kHz). */
  inputSampleRate?: number;
  pages: number;
  /** Undefined when the codec's clock is not known here. */
  durationMs?: number;
}

export class OggError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OggError";
  }
}

const CAPTURE = 0x5367674f; // "OggS" read little-endian
const HEADER_BYTES = 27;

/** Parses every page of the first logical stream; throws OggError with the reason. */
export function inspectOgg(data: Uint8Array): OggAudioInfo {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  let pages = 0;
  let serial: number | undefined;
  let firstPacket: Buffer | undefined;
  let lastGranule = -1n;
  while (offset < bytes.length) {
    if (bytes.length - offset < HEADER_BYTES || bytes.readUInt32LE(offset) !== CAPTURE) {
      throw new OggError(pages === 0 ? "not an Ogg stream" : `garbage after page ${pages}`);
    }
    if (bytes[offset + 4] !== 0) throw new OggError(`page ${pages + 1} has an unknown Ogg version`);
    const segments = bytes[offset + 26]!;
    const tableEnd = offset + HEADER_BYTES + segments;
    if (tableEnd > bytes.length) throw new OggError(`page ${pages + 1} is truncated`);
    let bodyLength = 0;
    for (let i = offset + HEADER_BYTES; i < tableEnd; i++) bodyLength += bytes[i]!;
    const end = tableEnd + bodyLength;
    if (end > bytes.length) throw new OggError(`page ${pages + 1} is truncated`);
    const page = bytes.subarray(offset, end);
    if (page.readUInt32LE(22) !== oggCrc(page)) throw new OggError(`page ${pages + 1} fails its CRC`);
    const pageSerial = page.readUInt32LE(14);
    serial ??= pageSerial;
    if (pageSerial === serial) {
      if (pages === 0) firstPacket = page.subarray(HEADER_BYTES + segments);
      const granule = page.readBigInt64LE(6);
      if (granule >= 0n) lastGranule = granule; // -1: no packet ends on this page
      pages++;
    }
    offset = end;
  }
  if (!firstPacket) throw new OggError("empty file");
  return describeStream(firstPacket, pages, lastGranule);
}

function describeStream(head: Buffer, pages: number, lastGranule: bigint): OggAudioInfo {
  if (head.subarray(0, 8).toString("latin1") === "OpusHead") {
    if (head.length < 19) throw new OggError("OpusHead is too short");
    const preSkip = head.readUInt16LE(10);
    const samples = lastGranule - BigInt(preSkip);
    return {
      codec: "opus",
      channels: head[9]!,
      inputSampleRate: head.readUInt32LE(12),
      pages,
      // Opus granule positions always count 48 kHz samples (RFC 7845 §4).
      durationMs: samples > 0n ? Number((samples * 1000n) / 48_000n) : 0,
    };
  }
  if (head.subarray(0, 7).toString("latin1") === "\x01vorbis" && head.length >= 16) {
    const rate = head.readUInt32LE(12);
    return {
      codec: "vorbis",
      channels: head[11]!,
      pages,
      durationMs: rate > 0 && lastGranule > 0n ? Number((lastGranule * 1000n) / BigInt(rate)) : undefined,
    };
  }
  if (head.subarray(1, 5).toString("latin1") === "FLAC") return { codec: "flac", pages };
  if (head.subarray(0, 8).toString("latin1") === "Speex   ") return { codec: "speex", pages };
  return { codec: "unknown", pages };
}

let crcTable: Uint32Array | undefined;

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial 0, over the page with its CRC field zeroed. */
export function oggCrc(page: Uint8Array): number {
  crcTable ??= buildCrcTable();
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : page[i]!;
    crc = ((crc << 8) ^ crcTable[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  }
  return crc;
}

function buildCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
}
