// Series-cardinality bench: 200 requests/s for BENCH_SECONDS, each to one of BENCH_URLS distinct
// paths (/items/0 … /items/N-1, in turn). BENCH_MODE: 'distinct' (each path its own `name`, the
// default naming), 'template' (http.url: every path tagged `/items/${}`), 'single' (one path).
import { scenario, url } from 'loadlens';

const mode = process.env.BENCH_MODE ?? 'distinct';
const urls = Number(process.env.BENCH_URLS ?? 1000);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);

export const manyUrls = scenario({
  target: 'http://127.0.0.1:8080',
  load: { rate: 200, duration: `${seconds}s`, maxVUs: 200 },
  async iteration({ http, vu }) {
    const id = vu.iterationInScenario % urls;
    if (mode === 'single') await http.get('/items/0');
    else if (mode === 'template') await http.get(url`/items/${id}`);
    else await http.get(`/items/${id}`);
  },
});
