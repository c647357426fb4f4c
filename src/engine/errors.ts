// Errors the engine throws for bad user input. The runner maps them to protocol error kinds and
// exit codes: OptionsError → 'options' (ExitCode.badOptions), ScenarioSetupError → 'setup'.

/** Renders a user's value the way they would have written it, short enough for one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}

/**
 * A scenario option (load shape, threshold, duration...) is invalid. The message names the
 * field, the value and what is allowed, e.g.
 * `load.rate: got -5; expected a positive number of iterations per second`.
 */
export class OptionsError extends Error {
  override name = 'OptionsError';
  /** Path of the field as the user wrote it, e.g. 'load.rate' or 'thresholds["http_req_duration"][0]'. */
  readonly field: string;
  readonly value: unknown;
  /** What would have been accepted, as a phrase after "expected". */
  readonly allowed: string;

  constructor(field: string, value: unknown, allowed: string) {
    super(`${field}: got ${describeValue(value)}; expected ${allowed}`);
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/** The scenario's setup() threw or rejected: the run stops before any load. */
export class ScenarioSetupError extends Error {
  override name = 'ScenarioSetupError';
  /** The scenario's name, when known. */
  readonly scenario?: string;

  constructor(cause: unknown, scenario?: string) {
    const inner = cause instanceof Error ? cause.message : describeValue(cause);
    super(`${scenario ? `scenario "${scenario}": ` : ''}setup() threw: ${inner}`, { cause });
    this.scenario = scenario;
  }
}
