// Built-in metric names (k6's, so k6 users feel at home), with their kind and unit. Import the
// constants instead of writing the strings, so nobody misspells them.

import type { MetricKind, MetricSummary } from '../types';

/** End-to-end request latency; in the open model measured from when the iteration was due. */
export const HTTP_REQ_DURATION = 'http_req_duration';
/** Request latency from the actual send (sending + waiting + receiving). */
export const HTTP_REQ_SERVICE_DURATION = 'http_req_service_duration';
export const HTTP_REQ_BLOCKED = 'http_req_blocked';
export const HTTP_REQ_CONNECTING = 'http_req_connecting';
export const HTTP_REQ_TLS_HANDSHAKING = 'http_req_tls_handshaking';
export const HTTP_REQ_SENDING = 'http_req_sending';
export const HTTP_REQ_WAITING = 'http_req_waiting';
export const HTTP_REQ_RECEIVING = 'http_req_receiving';
export const ITERATION_DURATION = 'iteration_duration';
/** How late an open-model iteration started after its due time. */
export const ITERATION_LAG = 'iteration_lag';
export const HTTP_REQS = 'http_reqs';
export const ITERATIONS = 'iterations';
export const DROPPED_ITERATIONS = 'dropped_iterations';
export const DATA_SENT = 'data_sent';
export const DATA_RECEIVED = 'data_received';
export const HTTP_REQ_FAILED = 'http_req_failed';
/**
 * Requests sent a second time because the server had closed the idle keep-alive connection they
 * went out on (idempotent methods only, once each): normal server behaviour, not failures.
 */
export const HTTP_REQ_RETRIES = 'http_req_retries';
export const CHECKS = 'checks';
/** The time spent in each group() (tagged with the group's path). */
export const GROUP_DURATION = 'group_duration';
export const VUS = 'vus';
/**
 * The load generator's own health, one value per process per second: the longest event-loop
 * delay of the process running the VUs (ms), and its CPU use (percent of one core). High values
 * mean Loadlens itself limited the test (see src/engine/health.ts).
 */
export const GENERATOR_EVENT_LOOP_DELAY = 'generator_event_loop_delay';
export const GENERATOR_CPU = 'generator_cpu';
export const VUS_MAX = 'vus_max';

/** The tag the `checks` rate series carries: `{ check: '<name>' }`. */
export const CHECK_TAG = 'check';
/** System tags on every sample: the scenario's export name, and the group path ('::a::b', '' at the top). */
export const SCENARIO_TAG = 'scenario';
export const GROUP_TAG = 'group';
/** On HTTP samples: 'true' when the status is one of the expected ones (expectedStatuses) and the request did not fail. */
export const EXPECTED_RESPONSE_TAG = 'expected_response';

/** Tags Loadlens itself puts on samples (k6's system tags): a threshold may filter on any of them. */
export const SYSTEM_TAGS: readonly string[] = [SCENARIO_TAG, GROUP_TAG, 'name', 'method', 'status', EXPECTED_RESPONSE_TAG, CHECK_TAG];

export interface MetricInfo {
  kind: MetricKind;
  contains: MetricSummary['contains'];
}

/** Kind and unit of every built-in metric. */
export const BUILTIN_METRICS: Readonly<Record<string, MetricInfo>> = Object.freeze({
  [HTTP_REQ_DURATION]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_SERVICE_DURATION]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_BLOCKED]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_CONNECTING]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_TLS_HANDSHAKING]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_SENDING]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_WAITING]: { kind: 'trend', contains: 'time' },
  [HTTP_REQ_RECEIVING]: { kind: 'trend', contains: 'time' },
  [ITERATION_DURATION]: { kind: 'trend', contains: 'time' },
  [ITERATION_LAG]: { kind: 'trend', contains: 'time' },
  [HTTP_REQS]: { kind: 'counter', contains: 'default' },
  [ITERATIONS]: { kind: 'counter', contains: 'default' },
  [DROPPED_ITERATIONS]: { kind: 'counter', contains: 'default' },
  [DATA_SENT]: { kind: 'counter', contains: 'data' },
  [DATA_RECEIVED]: { kind: 'counter', contains: 'data' },
  [HTTP_REQ_FAILED]: { kind: 'rate', contains: 'default' },
  [HTTP_REQ_RETRIES]: { kind: 'counter', contains: 'default' },
  [CHECKS]: { kind: 'rate', contains: 'default' },
  [GROUP_DURATION]: { kind: 'trend', contains: 'time' },
  [VUS]: { kind: 'gauge', contains: 'default' },
  [GENERATOR_EVENT_LOOP_DELAY]: { kind: 'trend', contains: 'time' },
  [GENERATOR_CPU]: { kind: 'trend', contains: 'default' },
  [VUS_MAX]: { kind: 'gauge', contains: 'default' },
});

/** The request phase trends, in the order a request goes through them. */
export const HTTP_PHASE_METRICS = [
  HTTP_REQ_BLOCKED,
  HTTP_REQ_CONNECTING,
  HTTP_REQ_TLS_HANDSHAKING,
  HTTP_REQ_SENDING,
  HTTP_REQ_WAITING,
  HTTP_REQ_RECEIVING,
] as const;

/** Kind and unit of a metric: built-in, or a custom one of the given kind (custom trends are unitless). */
export function metricInfo(name: string, kind?: MetricKind): MetricInfo | undefined {
  return BUILTIN_METRICS[name] ?? (kind ? { kind, contains: 'default' } : undefined);
}
