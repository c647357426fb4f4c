// Picks the executor for a normalised load shape.

import type { NormalLoad } from '../load';
import type { ExecContext, Executor } from './vu';
import { OpenExecutor } from './open';
import { ConstantVusExecutor, PerVuIterationsExecutor, RampingVusExecutor, SharedIterationsExecutor } from './closed';

export type { ExecContext, Executor } from './vu';

export function createExecutor(x: ExecContext, load: NormalLoad): Executor {
  switch (load.kind) {
    case 'constant-vus':
      return new ConstantVusExecutor(x, load);
    case 'shared-iterations':
      return new SharedIterationsExecutor(x, load);
    case 'per-vu-iterations':
      return new PerVuIterationsExecutor(x, load);
    case 'ramping-vus':
      return new RampingVusExecutor(x, load);
    case 'arrival-rate':
      return new OpenExecutor(x, load);
  }
}
