// Test helper: a minimal 8-bit PNG encoder (zlib from Node, CRC-32 by hand), so rendered crops can
// be written and looked at without an image dependency.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Encodes `[H, W, C]` values in [0, 1] (C = 1 grey or 3 RGB) as a PNG, each pixel repeated
 * `scale × scale` times.
 */
export function encodePng(pixels: ArrayLike<number>, height: number, width: number, channels: 1 | 3, scale = 1): Buffer {
  const H = height * scale;
  const W = width * scale;
  const raw = Buffer.alloc(H * (1 + W * channels));
  for (let y = 0; y < H; y++) {
    const row = y * (1 + W * channels);
    raw[row] = 0; // filter: none
    for (let x = 0; x < W; x++) {
      const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      for (let c = 0; c < channels; c++) raw[row + 1 + x * channels + c] = Math.round(255 * Math.min(1, Math.max(0, pixels[src + c])));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 3 ? 2 : 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Lays out `n` frames of `[H, W, C]` side by side into one `[H, W·n, C]` image. */
export function tileFrames(frames: Float32Array, n: number, height: number, width: number, channels: number): Float32Array {
  const out = new Float32Array(height * width * n * channels);
  for (let f = 0; f < n; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) {
          out[(y * width * n + f * width + x) * channels + c] = frames[((f * height + y) * width + x) * channels + c];
        }
      }
    }
  }
  return out;
}
