// Test hook: the extension tells a Recorder what it did (activation, run start and end with the
// numbers it showed, panel renders), so a test can compare what the UI showed with what the runner
// measured. The Recorder is injected: the plain-Node tests pass their own; in VS Code, activate()
// passes `TestHooks.record` and returns `TestHooks.api` as the extension's exports, which the
// code-server e2e suite reads through a test-only extension (test/e2e/probe). No environment
// variable, no file: nothing happens unless another extension listens.

export type Recorder = (event: string, data?: Record<string, unknown>) => void;

export const noRecorder: Recorder = () => {};

/** One recorded event, as a listener receives it: its name, when (epoch ms), and its fields. */
export interface RecordedEvent { event: string; at: number; [field: string]: unknown }

/**
 * Loadlens's exports (`vscode.extensions.getExtension('loadlens.loadlens').exports`): the test-hook
 * API and nothing else. It only reports what the extension did (the events the e2e suites read:
 * what the user is shown, its figures and messages); no secrets (for cluster credentials only
 * whether some were stored, URLs as displayUrl shows them); and no way to change what the
 * extension does: each listener gets its own copy of each event.
 * Not a stable API for other extensions.
 */
export interface LoadlensApi {
  /**
   * Calls `listener` with each event. The events of activation (up to and including 'activated',
   * sent once the first discovery is done) are replayed to it first, so a listener that attaches
   * after activate() returns (the only time another extension can) misses none of them.
   */
  onDidRecord(listener: (event: RecordedEvent) => void): { dispose(): void };
}

/** Activation-time events kept for late listeners: bounded, so a huge workspace cannot grow it. */
const MAX_REPLAYED = 50;

export class TestHooks {
  private readonly listeners = new Set<(event: RecordedEvent) => void>();
  /** The events of activation, as JSON (each listener parses its own copy). */
  private readonly activation: string[] = [];
  private activating = true;

  readonly record: Recorder = (event, data = {}) => {
    // Nobody listens and activation is over: the usual production case costs nothing.
    if (!this.activating && this.listeners.size === 0) return;
    const json = JSON.stringify({ event, at: Date.now(), ...data });
    if (this.activating && this.activation.length < MAX_REPLAYED) this.activation.push(json);
    for (const listener of this.listeners) deliver(listener, json);
  };

  /** Activation is over ('activated' recorded): later events go only to the listeners attached then. */
  activationDone(): void {
    this.activating = false;
  }

  readonly api: LoadlensApi = Object.freeze({
    onDidRecord: (listener: (event: RecordedEvent) => void) => {
      for (const json of this.activation) deliver(listener, json);
      this.listeners.add(listener);
      return { dispose: () => { this.listeners.delete(listener); } };
    },
  });
}

function deliver(listener: (event: RecordedEvent) => void, json: string): void {
  try {
    listener(JSON.parse(json) as RecordedEvent);
  } catch {
    // A test hook must never break the extension.
  }
}
