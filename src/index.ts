// The `loadlens` module a scenario file imports: `import { scenario, check, sleep } from 'loadlens'`.
// In the runner, the bundled scenario's 'loadlens' import resolves to this very module instance
// (src/runner/bundle.ts), so check() and custom metrics record into the running scenario.

export { scenario, check, sleep, group, url, file, Counter, Gauge, Rate, Trend, api } from './engine/api';
export { csv, json } from './engine/data';
export type { DataRows, CsvOptions } from './engine/data';
export type {
  Duration,
  Tags,
  ExpectedStatuses,
  Stage,
  LoadShape,
  ThresholdSpec,
  SetupContext,
  VuInfo,
  IterationContext,
  ScenarioOptions,
  ScenarioDefinition,
  HttpOptions,
  TlsOptions,
  Pem,
  HttpCookieJar,
  CookieOptions,
  RequestOptions,
  FileData,
  FormValue,
  MultipartValue,
  RequestTimings,
  HttpResponse,
  HttpClient,
  UrlTemplate,
  RequestUrl,
} from './engine/types';
