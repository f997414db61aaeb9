import { InputError } from '@skelflow/base';

/** One member of a ZIP archive, located but not yet read. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated. */
  readonly name: string;
  /** Compression method (0 = stored; the only one `torch.save` writes). */
  readonly method: number;
  /** Uncompressed size in bytes. */
  readonly size: number;
  /** Stored size in bytes. */
  readonly compressedSize: number;
  /** CRC-32 of the uncompressed data. */
  readonly crc32: number;
  /** Offset of the local file header. */
  readonly headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u64(view: DataView, at: number, source: string): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  const v = hi * 2 ** 32 + lo;
  if (!Number.isSafeInteger(v)) throw new InputError('ZIP64 size beyond 2^53 bytes', { source, location: `byte ${at}` });
  return v;
}

/**
 * Lists the members of a ZIP archive (with ZIP64 records, as PyTorch writes for large files) from
 * its central directory. Reads nothing but the directory; member data come from {@link zipEntryData}.
 *
 * @throws InputError when the bytes are not a ZIP archive or its directory is truncated.
 */
export function readZipDirectory(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new InputError('not a ZIP archive (no end-of-central-directory record)', { source });
  let count = view.getUint16(eocd + 10, true);
  let dirOffset = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || dirOffset === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const z64 = u64(view, eocd - 12, source);
    if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== ZIP64_EOCD) {
      throw new InputError('broken ZIP64 end-of-central-directory record', { source, location: `byte ${z64}` });
    }
    count = u64(view, z64 + 32, source);
    dirOffset = u64(view, z64 + 48, source);
  }
  const entries = new Map<string, ZipEntry>();
  let p = dirOffset;
  const decoder = new TextDecoder('utf-8');
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL) {
      throw new InputError(`ZIP central directory truncated at entry ${n}`, { source, location: `byte ${p}` });
    }
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let headerOffset = view.getUint32(p + 42, true);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: the fields that overflowed, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(view, q, source)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(view, q, source)), (q += 8);
        if (headerOffset === 0xffffffff) headerOffset = u64(view, q, source);
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, size, compressedSize, crc32, headerOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as ZIP uses). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The bytes of one stored (uncompressed) member, a view into `bytes` (no copy), checked against
 * its CRC-32. `torch.save` never compresses; a deflated member (an archive re-zipped by hand) is
 * refused with an error saying so rather than read wrongly.
 *
 * @throws InputError for a compressed member, a truncated archive or a CRC mismatch.
 */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, source: string): Uint8Array {
  const location = entry.name;
  if (entry.method !== 0) {
    throw new InputError(
      `compressed ZIP member (method ${entry.method}${entry.method === 8 ? ', deflate' : ''}): torch.save writes uncompressed archives; re-save it with torch.save (or 'zip -0')`,
      { source, location },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = entry.headerOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== LOCAL) throw new InputError('ZIP local header missing', { source, location });
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + entry.size;
  if (end > bytes.length) throw new InputError(`ZIP member truncated (${entry.size} bytes expected)`, { source, location });
  const data = bytes.subarray(start, end);
  if (crc32(data) !== entry.crc32) throw new InputError('ZIP member corrupt (CRC-32 mismatch)', { source, location });
  return data;
}
