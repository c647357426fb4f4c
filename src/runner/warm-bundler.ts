// Started first by the hosts that bundle (thread.ts, main.ts for a debug run): esbuild's
// service process boots while the engine's modules load and the run request arrives, instead of
// after (start-up time, issue 4).
import { transform } from 'esbuild';

export function warmBundler(): void {
  transform('').catch(() => undefined);
}
