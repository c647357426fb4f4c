// Test hook: when LOADLENS_E2E_OUT names a file, the extension appends one JSON line per event
// (activation, run start and end with the numbers it showed, panel renders), so the end-to-end
// test can compare what the UI showed with what the runner measured. Off (and free) otherwise.

import { appendFileSync } from 'node:fs';

export const E2E_OUT_ENV = 'LOADLENS_E2E_OUT';

export function recordE2e(event: string, data: Record<string, unknown> = {}): void {
  const path = process.env[E2E_OUT_ENV];
  if (!path) return;
  try {
    appendFileSync(path, JSON.stringify({ event, at: Date.now(), ...data }) + '\n');
  } catch {
    // A test hook must never break the extension.
  }
}
