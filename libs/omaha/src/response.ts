import { ErrorCode } from './codes.js';
import { attr, buildXml, child, children, parseXml, OmahaXmlError, type XmlNode } from './xml.js';

export interface ResponsePackage {
  name: string;
  /** SHA-1, base64 (update_engine ignores it). */
  hash: string;
  /** SHA-256, base64 (go-omaha's form). */
  hash_sha256?: string;
  size: number;
  required: boolean;
}

export interface ResponseAction {
  event: string;
  /** base64 SHA-256 of the whole payload, checked after download. */
  sha256?: string;
  /** Other attributes, written as given (DisablePayloadBackoff, IsDeltaPayload, needsadmin...). */
  extra?: Record<string, string>;
}

export interface ResponseUpdateCheck {
  status: string;
  urls?: string[];
  manifest?: { version: string; packages: ResponsePackage[]; actions: ResponseAction[] };
  extra?: Record<string, string>;
}

export interface ResponseApp {
  appid: string;
  status: string;
  /** Present when the request had a ping. */
  ping?: boolean;
  updatecheck?: ResponseUpdateCheck;
  /** One `<event status="ok">` per event in the request. */
  events?: number;
}

export interface OmahaResponse {
  server: string;
  daystartElapsedSeconds?: number;
  apps: ResponseApp[];
}

function updatecheckNode(check: ResponseUpdateCheck): XmlNode {
  const node: XmlNode = { '@status': check.status, ...prefixed(check.extra) };
  if (check.urls) node['urls'] = { url: check.urls.map((codebase) => ({ '@codebase': codebase })) };
  if (check.manifest) {
    node['manifest'] = {
      '@version': check.manifest.version,
      packages: {
        package: check.manifest.packages.map((p) => ({
          '@name': p.name,
          '@hash': p.hash,
          ...(p.hash_sha256 === undefined ? {} : { '@hash_sha256': p.hash_sha256 }),
          '@size': String(p.size),
          '@required': String(p.required),
        })),
      },
      actions: { action: check.manifest.actions.map((a) => ({ '@event': a.event, ...(a.sha256 === undefined ? {} : { '@sha256': a.sha256 }), ...prefixed(a.extra) })) },
    };
  }
  return node;
}

function prefixed(attributes: Record<string, string> | undefined): XmlNode {
  return Object.fromEntries(Object.entries(attributes ?? {}).map(([k, v]) => [`@${k}`, v]));
}

/** A response document in the shape go-omaha and Nebraska write (daystart, app, ping, updatecheck, events). */
export function buildResponse(response: OmahaResponse): string {
  return buildXml({
    response: {
      '@protocol': '3.0',
      '@server': response.server,
      daystart: { '@elapsed_seconds': String(response.daystartElapsedSeconds ?? 0) },
      app: response.apps.map((app) => {
        const node: XmlNode = { '@appid': app.appid, '@status': app.status };
        if (app.ping) node['ping'] = { '@status': 'ok' };
        if (app.updatecheck) node['updatecheck'] = updatecheckNode(app.updatecheck);
        if (app.events) node['event'] = Array.from({ length: app.events }, () => ({ '@status': 'ok' }));
        return node;
      }),
    },
  });
}

/** Reads any response document back into the typed form (tests, tools); lenient about extras. */
export function parseResponse(text: string): OmahaResponse {
  const response = child(parseXml(text), 'response');
  if (!response) throw new OmahaXmlError('the document has no <response> element');
  const apps = children(response, 'app').map((app): ResponseApp => {
    const parsed: ResponseApp = { appid: attr(app, 'appid') ?? '', status: attr(app, 'status') ?? '' };
    if (children(app, 'ping').length > 0) parsed.ping = true;
    const events = children(app, 'event').length;
    if (events > 0) parsed.events = events;
    const check = child(app, 'updatecheck');
    if (check) {
      const manifest = child(check, 'manifest');
      parsed.updatecheck = {
        status: attr(check, 'status') ?? '',
        ...(child(check, 'urls') ? { urls: children(child(check, 'urls'), 'url').map((url) => attr(url, 'codebase') ?? '') } : {}),
        ...(manifest
          ? {
              manifest: {
                version: attr(manifest, 'version') ?? '',
                packages: children(child(manifest, 'packages'), 'package').map((p) => ({
                  name: attr(p, 'name') ?? '',
                  hash: attr(p, 'hash') ?? '',
                  ...(attr(p, 'hash_sha256') === undefined ? {} : { hash_sha256: attr(p, 'hash_sha256') }),
                  size: Number(attr(p, 'size') ?? 0),
                  required: attr(p, 'required') === 'true',
                })),
                actions: children(child(manifest, 'actions'), 'action').map((a) => {
                  const extra: Record<string, string> = {};
                  for (const [key, value] of Object.entries(a)) if (key.startsWith('@') && key !== '@event' && key !== '@sha256' && typeof value === 'string') extra[key.slice(1)] = value;
                  return { event: attr(a, 'event') ?? '', ...(attr(a, 'sha256') === undefined ? {} : { sha256: attr(a, 'sha256') }), ...(Object.keys(extra).length ? { extra } : {}) };
                }),
              },
            }
          : {}),
      };
    }
    return parsed;
  });
  const daystart = attr(child(response, 'daystart'), 'elapsed_seconds');
  return { server: attr(response, 'server') ?? '', ...(daystart === undefined ? {} : { daystartElapsedSeconds: Number(daystart) }), apps };
}

