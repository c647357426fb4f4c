// Imported first by the runner: starts esbuild's service process at once, so it boots while the
// engine's modules load and the run request arrives, instead of after (start-up time, issue 4).
import { transform } from 'esbuild';

transform('').catch(() => undefined);
