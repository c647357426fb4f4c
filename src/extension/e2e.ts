// Test hook: the extension tells a Recorder what it did (activation, run start and end with the
// numbers it showed, panel renders), so a test can compare what the UI showed with what the runner
// measured. The Recorder is injected: production gets `noRecorder`; activate() picks the file sink
// only for the code-server e2e suite (LOADLENS_E2E_OUT), and the plain-Node tests pass their own.

import { appendFileSync } from 'node:fs';

export const E2E_OUT_ENV = 'LOADLENS_E2E_OUT';

export type Recorder = (event: string, data?: Record<string, unknown>) => void;

export const noRecorder: Recorder = () => {};

/** Appends one JSON line per event to `path` (the e2e suite's contract). */
export function fileRecorder(path: string): Recorder {
  return (event, data = {}) => {
    try {
      appendFileSync(path, JSON.stringify({ event, at: Date.now(), ...data }) + '\n');
    } catch {
      // A test hook must never break the extension.
    }
  };
}