/** An update check that update_engine would fail, with the code it would report. */
export class UpdateCheckError extends Error {
  override name = 'UpdateCheckError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type UpdateCheckOutcome =
  | { kind: 'noupdate'; pollIntervalSeconds: number }
  | {
      kind: 'update';
      /** manifest@version: the version on offer. */
      version: string;
      /** codebase (+ `/`) + package name, one per <url>: a failover list. */
      payloadUrls: string[];
      size: number;
      /** base64 SHA-256 from the postinstall action. */
      sha256: string;
      disablePayloadBackoff: boolean;
      isDeltaPayload: boolean;
      pollIntervalSeconds: number;
    };

/**
 * Reads an update-check response the way update_engine does (research notes §1.4): only the first
 * /response/app/updatecheck counts, app@status is never looked at, and any missing piece is 34.
 */
export function interpretUpdateCheck(body: string): UpdateCheckOutcome {
  if (body.length === 0) throw new UpdateCheckError(ErrorCode.OmahaRequestEmptyResponseError, 'empty response');
  let document: XmlNode;
  try {
    document = parseXml(body);
  } catch (error) {
    throw new UpdateCheckError(ErrorCode.OmahaRequestXMLParseError, (error as Error).message);
  }
  const invalid = (why: string) => new UpdateCheckError(ErrorCode.OmahaResponseInvalid, why);
  const check = children(child(document, 'response'), 'app')
    .map((app) => child(app, 'updatecheck'))
    .find((node) => node !== undefined);
  if (!check) throw invalid('no /response/app/updatecheck');
  const pollInterval = Number.parseInt(attr(check, 'PollInterval') ?? '', 10);
  const pollIntervalSeconds = Number.isFinite(pollInterval) ? pollInterval : 0;
  const status = attr(check, 'status');
  if (status === undefined) throw invalid('updatecheck has no status');
  if (status === 'noupdate') return { kind: 'noupdate', pollIntervalSeconds };
  if (status !== 'ok') throw invalid(`updatecheck status ${status}`);
  const urls = children(child(check, 'urls'), 'url').map((url) => attr(url, 'codebase') ?? '');
  if (urls.length === 0) throw invalid('no urls');
  if (urls.some((url) => url === '')) throw invalid('a url has an empty codebase');
  const manifest = child(check, 'manifest');
  const pkg = children(child(manifest, 'packages'), 'package')[0];
  if (!pkg) throw invalid('no package');
  const name = attr(pkg, 'name') ?? '';
  if (name === '') throw invalid('the package has no name');
  const size = Number.parseInt(attr(pkg, 'size') ?? '', 10);
  if (!(size > 0)) throw invalid('the package size is not positive');
  const postinstall = children(child(manifest, 'actions'), 'action').find((action) => attr(action, 'event') === 'postinstall');
  if (!postinstall) throw invalid('no postinstall action');
  const sha256 = attr(postinstall, 'sha256') ?? '';
  if (sha256 === '') throw invalid('the postinstall action has no sha256');
  return {
    kind: 'update',
    version: attr(manifest, 'version') ?? '',
    payloadUrls: urls.map((url) => `${url.endsWith('/') ? url : `${url}/`}${name}`),
    size,
    sha256,
    disablePayloadBackoff: attr(postinstall, 'DisablePayloadBackoff') === 'true',
    isDeltaPayload: attr(postinstall, 'IsDeltaPayload') === 'true',
    pollIntervalSeconds,
  };
}
