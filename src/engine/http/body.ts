// Request bodies beyond raw bytes and JSON: form-urlencoded (`form`) and multipart/form-data
// (`multipart`, with files made by `file()`, as k6's http.file).

import { randomBytes } from 'node:crypto';
import type { FileData, FormValue, MultipartValue } from '../types';

/** `a=1&b=x%20y`: the query string of `query`, and the body of `form` (both percent-encode alike). */
export function urlEncode(values: Record<string, FormValue>): string {
  let out = '';
  for (const k in values) {
    out += (out ? '&' : '') + encodeURIComponent(k) + '=' + encodeURIComponent(String(values[k]));
  }
  return out;
}

class File implements FileData {
  readonly __loadlensFile = true as const;
  constructor(
    readonly data: Uint8Array,
    readonly filename: string,
    readonly contentType: string,
  ) {}
}

/**
 * A file part for a `multipart` body (k6's `http.file(data, filename, contentType)`): `data` as a
 * string (UTF-8) or bytes (a Buffer, a typed array), `filename` (default 'file'), `contentType` (default application/octet-stream).
 */
export function file(data: string | ArrayBufferView, filename = 'file', contentType = 'application/octet-stream'): FileData {
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) throw new TypeError('file(data): data must be a string or bytes (a Buffer, a Uint8Array)');
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return new File(bytes as unknown as Uint8Array, String(filename), String(contentType));
}

function isFile(v: unknown): v is FileData {
  return typeof v === 'object' && v !== null && (v as FileData).__loadlensFile === true;
}

/** A quoted name or filename in a Content-Disposition header (quotes and line breaks escaped, as browsers do). */
function quoted(s: string): string {
  return '"' + s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A') + '"';
}

/** The body and content type of a multipart/form-data request; a field given an array is sent once per element. */
export function encodeMultipart(parts: Record<string, MultipartValue | MultipartValue[]>): { body: Buffer; contentType: string } {
  const boundary = `----loadlens${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const name in parts) {
    const v = parts[name];
    for (const value of Array.isArray(v) ? v : [v]) {
      if (isFile(value)) {
        chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name=${quoted(name)}; filename=${quoted(value.filename)}\r\ncontent-type: ${value.contentType}\r\n\r\n`));
        chunks.push(Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength), Buffer.from('\r\n'));
      } else {
        chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name=${quoted(name)}\r\n\r\n${String(value)}\r\n`));
      }
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks as unknown as Uint8Array[]), contentType: `multipart/form-data; boundary=${boundary}` };
}
