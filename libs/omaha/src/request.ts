import { ErrorCode, UPDATE_ENGINE_VERSION } from './codes.js';
import { OmahaXmlError, attr, children, child, escapeAttribute, parseXml, XML_DECLARATION } from './xml.js';

export interface RequestEvent {
  eventtype: number;
  eventresult: number;
  /** Written by update_engine only when the result is not 1 (success). */
  errorcode?: number;
  /** Only on the update check's 3/2 event: "" normally, the old version right after an update. */
  previousversion?: string;
}

export interface RequestApp {
  appid: string;
  version: string;
  track: string;
  bootid: string;
  oem: string;
  oemversion: string;
  alephversion: string;
  machineid: string;
  lang: string;
  board: string;
  hardware_class: string;
  delta_okay: string;
  /** Flatcar only. */
  machinealias?: string;
  ping?: { active: string };
  updatecheck: boolean;
  events: RequestEvent[];
}

export interface OmahaRequest {
  protocol: string;
  version: string;
  updaterversion: string;
  installsource: string;
  ismachine: string;
  os: { version: string; platform: string; sp: string };
  apps: RequestApp[];
}

/** What a machine says about itself in every request (update_engine's OmahaRequestParams). */
export interface ClientIdentity {
  appid: string;
  version: string;
  track: string;
  /** Wrapped in braces, as update_engine sends /proc/sys/kernel/random/boot_id. */
  bootid: string;
  /** 32 hex digits, no braces, no dashes (/etc/machine-id). */
  machineid: string;
  oem?: string;
  oemversion?: string;
  alephversion?: string;
  board?: string;
  /** `uname -m`, for os@sp. */
  arch?: string;
  platform?: string;
  osVersion?: string;
  lang?: string;
}

/**
 * The three request kinds of update_engine (research notes §1.2). `rolledBack`: the machine runs the
 * version it ran before its last update (the update's slot never became successful and the boot fell
 * back), so the check carries Flatcar's `3/0 errorcode=44` (RollbackError) instead of the 3/2 event.
 */
export type RequestKind =
  | { kind: 'updatecheck'; previousVersion: string; interactive?: boolean; rolledBack?: boolean }
  | { kind: 'ping' }
  | { kind: 'event'; eventtype: number; eventresult: number; errorcode?: number };

/**
 * The request document exactly as update_engine's GetRequestXml writes it: same attribute order,
 * four-space indentation, `<x></x>` empty elements and the stray space before `>` on <app>.
 */
export function buildUpdateEngineRequest(identity: ClientIdentity, request: RequestKind): string {
  const e = escapeAttribute;
  let body: string;
  if (request.kind === 'event') {
    const code = request.eventresult !== 1 ? ` errorcode="${request.errorcode ?? 1}"` : '';
    body = `        <event eventtype="${request.eventtype}" eventresult="${request.eventresult}"${code}></event>\n`;
  } else {
    body = '        <ping active="1"></ping>\n';
    if (request.kind === 'updatecheck') {
      body += '        <updatecheck></updatecheck>\n';
      body += request.rolledBack
        ? `        <event eventtype="3" eventresult="0" errorcode="${ErrorCode.RollbackError}"></event>\n`
        : `        <event eventtype="3" eventresult="2" previousversion="${e(request.previousVersion)}"></event>\n`;
    }
  }
  const installsource = request.kind === 'updatecheck' && request.interactive ? 'ondemandupdate' : 'scheduler';
  const sp = `${identity.version}_${identity.arch ?? 'x86_64'}`;
  return (
    `${XML_DECLARATION}\n` +
    `<request protocol="3.0" version="${UPDATE_ENGINE_VERSION}" updaterversion="${UPDATE_ENGINE_VERSION}" installsource="${installsource}" ismachine="1">\n` +
    `    <os version="${e(identity.osVersion ?? 'Chateau')}" platform="${e(identity.platform ?? 'Minicore')}" sp="${e(sp)}"></os>\n` +
    `    <app appid="${e(identity.appid)}" version="${e(identity.version)}" track="${e(identity.track)}" bootid="${e(identity.bootid)}" ` +
    `oem="${e(identity.oem ?? '')}" oemversion="${e(identity.oemversion ?? '')}" alephversion="${e(identity.alephversion ?? identity.version)}" ` +
    `machineid="${e(identity.machineid)}" lang="${e(identity.lang ?? 'en-US')}" board="${e(identity.board ?? 'amd64-usr')}" hardware_class="" delta_okay="false" >\n` +
    body +
    '    </app>\n' +
    '</request>\n'
  );
}

function integer(value: string | undefined, what: string): number {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) throw new OmahaXmlError(`${what} is not an integer: ${JSON.stringify(value)}`);
  return Number(value.trim());
}

/** Parses any Omaha v3 request (update_engine's, go-omaha's client's); the server's edge. */
export function parseRequest(text: string): OmahaRequest {
  const document = parseXml(text);
  const request = child(document, 'request');
  if (!request) throw new OmahaXmlError('the document has no <request> element');
  const protocol = attr(request, 'protocol');
  if (protocol === undefined) throw new OmahaXmlError('<request> has no protocol attribute');
  const os = child(request, 'os');
  const apps = children(request, 'app').map((app, index): RequestApp => {
    const appid = attr(app, 'appid');
    if (!appid) throw new OmahaXmlError(`<app> #${index + 1} has no appid`);
    const ping = child(app, 'ping');
    const events = children(app, 'event').map((event): RequestEvent => {
      const parsed: RequestEvent = { eventtype: integer(attr(event, 'eventtype'), 'event@eventtype'), eventresult: integer(attr(event, 'eventresult'), 'event@eventresult') };
      const errorcode = attr(event, 'errorcode');
      if (errorcode !== undefined && errorcode !== '') parsed.errorcode = integer(errorcode, 'event@errorcode');
      const previousversion = attr(event, 'previousversion');
      if (previousversion !== undefined) parsed.previousversion = previousversion;
      return parsed;
    });
    const parsed: RequestApp = {
      appid,
      version: attr(app, 'version') ?? '',
      track: attr(app, 'track') ?? '',
      bootid: attr(app, 'bootid') ?? '',
      oem: attr(app, 'oem') ?? '',
      oemversion: attr(app, 'oemversion') ?? '',
      alephversion: attr(app, 'alephversion') ?? '',
      machineid: attr(app, 'machineid') ?? attr(request, 'userid') ?? '',
      lang: attr(app, 'lang') ?? '',
      board: attr(app, 'board') ?? '',
      hardware_class: attr(app, 'hardware_class') ?? '',
      delta_okay: attr(app, 'delta_okay') ?? '',
      updatecheck: children(app, 'updatecheck').length > 0,
      events,
    };
    const alias = attr(app, 'machinealias');
    if (alias !== undefined) parsed.machinealias = alias;
    if (ping) parsed.ping = { active: attr(ping, 'active') ?? '' };
    return parsed;
  });
  return {
    protocol,
    version: attr(request, 'version') ?? '',
    updaterversion: attr(request, 'updaterversion') ?? '',
    installsource: attr(request, 'installsource') ?? '',
    ismachine: attr(request, 'ismachine') ?? '',
    os: { version: attr(os, 'version') ?? '', platform: attr(os, 'platform') ?? '', sp: attr(os, 'sp') ?? '' },
    apps,
  };
}
