// The engine's shared vocabulary: the scenario API a user writes against, the metric records
// that cross process boundaries, and the summary a run ends with. No runtime code here.

/**
 * A duration as users write it: '30s', '2m', '250ms', '1h30m', '1.5s', or a bare number of
 * seconds (`5` or `'5'` is five seconds, as in k6: write '250ms' for milliseconds).
 */
export type Duration = string | number;

export type Tags = Record<string, string>;

/** Statuses, or inclusive ranges of them, that are not failures: `[200, 201, { min: 300, max: 399 }]`. */
export type ExpectedStatuses = ReadonlyArray<number | { min: number; max: number }>;

// ---------------------------------------------------------------------------------------------
// Scenario API (design.md §2)

export interface Stage {
  /** Target VU count (by: 'vus') or iterations started per second (by: 'rate') at the stage's end. */
  to: number;
  /** How long the stage lasts: '30s', or a number of seconds. */
  over: Duration;
}

/**
 * How much load: every duration in it (duration, maxDuration, gracefulStop, timeUnit, a stage's
 * over) is '30s', '2m', '250ms'... or a number of seconds.
 */
export type LoadShape =
  | { vus: number; duration: Duration; gracefulStop?: Duration }
  | { vus: number; iterations: number; maxDuration?: Duration; gracefulStop?: Duration }
  /** k6's per-vu-iterations: each of `vus` VUs runs exactly `iterationsPerVU` iterations (maxDuration caps it, default 10m). */
  | { vus: number; iterationsPerVU: number; maxDuration?: Duration; gracefulStop?: Duration }
  | { stages: Stage[]; by: 'vus'; startVUs?: number; gracefulStop?: Duration }
  | {
      rate: number;
      duration: Duration;
      maxVUs: number;
      /** Per this duration (default '1s'): rate 100 with timeUnit '1m' is 100 per minute. */
      timeUnit?: Duration;
      /** What to do with a due iteration when all maxVUs are busy: 'queue' (default) or 'drop'. */
      whenBusy?: 'queue' | 'drop';
      gracefulStop?: Duration;
      /** VUs created, and connections to the target opened, before the schedule starts (not measured); default: enough for 100 ms of latency at the peak rate, at most maxVUs. */
      preAllocatedVUs?: number;
    }
  | {
      stages: Stage[];
      by: 'rate';
      maxVUs: number;
      startRate?: number;
      timeUnit?: Duration;
      whenBusy?: 'queue' | 'drop';
      gracefulStop?: Duration;
      preAllocatedVUs?: number;
    };

export type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: Duration };

export interface SetupContext {
  http: HttpClient;
  env: Record<string, string>;
}

export interface VuInfo {
  /** 1-based VU id, unique within the run (and across workers). */
  id: number;
  /** 0-based iteration number of this VU. */
  iteration: number;
  /** 0-based iteration number within the scenario (the global index for open models). */
  iterationInScenario: number;
}

export interface IterationContext<D = unknown> {
  http: HttpClient;
  data: D;
  vu: VuInfo;
  env: Record<string, string>;
}

export interface ScenarioOptions<D = unknown> {
  /** Base URL that relative request URLs resolve against. */
  target?: string;
  load: LoadShape;
  thresholds?: Record<string, ThresholdSpec[] | ThresholdSpec>;
  tags?: Tags;
  setup?(ctx: SetupContext): D | Promise<D>;
  iteration(ctx: IterationContext<D>): void | Promise<void>;
  teardown?(ctx: SetupContext & { data: D }): void | Promise<void>;
  /** HTTP options for this scenario. */
  http?: HttpOptions;
  /**
   * In a workload mix (every scenario of a file running together), how long after the run's
   * start this scenario starts: '30s', or a number of seconds (default 0), as k6's startTime.
   */
  startTime?: Duration;
  /** TLS for this scenario's https requests: a custom CA, a client certificate. */
  tls?: TlsOptions;
}

/** PEM text (a string or bytes, e.g. `readFileSync('ca.pem')`). */
export type Pem = string | ArrayBufferView;

