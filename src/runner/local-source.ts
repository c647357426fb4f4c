// The in-process load source: the engine runs the scenario in the runner process itself.

import { runScenario } from '../engine/run';
import { WorkerSource } from './workers';
import { httpClientFromEnv } from './env';
import { httpDebugSink } from './console';
import { ClusterSource } from './cluster/coordinator-source';
import type { ClusterOptions } from '../protocol';
import type { LoadSource, SourceEvents, SourceResult, SourceRunOptions } from './source';

export class InProcessSource implements LoadSource {
  private readonly controller = new AbortController();

  async run(o: SourceRunOptions, events: SourceEvents): Promise<SourceResult> {
    const result = await runScenario({
      name: o.name,
      file: o.file,
      def: o.definition,
      load: o.load,
      env: o.env,
      concurrent: o.concurrent,
      httpClient: httpClientFromEnv(),
      httpDebug: httpDebugSink(o.httpDebug),
      signal: this.controller.signal,
      onStarted: (plan, startedAt) => events.started(plan, startedAt),
      onInterval: (interval) => events.interval(interval),
      onIterationError: (err, count) => events.iterationError(err, count),
      onTeardownError: (err) => events.teardownError(err),
      onUnawaitedSleep: (stack) => events.unawaitedSleep(stack),
    });
    if (result.interrupted > 0) {
      events.log('warn', `${result.interrupted} iteration(s) still running after gracefulStop were interrupted`);
    }
    return { durationMs: result.durationMs };
  }

  cancel(): void {
    this.controller.abort();
  }
}

/**
 * The source for a run: in process for one worker. Worker processes (`--workers N` > 1) plug in
 * here (src/runner/workers.ts) with the same LoadSource contract.
 */
export function createLoadSource(workers: number, cluster?: ClusterOptions): LoadSource {
  if (cluster) return new ClusterSource(cluster);
  return workers > 1 ? new WorkerSource(workers) : new InProcessSource();
}
