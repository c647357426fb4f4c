// The URL-template tag: http.get(url`/items/${id}`) requests /items/42 and tags it
// name=/items/${} (k6's http.url form), so one endpoint is one set of series whatever the id.

import type { UrlTemplate } from '../types';

/** A URL built by `url`: what to request and the `name` tag it is recorded under. */
class TemplatedUrl implements UrlTemplate {
  constructor(
    readonly url: string,
    readonly name: string,
  ) {}

  toString(): string {
    return this.url;
  }
}

/**
 * Tags a request by its URL template instead of its path: `url\`/items/${id}\`` requests
 * `/items/42` and names it `/items/${}` (each interpolation becomes `${}`, as k6's http.url).
 * Values are inserted as written (String(value), not encoded). A `name` in the request's tags
 * still wins.
 */
export function url(strings: TemplateStringsArray, ...values: unknown[]): UrlTemplate {
  let full = strings[0];
  let name = strings[0];
  for (let i = 0; i < values.length; i++) {
    full += String(values[i]) + strings[i + 1];
    name += '${}' + strings[i + 1];
  }
  return new TemplatedUrl(full, name);
}

/** A UrlTemplate (from `url`, possibly another engine instance's) rather than a string. */
export function isUrlTemplate(u: unknown): u is UrlTemplate {
  return typeof u === 'object' && u !== null && typeof (u as UrlTemplate).url === 'string' && typeof (u as UrlTemplate).name === 'string';
}
