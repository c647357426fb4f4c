// A distributed run's agents in words, shared by the CLI's live line and the VS Code panel.

import type { AgentCounts } from './types';

/** e.g. 'agents 2/2 joined, 2 running, 0 lost' ('⚠ 1 lost' once one is lost). */
export function agentsText(a: AgentCounts): string {
  return `agents ${a.joined}/${a.planned} joined, ${a.running} running${a.lost > 0 ? `, ⚠ ${a.lost} lost` : ', 0 lost'}`;
}
