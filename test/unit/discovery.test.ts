// Static scenario discovery on fixtures: what the lenses and the Test Explorer show depends on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverScenarios, describeLoad } from '../../src/discovery';
import { planOf } from '../../src/engine/load';

const basic = `import { scenario, check, sleep } from 'loadlens';

export const browse = scenario({
  target: 'http://127.0.0.1:8080',
  load: { rate: 200, duration: '30s', maxVUs: 500 },  // open model
  thresholds: {
    http_req_duration: ['p(99) < 250', 'p(95) < 100'],
    http_req_failed: ['rate < 0.01'],
    checks: ['rate > 0.99'],
  },
  async setup(ctx) { return { token: 'x' }; },
  async iteration({ http, data, vu }) {
    const res = await http.get('/api/items', { tags: { name: 'items' } });
    check(res, { 'status is 200': (r) => r.status === 200 });
    await sleep('100ms');
  },
});

export const checkout = scenario({
  load: { vus: 10, duration: '1m' },
  iteration: async ({ http }) => { await http.post('/checkout', { json: { a: 1 } }); },
});
`;

test('finds each exported scenario with its name, line, load shape and threshold lines', () => {
  const { scenarios, problems } = discoverScenarios(basic);
  assert.deepEqual(problems, []);
  assert.deepEqual(scenarios.map((s) => s.name), ['browse', 'checkout']);
  const [browse, checkout] = scenarios;
  assert.equal(browse.span.start.line, 2);
  assert.equal(browse.span.end.line, 16);
  assert.deepEqual(browse.nameSpan, { start: { line: 2, character: 13 }, end: { line: 2, character: 19 } });
  assert.equal(browse.loadText, "{rate: 200, duration: '30s', maxVUs: 500}");
  assert.equal(browse.shape, '200 it/s for 30s (max 500 VUs)');
  assert.deepEqual(
    browse.thresholds.map((t) => [t.metric, t.expression, t.span.start.line, t.span.start.character]),
    [
      ['http_req_duration', 'p(99) < 250', 6, 24],
      ['http_req_duration', 'p(95) < 100', 6, 39],
      ['http_req_failed', 'rate < 0.01', 7, 22],
      ['checks', 'rate > 0.99', 8, 13],
    ],
  );
  assert.equal(checkout.span.start.line, 18);
  assert.equal(checkout.shape, '10 VUs for 1m');
  assert.deepEqual(checkout.thresholds, []);
});