export interface TlsOptions {
  /** Certificate authorities to trust instead of the system's (PEM; several in one string or an array). */
  ca?: Pem | Pem[];
  /** A client certificate (PEM, with its chain), sent when a server asks for one; needs `key`. */
  cert?: Pem;
  /** The client certificate's private key (PEM). */
  key?: Pem;
  /** The key's passphrase, if it is encrypted. */
  passphrase?: string;
  /** Accept any server certificate (same as `http.insecureSkipTLSVerify`; default false). */
  insecureSkipTLSVerify?: boolean;
}

/** What `scenario()` returns: the options plus a brand the runner uses to find exports. */
export interface ScenarioDefinition<D = unknown> extends ScenarioOptions<D> {
  readonly __loadlensScenario: true;
}

export interface HttpOptions {
  /** Cap connections per origin; when set, waiting for a connection counts as latency. */
  connections?: number;
  /**
   * Limit on each whole request (connect, send, response head and whole body), counted from the
   * send: '60s' (the default), '500ms', or a number of seconds. Exceeded: `error: 'ETIMEDOUT'`.
   */
  timeout?: Duration;
  /**
   * The VU's cookie jar: 'per-iteration' (the default, as k6: every iteration starts with an empty
   * jar; `true` is the same), 'per-vu' (kept across a VU's iterations, like one browser per VU) or
   * false (cookies servers set are not kept; those set with `http.jar` are still sent).
   */
  cookies?: boolean | 'per-iteration' | 'per-vu';
  /** Accept any TLS certificate, e.g. a self-signed one on a staging server (default false). */
  insecureSkipTLSVerify?: boolean;
  /**
   * Offer HTTP/2 to https targets (default true, as browsers and k6): a server that picks it in the
   * TLS handshake gets multiplexed connections (up to 100 requests each); false keeps HTTP/1.1.
   */
  http2?: boolean;
  /**
   * Keep at most this many bytes of each response body for `text()` / `json()` (default 10 MiB,
   * 10485760). Bytes past the cap are still received and counted in `data_received`, then dropped;
   * the response says `bodyTruncated: true` and `json()` throws.
   */
  maxResponseBodyBytes?: number;
  /**
   * Keep no response bodies at all (k6's `discardResponseBodies`): bodies are received and
   * counted, `bodySize` says how large they were, `text()` and `json()` throw. A request can
   * override it with `discardResponseBody: false` (default false).
   */
  discardResponseBodies?: boolean;
  /** The statuses that are not failures, as k6's http.setResponseCallback(http.expectedStatuses(...)): default 200-399. */
  expectedStatuses?: ExpectedStatuses;
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A form or query value. */
export type FormValue = string | number | boolean;

/** A file part of a `multipart` body, made by `file(data, filename?, contentType?)`. */
export interface FileData {
  readonly __loadlensFile: true;
  readonly data: Uint8Array;
  readonly filename: string;
  readonly contentType: string;
}

/** A `multipart` field: a value, or a file from `file()`. */
export type MultipartValue = FormValue | FileData;

export interface RequestOptions {
  headers?: Record<string, string>;
  query?: Record<string, FormValue>;
  /** A JSON body (content-type application/json unless `headers` set one). */
  json?: unknown;
  body?: string | Uint8Array;
  /** An application/x-www-form-urlencoded body: `form: { user: 'a', pass: 'b' }`. */
  form?: Record<string, FormValue>;
  /**
   * A multipart/form-data body: fields and files (`file(data, 'a.png', 'image/png')`); an array
   * sends the field once per element. The content-type with its boundary is set for you.
   */
  multipart?: Record<string, MultipartValue | MultipartValue[]>;
  /** Limit on this whole request, counted from its send (not an inactivity limit): '5s', '500ms', or a number of seconds (default: the scenario's `http.timeout`, 60 s); exceeded: `error: 'ETIMEDOUT'`. */
  timeout?: Duration;
  tags?: Tags;
  /**
   * Maximum redirects to follow (default 10; 0 returns the 3xx response). A chain longer than
   * this ends as a failed request: the last 3xx with `error: 'EREDIRECTS'`.
   */
  redirects?: number;
  /**
   * Drop this response's body as it streams (true) or keep it (false), overriding the scenario's
   * `http.discardResponseBodies` (k6's `responseType: 'none'`). Kept bodies are capped at
   * `http.maxResponseBodyBytes`.
   */
  discardResponseBody?: boolean;
  /**
   * The statuses that are not failures for this request (default: the scenario's
   * `http.expectedStatuses`, else 200-399), e.g. `[404]` for a lookup that may miss. They decide
   * `http_req_failed` and the `expected_response` tag.
   */
  expectedStatuses?: ExpectedStatuses;
}

export interface RequestTimings {
  /** All in milliseconds (fractional). */
  blocked: number;
  connecting: number;
  tls: number;
  sending: number;
  waiting: number;
  receiving: number;
  /** sending + waiting + receiving, as k6's http_req_duration (from actual send). */
  duration: number;
}

export interface HttpResponse {
  /** 0 when the request failed at the network level; see `error`. */
  status: number;
  headers: Record<string, string>;
  url: string;
  timings: RequestTimings;
  /** Why the request failed, one of the engine's kinds (HttpErrorKind), e.g. 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EREDIRECTS'. */
  error?: string;
  /** Body bytes received (all of them, whether kept, truncated or discarded). */
  bodySize: number;
  /** The body was longer than `http.maxResponseBodyBytes`: `text()` is its first bytes, `json()` throws. */
  bodyTruncated: boolean;
  /** The body was not kept (`discardResponseBodies` / `discardResponseBody`): `text()` and `json()` throw. */
  bodyDiscarded: boolean;
  /** The body as UTF-8 (only the first `maxResponseBodyBytes` when `bodyTruncated`); throws when discarded. */
  text(): string;
  /** The body parsed as JSON; throws when the body was truncated or discarded. */
  json<T = any>(): T;
}

/**
 * A URL with the `name` tag to record it under, made by the `url` template tag:
 * `url\`/items/${id}\`` is { url: '/items/42', name: '/items/${}' }.
 */
export interface UrlTemplate {
  readonly url: string;
  readonly name: string;
}

/** What a request is sent to: a URL (named by its path), or a UrlTemplate (named by its template). */
export type RequestUrl = string | UrlTemplate;

/** Options of a cookie set with `http.jar.set` (as a Set-Cookie header's attributes). */
export interface CookieOptions {
  /** Also sent to subdomains of this domain (default: only the URL's host). */
  domain?: string;
  /** Default '/'. */
  path?: string;
  /** Seconds until it expires. */
  maxAge?: number;
  expires?: Date | string;
  /** Only sent over https. */
  secure?: boolean;
}

/** The VU's cookie jar (`http.jar`), as a browser keeps them: set by responses and by you. */
export interface HttpCookieJar {
  /** Stores a cookie as if a response from `url` (absolute, or relative to the target) had set it. */
  set(url: string, name: string, value: string, options?: CookieOptions): void;
  /** The cookies a request to `url` would send, name → value. */
  get(url: string): Record<string, string>;
  /** Forgets every cookie, or with `url` the ones a request to it would send. */
  clear(url?: string): void;
}

export interface HttpClient {
  /** The VU's cookie jar (emptied at each iteration's start unless `http.cookies` is 'per-vu'). */
  readonly jar: HttpCookieJar;
  get(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
  head(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
  del(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
  post(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
  put(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
  patch(url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
  request(method: string, url: RequestUrl, opts?: RequestOptions): Promise<HttpResponse>;
}

// ---------------------------------------------------------------------------------------------
// Metrics

export type MetricKind = 'trend' | 'counter' | 'rate' | 'gauge';

/**
 * Where executors, the HTTP client, checks and custom metrics record. Trend values are
 * integer microseconds (custom Trend values are recorded as value * 1000).
 */
export interface MetricSink {
  trend(metric: string, tags: Tags, micros: number): void;
  count(metric: string, tags: Tags, n: number): void;
  rate(metric: string, tags: Tags, pass: boolean): void;
  gauge(metric: string, tags: Tags, value: number): void;
}

/**
 * The unit of a custom metric declared with isTime (`new Trend('x', true)`): 'time' (ms). Absent
 * for built-ins (their unit is in BUILTIN_METRICS) and for plain-number custom metrics.
 */
export interface SeriesUnit {
  contains?: MetricSummary['contains'];
}

/** One metric + tag set within one interval, encoded to cross process and machine boundaries. */
export type EncodedSeries =
  | ({ kind: 'trend'; metric: string; tags: Tags; /** hdr encodeIntoCompressedBase64, microseconds */ hist: string } & SeriesUnit)
  | ({ kind: 'counter'; metric: string; tags: Tags; value: number } & SeriesUnit)
  | { kind: 'rate'; metric: string; tags: Tags; passes: number; fails: number }
  | ({ kind: 'gauge'; metric: string; tags: Tags; value: number; min: number; max: number } & SeriesUnit);

/** Everything measured in one one-second interval by one process (or merged from many). */
export interface IntervalData {
  /** 0-based second since the run's start. */
  index: number;
  /** Milliseconds since the run's start. */
  startMs: number;
  endMs: number;
  series: EncodedSeries[];
  /** Active VUs at the interval's end, and the number of VUs created so far. */
  vus: number;
  vusMax: number;
  /**
   * The fewest and most VUs active at any moment within the interval (the vus gauge's min and
   * max: a run shorter than a second ends with 0 active, yet its VUs ran). Absent: `vus`.
   */
  vusMin?: number;
  vusPeak?: number;
  /** Open model scheduler accounting within the interval. */
  iterationsDue: number;
  iterationsStarted: number;
  iterationsDropped: number;
  /** Due iterations still waiting for a free VU at the interval's end. */
  backlog: number;
  /** Network errors and iteration exceptions by kind within the interval. */
  errors: Record<string, number>;
  /** Set in the interval in which the first metric reached its series limit (see SeriesLimitNote). */
  seriesLimit?: SeriesLimitNote;
  /** HTTP requests in flight at the interval's end (absent in records from before it existed: 0). */
  inFlight?: number;
  /**
   * At the interval's end, how long no request had finished while requests were in flight (ms;
   * 0 when none was in flight): the live "no response for 5 s" warning.
   */
  noResponseMs?: number;
  /** The run's last interval only: what the end of the run left unfinished (absent: nothing). */
  unfinished?: UnfinishedWork;
}

/** What the end of a run (gracefulStop expired, cancel, abortOnFail) left unfinished. */
export interface UnfinishedWork {
  /**
   * Requests in flight when the run ended: each recorded as failed (EINTERRUPTED) in http_reqs
   * and http_req_failed, its time so far in http_req_duration (and the phases) as a lower bound.
   */
  requests: number;
  /** The longest any of them had waited (ms, as http_req_duration: from the due time in the open model). */
  oldestMs: number;
  /**
   * Open model: iterations due but never started when the load ended (no free VU); counted in
   * dropped_iterations, as k6 does.
   */
  queuedIterations: number;
}

/** A metric reached the per-process series limit (MAX_SERIES_PER_METRIC): further tag sets fold into one series. */
export interface SeriesLimitNote {
  metric: string;
  limit: number;
  /** The tag with the most distinct values among the metric's series. */
  tag: string;
  /** Its distinct values among the kept series. */
  distinct: number;
  /** Its busiest values so far, with how many values were recorded under each (most first). */
  top: Array<[string, number]>;
}

/** Small, display-ready numbers for live views (terminal line, panel, status bar). */
export interface LiveStats {
  elapsedMs: number;
  plannedMs: number;
  vus: number;
  vusMax: number;
  /** Of the last interval. */
  rps: number;
  errorsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Running totals. */
  requests: number;
  errors: number;
  iterations: number;
  dropped: number;
  backlog: number;
  /** Current iteration lag p99 in ms (open model). */
  lagP99: number;
  checks: CheckSummary[];
  thresholds: ThresholdVerdict[];
  errorsByKind: Record<string, number>;
  /** HTTP requests in flight at the last interval's end (absent in older records: 0). */
  inFlight?: number;
  /** How long no request had finished while requests were in flight (ms; 0: none in flight). */
  noResponseMs?: number;
  /** A distributed run's agents (absent: a local run). */
  agents?: AgentCounts;
}

/** A distributed run, in its summary: its agents and how far apart they started. */
export interface ClusterSummary {
  agents: number;
  /** Per agent that reported it (by segment), how late its load started after the agreed start
   *  instant, ms, measured on its own monotonic clock; max over them. */
  startSkewMs: { max: number; bySegment: Array<{ segment: string; host: string; ms: number }> };
  /** Segments not run to their end: lost (no heartbeat) or stopped (the agent got SIGTERM). */
  lost: string[];
  stopped: string[];
}

/** A distributed run's agents: how many joined (of `planned`), are still running, were lost. */
export interface AgentCounts {
  planned: number;
  joined: number;
  running: number;
  lost: number;
  /** The execution segments ('from:to') of the lost agents, when the coordinator names them, e.g. '1/2:1'. */
  lostSegments?: string[];
}

// ---------------------------------------------------------------------------------------------
// Thresholds and summary

export interface ThresholdVerdict {
  /** The key as written, e.g. 'http_req_duration{name:items}'. */
  metric: string;
  /** The expression as written, e.g. 'p(95) < 200'. */
  expression: string;
  ok: boolean;
  /** The observed value of the aggregation (ms for time trends), null when there was no data. */
  observed: number | null;
  /** The unit of `observed` (the metric's): 'time' (ms), 'data' (bytes) or 'default' (a plain number). */
  contains?: MetricSummary['contains'];
  /** The metric's kind when known (a counter's `rate` is per second, a Rate's a ratio). */
  kind?: MetricKind;
  abortOnFail: boolean;
}

export interface CheckSummary {
  name: string;
  passes: number;
  fails: number;
}

/** k6-compatible summary values of one metric. */
export interface MetricSummary {
  type: MetricKind;
  /** 'time' for millisecond trends, 'data' for bytes, 'default' otherwise. */
  contains: 'time' | 'data' | 'default';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

/** The summary data of one scenario run: laid out as k6's handleSummary data. */
export interface SummaryData {
  scenario: string;
  /** The totals of a workload mix: the scenarios that ran together (`scenario` is then 'total'). */
  mix?: string[];
  file: string;
  model: 'open' | 'closed';
  state: {
    testRunDurationMs: number;
    /** 'completed', 'cancelled', 'aborted' (abortOnFail) or 'incomplete' (a worker died). */
    status: 'completed' | 'cancelled' | 'aborted' | 'incomplete';
  };
  metrics: Record<string, MetricSummary>;
  thresholds: ThresholdVerdict[];
  checks: CheckSummary[];
  errorsByKind: Record<string, number>;
  /** The latency distribution of http_req_duration: [percentile, ms] pairs for a percentile curve. */
  latencyCurve: Array<[number, number]>;
  /** Notes shown under the summary (e.g. that closed-model latency hides queueing). */
  notes: string[];
  /** What the end of the run left unfinished (absent: nothing, or a summary from before it existed). */
  unfinished?: UnfinishedWork;
  /** A distributed run's agents (absent: a local run). */
  cluster?: ClusterSummary;
}

/** CLI and editor overrides of a scenario's load (--vus, --duration, --rate, --iterations). */
export interface LoadOverrides {
  vus?: number;
  duration?: string;
  rate?: number;
  iterations?: number;
}

/** A description of a scenario's planned load, for lists, lenses and live views. */
export interface PlanInfo {
  scenario: string;
  model: 'open' | 'closed';
  /** Human summary (describeLoad), e.g. '200 it/s for 30s (max 500 VUs)'. */
  shape: string;
  plannedMs: number;
  /** Peak VUs (closed) or maxVUs (open). */
  maxVUs: number;
}
