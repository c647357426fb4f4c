// grafana/loadlens-dashboard.json: importable (valid JSON, a templated Prometheus datasource and
// testid), and its queries use only the metric names and labels `--out prometheus` emits. Its
// queries also run against a real Prometheus in test/integration/prometheus.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinExportedNames } from '../../src/runner/prometheus';
import { dashboard, panelQueries, variableQueries } from './helpers/grafana';

test('the dashboard is importable: a title, a uid, a datasource variable every query uses, testid and scenario variables', () => {
  assert.equal(dashboard.title, 'Loadlens');
  assert.ok(dashboard.uid);
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assert.equal(vars.get('datasource')?.type, 'datasource');
  assert.equal(vars.get('datasource')?.query, 'prometheus');
  assert.equal(vars.get('testid')?.type, 'query');
  assert.equal(vars.get('scenario')?.type, 'query');
  const withData = dashboard.panels.filter((p) => p.type !== 'row');
  assert.ok(withData.length >= 10);
  for (const p of withData) {
    assert.equal(p.datasource?.uid, '${datasource}', p.title);
    assert.ok(p.targets && p.targets.length > 0, p.title);
    for (const t of p.targets) {
      assert.equal(t.datasource.uid, '${datasource}', p.title);
      assert.match(t.expr, /testid=~"\$testid"/, `${p.title}: every query is of the chosen run`);
    }
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the grid`);
  }
});

test('the dashboard queries only metric names and labels that --out prometheus emits', () => {
  const names = new Set(builtinExportedNames());
  const labels = new Set(['testid', 'scenario', 'name', 'method', 'status', 'check', 'result', 'kind']);
  for (const expr of [...panelQueries(), ...variableQueries().map(([, q]) => q)]) {
    const used = expr.match(/\bloadlens_[a-z0-9_]+/g) ?? [];
    assert.ok(used.length > 0, expr);
    for (const n of used) assert.ok(names.has(n), `${n} in ${expr} is not emitted`);
    for (const [, group] of expr.matchAll(/\bby \(([^)]*)\)/g)) for (const l of group.split(',')) assert.ok(labels.has(l.trim()), `label ${l} in ${expr}`);
    for (const [, l] of expr.matchAll(/[{,]\s*([a-z_]+)\s*=~?/g)) assert.ok(labels.has(l), `label ${l} in ${expr}`);
    for (const [, l] of expr.matchAll(/label_values\([^,]+,\s*([a-z_]+)\)/g)) assert.ok(labels.has(l), `label ${l} in ${expr}`);
  }
});
