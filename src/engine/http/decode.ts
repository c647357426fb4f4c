// Response body decoding (Content-Encoding: gzip, deflate, br), done by the engine once a
// response is complete, so both clients (the lean one and undici, whose dispatch API does not
// decode) give the scenario the same decoded text() and json(). The wire bytes stay what
// bodySize and data_received count.

import { brotliDecompressSync, constants as Z, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** What a request offers unless the scenario sets its own accept-encoding (as browsers; see README "HTTP"). */
export const DEFAULT_ACCEPT_ENCODING = 'gzip, deflate, br';

export type Decoded =
  | { ok: true; body: Buffer; tooLarge: false }
  /** The decoded body would exceed `maxBytes`: not kept. */
  | { ok: true; body: null; tooLarge: true }
  | { ok: false; message: string };

/** The input type zlib's typings take (a Buffer is one; the typings of some @types/node versions disagree). */
function u8(b: Buffer): Uint8Array {
  return b as unknown as Uint8Array;
}

/** A zlib-wrapped deflate stream (RFC 1950 header: CM 8 and a header checksum); servers also send raw deflate. */
function isZlibWrapped(b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && ((b[0] << 8) | b[1]) % 31 === 0;
}

/**
 * Decodes `body` by the codings of a content-encoding header value (applied in order, so
 * undone last first). Unknown codings are left as they are (the body is returned undecoded);
 * `partial`: the body was cut at the cap, decode what there is without failing on its end.
 */
export function decodeBody(body: Buffer, contentEncoding: string, maxBytes: number, partial: boolean): Decoded {
  const codings = contentEncoding.toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity');
  let out = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    const c = codings[i];
    const flush = partial ? Z.Z_SYNC_FLUSH : Z.Z_FINISH;
    try {
      if (c === 'gzip' || c === 'x-gzip') out = gunzipSync(u8(out), { finishFlush: flush, maxOutputLength: maxBytes });
      else if (c === 'deflate') out = (isZlibWrapped(out) ? inflateSync : inflateRawSync)(u8(out), { finishFlush: flush, maxOutputLength: maxBytes });
      else if (c === 'br') out = brotliDecompressSync(u8(out), { finishFlush: partial ? Z.BROTLI_OPERATION_FLUSH : Z.BROTLI_OPERATION_FINISH, maxOutputLength: maxBytes });
      else return { ok: true, body: out, tooLarge: false };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ERR_BUFFER_TOO_LARGE') return { ok: true, body: null, tooLarge: true };
      return { ok: false, message: `the ${c}-encoded response body could not be decoded: ${e.message ?? String(err)}` };
    }
  }
  return { ok: true, body: out, tooLarge: false };
}
