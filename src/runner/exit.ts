// process.exit() in scenario code: the runner and worker threads replace process.exit with a
// function that reports its caller and throws this, so the run stops with a summary instead of the
// thread (or, in a worker process, the process) ending without a word.

/** What the scenario's call to process.exit() throws: it unwinds the caller; the run stops. */
export class ScenarioExitError extends Error {
  override name = 'ScenarioExitError';
  constructor(readonly code: unknown) {
    super(`the scenario called process.exit(${code === undefined ? '' : String(code)}): the run stops here (a scenario cannot end the runner's process)`);
  }
}