test('odd formatting: call split over lines, comments, strings and regexes with braces, type arguments', () => {
  const text = `/* export const commented = scenario({}) */
// export const alsoCommented = scenario({ load: { vus: 1, duration: '1s' } })
const notExported = scenario({ load: { vus: 1, duration: '1s' }, iteration() {} });
const helper = { text: "export const fake = scenario({", re: /[}{]\\/scenario\\(/g };
const tpl = \`\${'}'} export const inTemplate = scenario({ \${ { a: '{' }.a } })\`;
export
  const
    spaced
      :
        ScenarioDefinition<{ token: string }>
          =
    loadlens.scenario<{ token: string }>
    (
      {
        // load: { vus: 99, duration: '9s' },
        load: {
          stages: [ { to: 50, over: '30s' }, { to: 0, over: '10s' } ],
          by: 'rate', maxVUs: 100,
        } as const,
        thresholds: {
          'http_req_duration{name:items}': [
            { threshold: "p(95) < 200", abortOnFail: true },
            'max < 1000' /* , 'ignored < 1' */,
          ],
          iterations: 'count > 10',
          [computed]: ['p(50) < 1'],
          dynamic: [\`p(99) < \${limit}\`],
        },
        async iteration({ http }) { if (a / b > 1) { return; } },
      }
    ), second = scenario({ load: { vus: 2, iterations: 10 } });
export { notExported, notExported as renamed };
export default scenario({ load: { rate: 5, timeUnit: '1m', duration: 600, maxVUs: 10 } });
`;
  const { scenarios, problems } = discoverScenarios(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(scenarios.map((s) => s.name), ['spaced', 'second', 'notExported', 'renamed', 'default']);
  const spaced = scenarios[0];
  assert.equal(spaced.span.start.line, 5);
  assert.equal(spaced.nameSpan.start.line, 7);
  assert.equal(spaced.shape, '0 → 50 → 0 it/s over 40s (max 100 VUs)');
  assert.deepEqual(
    spaced.thresholds.map((t) => [t.metric, t.expression, t.span.start.line]),
    [
      ['http_req_duration{name:items}', 'p(95) < 200', 21],
      ['http_req_duration{name:items}', 'max < 1000', 22],
      ['iterations', 'count > 10', 24],
    ],
  );
  assert.equal(scenarios[1].shape, '10 iterations shared by 2 VUs (max 10m)');
  assert.equal(scenarios[2].shape, '1 VU for 1s');
  assert.equal(scenarios[3].span.start.line, 2);
  assert.equal(scenarios[4].shape, '5 it/1m for 10m (max 10 VUs)');
});

test('a load that is not a literal keeps its text but has no shape', () => {
  const { scenarios } = discoverScenarios(`export const a = scenario({ load: { vus: VUS, duration: D }, iteration() {} });`);
  assert.equal(scenarios[0].loadText, '{vus: VUS, duration: D}');
  assert.equal(scenarios[0].shape, null);
});

test('syntax errors: returns what it can and reports problems with positions', () => {
  const text = `export const good = scenario({
  load: { vus: 1, duration: '5s' },
  thresholds: { checks: ['rate > 0.9'] },
});

export const broken = scenario({
  load: { vus: 2, duration: '5s' },
  thresholds: { http_req_duration: ['p(99) < 100'] },
  iteration() {
    const s = 'unterminated;
  },
`;
  const { scenarios, problems } = discoverScenarios(text);
  assert.deepEqual(scenarios.map((s) => s.name), ['good', 'broken']);
  assert.equal(scenarios[1].shape, '2 VUs for 5s');
  assert.deepEqual(scenarios[1].thresholds.map((t) => t.span.start.line), [7]);
  assert.ok(problems.some((p) => p.message === 'Unterminated string literal' && p.span.start.line === 9), JSON.stringify(problems));
  assert.ok(problems.some((p) => /never closed/.test(p.message) && p.span.start.line === 5), JSON.stringify(problems));
});

test('unterminated comment and template are problems, not exceptions', () => {
  for (const text of ['export const a = scenario({ load: {} }); /* open', 'export const a = `x${', '}}}) export const']) {
    const r = discoverScenarios(text);
    assert.ok(r.problems.length > 0, text);
  }
  assert.equal(discoverScenarios('export const a = scenario({ load: {} }); /* open').scenarios[0].name, 'a');
});

test('files without scenarios: plain exports and calls of other functions are not scenarios', () => {
  const text = `export const x = 1;\nexport const y = notScenario({ load: {} });\nexport function scenario2() {}\nscenario({});\n`;
  assert.deepEqual(discoverScenarios(text), { scenarios: [], problems: [] });
  assert.deepEqual(discoverScenarios(''), { scenarios: [], problems: [] });
});

test('describeLoad covers each shape, in the words of the plan the engine runs', () => {
  const shapes = [
    [{ vus: 1, duration: '10s' }, '1 VU for 10s'],
    [{ stages: [{ to: 5, over: '1s' }], by: 'vus' }, 'VUs 1 → 5 over 1s'],
    [{ vus: 10, iterationsPerVU: 20 }, '20 iterations per VU × 10 VUs = 200 (max 10m)'],
    [{ rate: 100, duration: '1m', maxVUs: 10 }, '100 it/s for 1m (max 10 VUs)'],
  ] as const;
  for (const [load, text] of shapes) {
    assert.equal(describeLoad(load), text);
    // Static discovery (lens, Test Explorer) and the run's plan (`loadlens list`, the live panel) agree.
    assert.equal(discoverScenarios(`export const s = scenario({ load: ${JSON.stringify(load)} });`).scenarios[0].shape, planOf('s', { load } as never).shape);
  }
  assert.equal(describeLoad('x'), null);
  // A shape the engine would refuse (no maxVUs on an open model) describes nothing.
  assert.equal(describeLoad({ rate: 5, duration: '1m' }), null);
});
