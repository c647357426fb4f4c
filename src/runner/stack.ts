// Maps a stack to the scenario's own lines. Bundled scenarios are compiled with their inline source
// map and Node's source-map support on (bundle.ts), so each frame already names the .load.ts and
// its line; these pick the scenario's frame and drop Loadlens's own. Used for iteration errors and
// for stacks the supervising host samples from a blocked runner thread (host.ts).

import type { SourceLocation } from '../protocol';

const FRAME = /\(?((?:[A-Za-z]:)?[^\s()]+?):(\d+):(\d+)\)?$/;

/** The first stack frame inside `file` (source-mapped, so in the .load.ts's own lines). */
export function locateInStack(stack: string | undefined, file: string): SourceLocation | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('at ')) continue;
    const m = FRAME.exec(trimmed);
    if (!m) continue;
    const frameFile = m[1].replace(/^file:\/\//, '');
    if (frameFile === file) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

/**
 * A user-facing stack: the frames of Loadlens's own bundle (`ownFile`) and of Node internals
 * are noise next to the scenario's frames, so they are left out.
 */
export function cleanStack(stack: string | undefined, ownFile: string = __filename): string | undefined {
  if (!stack) return stack;
  return stack
    .split('\n')
    .filter((line) => {
      const t = line.trim();
      return !(t.startsWith('at ') && (t.includes(ownFile) || t.includes('(node:internal/') || t.startsWith('at node:internal/')));
    })
    .join('\n');
}

