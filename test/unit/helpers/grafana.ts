// grafana/loadlens-dashboard.json, read for its tests (unit: structure and names; integration:
// its queries against a real Prometheus). Not a test file itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DASHBOARD = join(__dirname, '..', '..', '..', 'grafana', 'loadlens-dashboard.json');

export interface Target { expr: string; datasource: { uid: string } }
export interface Panel { type: string; title: string; datasource?: { type: string; uid: string }; targets?: Target[]; gridPos: { h: number; w: number; x: number; y: number } }
export interface Variable { name: string; type: string; query: string | { query: string } }

export const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title: string; uid: string; panels: Panel[]; templating: { list: Variable[] } };

/** The PromQL of every panel target. */
export function panelQueries(): string[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** Query variables as [name, Grafana's label_values(SELECTOR, LABEL) query]. */
export function variableQueries(): Array<[string, string]> {
  return dashboard.templating.list.filter((v) => v.type === 'query').map((v) => [v.name, typeof v.query === 'string' ? v.query : v.query.query]);
}
