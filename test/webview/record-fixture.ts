// Records a real runner run into test/fixtures/recorded-run.jsonl: every FromRunner message the
// extension would forward to the panel, in order. Re-record after a protocol change:
//   npm run build && node --import tsx test/webview/record-fixture.ts
// The scenario runs against the loopback test target: mostly fast answers, some 500s and some
// reset connections, so errors by kind, checks and a failing threshold are all in the recording.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunnerProcess } from '../../src/runner/client';
import type { FromRunner } from '../../src/protocol';
import { startTarget } from '../servers/target';
import { RECORDED_RUN } from './fixture';

async function main(): Promise<void> {
  const target = await startTarget();
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-record-'));
  const file = join(dir, 'recorded.load.ts');
  writeFileSync(file, `import { scenario, check } from 'loadlens';

export const recorded = scenario({
  target: '${target.url}',
  load: { rate: 60, duration: '6s', maxVUs: 20 },
  thresholds: {
    http_req_duration: ['p(99) < 1000', 'p(50) < 0.01'],
    http_req_failed: ['rate < 0.5'],
    checks: ['rate > 0.5'],
  },
  async iteration({ http, vu }) {
    const n = vu.iterationInScenario;
    const path = n % 20 === 7 ? '/reset' : n % 10 === 3 ? '/status/500' : n % 3 === 0 ? '/slow?ms=15' : '/fast';
    const res = await http.get(path, { tags: { name: path.split('?')[0] } });
    check(res, { 'status is 200': (r) => r.status === 200 });
  },
});
`);
  const runner = new RunnerProcess({ runnerPath: resolve(__dirname, '..', '..', 'dist', 'runner.js'), output: 'pipe' });
  const messages: FromRunner[] = [];
  runner.onMessage((m) => messages.push(m));
  runner.run({ file, scenarios: ['recorded'] });
  const exit = await runner.exited;
  await target.close();
  rmSync(dir, { recursive: true, force: true });
  // The temp path means nothing later: keep the file name only.
  const text = messages.map((m) => JSON.stringify(m).split(dir).join('/workspace')).join('\n') + '\n';
  writeFileSync(RECORDED_RUN, text);
  const kinds = messages.reduce<Record<string, number>>((acc, m) => ({ ...acc, [m.type]: (acc[m.type] ?? 0) + 1 }), {});
  console.log(`recorded ${messages.length} messages (${JSON.stringify(kinds)}), runner exit ${exit.code}, to ${RECORDED_RUN}`);
}

main().catch((err) => { console.error(err); process.exit(1); });
