// "Run on cluster" from the editor: the loadlens.cluster.* settings and the secret from VS Code's
// SecretStorage become the run request's ClusterOptions. The NATS URL lives in settings.json
// (often committed), so it carries no credentials; the token or user:password lives in
// SecretStorage and is put into the URL only in the request sent to the runner over IPC.
// No vscode import: the extension passes the settings and the secret in, so this runs (and is
// tested) under plain Node.

import type { ClusterOptions } from '../protocol';
import { parseDuration } from '../engine/duration';

/**
 * The SecretStorage key of the credentials for one NATS server (the URL without credentials).
 * Keyed by server, so a workspace's settings that point natsUrl elsewhere never receive them.
 */
export function clusterSecretKey(natsUrl: string): string {
  return `loadlens.cluster.credentials ${displayUrl(natsUrl)}`;
}
export const SET_CREDENTIALS_COMMAND = 'loadlens.setClusterCredentials';
export const SET_CREDENTIALS_TITLE = 'Loadlens: Set Cluster Credentials';
export const DEFAULT_AGENTS = 2;
export const DEFAULT_AGENTS_TIMEOUT = '60s';

export interface ClusterSettings {
  /** As written in loadlens.cluster.natsUrl, trimmed; '' when unset. */
  natsUrl: string;
  agents: number;
  agentsTimeout: string;
}

/** A setting the user must fix, or a missing secret: the message names the setting or the command. */
export class ClusterSettingsError extends Error {
  override name = 'ClusterSettingsError';
  constructor(message: string, readonly fix: 'settings' | 'credentials') {
    super(message);
  }
}

export function clusterSettingsFrom(get: <T>(key: string) => T | undefined): ClusterSettings {
  const agents = get<number>('cluster.agents');
  return {
    natsUrl: (get<string>('cluster.natsUrl') ?? '').trim(),
    // Validated when a run starts (clusterOptions), so a bad value is an error naming the setting.
    agents: typeof agents === 'number' ? agents : DEFAULT_AGENTS,
    agentsTimeout: (get<string>('cluster.agentsTimeout') ?? '').trim() || DEFAULT_AGENTS_TIMEOUT,
  };
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not echoed: a malformed URL may still hold a secret.
    throw new ClusterSettingsError('loadlens.cluster.natsUrl is not a URL; expected e.g. nats://nats.example:4222', 'settings');
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
    throw new ClusterSettingsError(`loadlens.cluster.natsUrl: got "${url.protocol}//"; expected nats:// or tls:// (e.g. nats://nats.example:4222)`, 'settings');
  }
  return url;
}

/** True when the URL carries a token, user or password (which settings.json should not hold). */
export function urlHasCredentials(text: string): boolean {
  try {
    const url = new URL(text.trim());
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

/** The URL without its credentials, for messages and logs. */
export function displayUrl(text: string): string {
  try {
    const url = new URL(text.trim());
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
}

export const CREDENTIALS_IN_SETTINGS_WARNING =
  'loadlens.cluster.natsUrl holds credentials: settings.json keeps them in plain text (and it is often committed). ' +
  `Remove them from the URL and store them with "${SET_CREDENTIALS_TITLE}" (VS Code's secret storage).`;

/**
 * The URL with `secret` as its credentials: a token (`nats://TOKEN@host`), or `user:password`.
 * Encoded as URL userinfo; the runner decodes it (src/runner/cluster/nats.ts parseNatsUrl).
 */
export function withCredentials(natsUrl: string, secret: string): string {
  const url = parseUrl(natsUrl);
  const colon = secret.indexOf(':');
  url.username = encodeURIComponent(colon >= 0 ? secret.slice(0, colon) : secret);
  url.password = colon >= 0 ? encodeURIComponent(secret.slice(colon + 1)) : '';
  return url.toString().replace(/\/$/, '');
}

/**
 * The run request's cluster options, or a ClusterSettingsError saying what to fix. The secret
 * (SecretStorage) replaces any credentials written in the URL; without a secret, credentials in
 * the URL are used as given (the extension warns about them separately); with neither, the run is
 * refused: Loadlens's distributed runs require NATS authentication.
 */
export function clusterOptions(settings: ClusterSettings, secret: string | undefined): ClusterOptions {
  if (!settings.natsUrl) {
    throw new ClusterSettingsError('Set loadlens.cluster.natsUrl (e.g. nats://nats.example:4222) to run on a cluster', 'settings');
  }
  parseUrl(settings.natsUrl);
  if (!Number.isInteger(settings.agents) || settings.agents < 1) {
    throw new ClusterSettingsError(`loadlens.cluster.agents: got ${settings.agents}; expected a whole number >= 1`, 'settings');
  }
  let agentsTimeoutMs: number;
  try {
    agentsTimeoutMs = parseDuration(settings.agentsTimeout, 'loadlens.cluster.agentsTimeout');
  } catch (err) {
    throw new ClusterSettingsError((err as Error).message, 'settings');
  }
  const trimmed = secret?.trim();
  let nats: string;
  if (trimmed) nats = withCredentials(settings.natsUrl, trimmed);
  else if (urlHasCredentials(settings.natsUrl)) nats = settings.natsUrl;
  else {
    throw new ClusterSettingsError(
      `No credentials for ${displayUrl(settings.natsUrl)}: run "${SET_CREDENTIALS_TITLE}" to store the NATS token (or user:password) in VS Code's secret storage`,
      'credentials');
  }
  return { nats, agents: settings.agents, agentsTimeoutMs };
}

/** The secret parts of a NATS URL as they may appear in text (raw and percent-encoded). */
export function secretsOf(natsUrl: string): string[] {
  let url: URL;
  try {
    url = new URL(natsUrl);
  } catch {
    return [natsUrl];
  }
  const parts = new Set<string>();
  for (const encoded of [url.username, url.password]) {
    if (!encoded) continue;
    parts.add(encoded);
    try { parts.add(decodeURIComponent(encoded)); } catch { /* malformed escape: the raw form is enough */ }
  }
  return [...parts].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
}

/** Replaces every secret in `text` with `***` (longest first, so no part of one survives). */
export function redactor(secrets: string[]): (text: string) => string {
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of secrets) out = out.split(s).join('***');
    return out;
  };
}
