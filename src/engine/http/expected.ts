// expectedStatuses (k6's http.expectedStatuses): which response statuses are not failures. They
// decide http_req_failed and the expected_response tag; the default is 200-399, as in k6.

import { OptionsError, describeValue } from '../errors';

/** Whether a status is expected; null stands for the default, 200-399 (no call on the hot path). */
export type StatusPredicate = ((status: number) => boolean) | null;

const ALLOWED = 'an array of statuses and { min, max } ranges, e.g. [200, 201, { min: 300, max: 399 }]';

function isStatus(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599;
}

/** Checks `spec` (throws OptionsError naming `field`) and compiles it; undefined → the default. */
export function expectedStatusesOf(spec: unknown, field: string): StatusPredicate {
  if (spec === undefined) return null;
  if (!Array.isArray(spec) || spec.length === 0) throw new OptionsError(field, spec, ALLOWED);
  const single = new Set<number>();
  const ranges: Array<[number, number]> = [];
  for (const item of spec as unknown[]) {
    if (isStatus(item)) single.add(item);
    else if (item !== null && typeof item === 'object' && isStatus((item as { min?: unknown }).min) && isStatus((item as { max?: unknown }).max) && (item as { min: number }).min <= (item as { max: number }).max) {
      ranges.push([(item as { min: number }).min, (item as { max: number }).max]);
    } else {
      throw new OptionsError(field, spec, `${ALLOWED} (statuses 100-599; ${describeValue(item)} is not one)`);
    }
  }
  return (status) => {
    if (single.has(status)) return true;
    for (const [min, max] of ranges) if (status >= min && status <= max) return true;
    return false;
  };
}

/** Whether `status` is expected by `p` (a status 0, no response, never is). */
export function isExpected(p: StatusPredicate, status: number): boolean {
  return p === null ? status >= 200 && status < 400 : status !== 0 && p(status);
}
