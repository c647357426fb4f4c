// The kinds of failed requests, in the engine's own words. Every HTTP client adapter (the lean
// HTTP/1.1 client, undici) maps its failures onto these; a response with `error` set carries one,
// `http_req_failed` counts it and the summary's "errors by kind" groups by it. No client's own
// error codes (UND_ERR_*, HPE_*) reach the user.

export const HttpErrorKind = {
  /** Nothing listens on the port: the connection was refused. */
  refused: 'ECONNREFUSED',
  /** The connection was reset or closed before the response was complete (no content-length to compare against). */
  reset: 'ECONNRESET',
  /**
   * The whole request (connecting, sending, the response head and its whole body) took longer
   * than its `timeout` (default 60 s), counted from the send: the moment the scenario sent it.
   */
  timeout: 'ETIMEDOUT',
  /** The host name did not resolve. */
  dns: 'ENOTFOUND',
  /** TLS: the server's certificate is not trusted (self-signed, unknown issuer, expired). */
  certificate: 'ECERT',
  /** TLS: the certificate does not name the host that was asked for. */
  certificateHost: 'ECERTHOST',
  /** TLS: the handshake failed for another reason (protocol, cipher, alert). */
  tls: 'ETLS',
  /** A malformed response: status line, header, chunked framing, or bytes that are no HTTP response. */
  badResponse: 'EBADRESPONSE',
  /** The response head is larger than the header size limit. */
  headersTooLarge: 'EHEADERSOVERFLOW',
  /** The connection closed before `content-length` body bytes arrived. */
  contentLength: 'ECONTENTLENGTH',
  /** `101 Switching Protocols`: upgrades (WebSocket, h2c) are not requests this client completes. */
  upgrade: 'EUPGRADE',
  /** The body's Content-Encoding (gzip, deflate, br) did not decode: corrupt or cut compressed data. The response keeps its status. */
  decode: 'EDECOMPRESS',
  /** More redirects than the request allowed (`redirects`, default 10). */
  redirects: 'EREDIRECTS',
  /**
   * The run ended (gracefulStop expired, cancel, abortOnFail) while the request was in flight:
   * it is counted as failed, and its duration (its time so far) is a lower bound.
   */
  interrupted: 'EINTERRUPTED',
  /** The request was made after the run had ended (an abandoned iteration): it was never sent, and is not recorded. */
  aborted: 'EABORTED',
  /** Anything else (the message is logged once). */
  unknown: 'EUNKNOWN',
} as const;

export type HttpErrorKind = (typeof HttpErrorKind)[keyof typeof HttpErrorKind];
