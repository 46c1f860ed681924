import { describe, expect, it } from 'vitest';
import { COREOS_APP_ID, ErrorCode, ErrorFlag, InstanceStatus, decodeErrorCode, httpErrorCode, instanceStatusName, withFlags } from './codes.js';
import { buildUpdateEngineRequest, parseRequest } from './request.js';
import { buildResponse, interpretUpdateCheck, parseResponse, UpdateCheckError } from './response.js';

// Research notes §1.2, verbatim (update_engine's GetRequestXml output).
const updateEngineRequest = `<?xml version="1.0" encoding="UTF-8"?>
<request protocol="3.0" version="update_engine-0.4.10" updaterversion="update_engine-0.4.10" installsource="scheduler" ismachine="1">
    <os version="Chateau" platform="CoreOS" sp="1576.4.0_x86_64"></os>
    <app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" version="1576.4.0" track="stable" bootid="{7d52a1cc-7066-40f0-91c7-7cb6a871bfde}" oem="qemu" oemversion="" alephversion="1520.8.0" machineid="8bde4c4d908349d6b41c3253212c0c37" lang="en-US" board="amd64-usr" hardware_class="" delta_okay="false" >
        <ping active="1"></ping>
        <updatecheck></updatecheck>
        <event eventtype="3" eventresult="2" previousversion="1520.8.0"></event>
    </app>
</request>
`;

// Research notes §1.5: go-omaha's client (observed).
const goOmahaRequest =
  '<request protocol="3.0" sessionid="1e954b3d-aa" userid="8bde4c4d908349d6b41c3253212c0c37" version="probe-0.1"><os platform="linux" arch="x64"></os><app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" version="1576.4.0" track="stable" bootid="1e954b3d-aa" machineid="8bde4c4d908349d6b41c3253212c0c37" oem="qemu"><ping active="1"></ping><updatecheck></updatecheck><event eventtype="3" eventresult="2"></event></app></request>';

// Research notes §1.4: go-omaha serve-package, update available (observed).
const goOmahaResponse = `<?xml version="1.0" encoding="UTF-8"?>
<response protocol="3.0" server="go-omaha">
	<daystart elapsed_seconds="0"></daystart>
	<app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" status="ok">
		<ping status="ok"></ping>
		<updatecheck status="ok">
			<urls>
				<url codebase="http://127.0.0.1:18000/packages/"></url>
			</urls>
			<manifest version="1632.3.0">
				<packages>
					<package name="update.gz" hash="SVZhx3WGmCxD7AMACEu/G9PsEIE=" hash_sha256="j55yTSVmKK0BtpuwWZvuKGXmLms+NhYEDrx8gab8f1k=" size="1048576" required="false"></package>
				</packages>
				<actions>
					<action event="postinstall" sha256="j55yTSVmKK0BtpuwWZvuKGXmLms+NhYEDrx8gab8f1k=" DisablePayloadBackoff="true"></action>
				</actions>
			</manifest>
		</updatecheck>
		<event status="ok"></event>
	</app>
</response>`;

const coreRollerUpdate =
  '<response protocol="3.0" server="coreroller"><daystart elapsed_seconds="0"></daystart><app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" version="766.0.0" status="ok" track="alpha"><ping status="ok"></ping><updatecheck status="ok"><urls><url codebase="https://commondatastorage.googleapis.com/update-storage.core-os.net/amd64-usr/829.0.0/"></url></urls><manifest version="829.0.0"><packages><package hash="2lhoUvvnoY359pi2FnaS/xsgtig=" name="update.gz" size="186245514" required="true"></package></packages><actions><action event="postinstall" ChromeOSVersion="" sha256="1S9zQCLGjmefYnE/aFcpCjL1NsguHhQGj0UCm5f0M98=" needsadmin="false" IsDelta="false" DisablePayloadBackoff="true"></action></actions></manifest></updatecheck><event status="ok"></event></app></response>';

const coreRollerLimited =
  '<response protocol="3.0" server="coreroller"><daystart elapsed_seconds="0"></daystart><app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" version="766.0.0" status="error-maxUpdatesPerPeriodLimitReached" track="alpha"><ping status="ok"></ping><event status="ok"></event></app></response>';

function codeOf(body: string): number | string {
  try {
    return interpretUpdateCheck(body).kind;
  } catch (error) {
    return (error as UpdateCheckError).errorCode;
  }
}

describe('requests', () => {
  it('parses update_engine’s update check', () => {
    const request = parseRequest(updateEngineRequest);
    expect(request).toMatchObject({ protocol: '3.0', version: 'update_engine-0.4.10', installsource: 'scheduler', ismachine: '1', os: { platform: 'CoreOS', sp: '1576.4.0_x86_64' } });
    expect(request.apps).toEqual([
      {
        appid: COREOS_APP_ID,
        version: '1576.4.0',
        track: 'stable',
        bootid: '{7d52a1cc-7066-40f0-91c7-7cb6a871bfde}',
        oem: 'qemu',
        oemversion: '',
        alephversion: '1520.8.0',
        machineid: '8bde4c4d908349d6b41c3253212c0c37',
        lang: 'en-US',
        board: 'amd64-usr',
        hardware_class: '',
        delta_okay: 'false',
        ping: { active: '1' },
        updatecheck: true,
        events: [{ eventtype: 3, eventresult: 2, previousversion: '1520.8.0' }],
      },
    ]);
  });

  it('writes the update check byte for byte as update_engine does', () => {
    const identity = { appid: COREOS_APP_ID, version: '1576.4.0', track: 'stable', bootid: '{7d52a1cc-7066-40f0-91c7-7cb6a871bfde}', machineid: '8bde4c4d908349d6b41c3253212c0c37', oem: 'qemu', alephversion: '1520.8.0', platform: 'CoreOS' };
    expect(buildUpdateEngineRequest(identity, { kind: 'updatecheck', previousVersion: '1520.8.0' })).toBe(updateEngineRequest);
  });

  it('writes ping-only and event requests, errorcode only when the result is not success', () => {
    const identity = { appid: COREOS_APP_ID, version: '1.0.0', track: 'stable', bootid: '{b}', machineid: 'm' };
    const ping = buildUpdateEngineRequest(identity, { kind: 'ping' });
    expect(ping).toContain('        <ping active="1"></ping>\n    </app>');
    expect(ping).not.toContain('updatecheck');
    const ok = parseRequest(buildUpdateEngineRequest(identity, { kind: 'event', eventtype: 13, eventresult: 1 }));
    expect(ok.apps[0]).toMatchObject({ updatecheck: false, events: [{ eventtype: 13, eventresult: 1 }] });
    expect(ok.apps[0]?.ping).toBeUndefined();
    const failed = buildUpdateEngineRequest(identity, { kind: 'event', eventtype: 3, eventresult: 0, errorcode: withFlags(10, ['TestOmahaUrl']) });
    expect(failed).toContain('<event eventtype="3" eventresult="0" errorcode="268435466"></event>');
    expect(buildUpdateEngineRequest(identity, { kind: 'updatecheck', previousVersion: '', interactive: true })).toContain('installsource="ondemandupdate"');
  });

  it('writes Flatcar’s rollback report in the update check: 3/0 errorcode=44 in place of the 3/2 event', () => {
    const identity = { appid: COREOS_APP_ID, version: '1.0.0', track: 'stable', bootid: '{b}', machineid: 'm' };
    const xml = buildUpdateEngineRequest(identity, { kind: 'updatecheck', previousVersion: '1.0.0', rolledBack: true });
    expect(xml).toContain('        <ping active="1"></ping>\n        <updatecheck></updatecheck>\n        <event eventtype="3" eventresult="0" errorcode="44"></event>\n    </app>');
    expect(xml).not.toContain('previousversion');
    expect(parseRequest(xml).apps[0]).toMatchObject({ updatecheck: true, events: [{ eventtype: 3, eventresult: 0, errorcode: 44 }] });
  });

  it('parses go-omaha’s client, taking machineid from the app (userid as a fallback)', () => {
    const request = parseRequest(goOmahaRequest);
    expect(request.apps[0]).toMatchObject({ machineid: '8bde4c4d908349d6b41c3253212c0c37', bootid: '1e954b3d-aa', updatecheck: true, events: [{ eventtype: 3, eventresult: 2 }] });
    expect(request.apps[0]?.events[0]?.previousversion).toBeUndefined();
    expect(parseRequest(goOmahaRequest.replace(' machineid="8bde4c4d908349d6b41c3253212c0c37"', '')).apps[0]?.machineid).toBe('8bde4c4d908349d6b41c3253212c0c37');
  });

  it('rejects malformed XML, documents without <request>, apps without appid and non-numeric events', () => {
    expect(() => parseRequest('<request protocol="3.0"><app>')).toThrow(/malformed XML/);
    expect(() => parseRequest('')).toThrow(/empty/);
    expect(() => parseRequest('<response protocol="3.0"/>')).toThrow(/no <request>/);
    expect(() => parseRequest('<request protocol="3.0"><app version="1"/></request>')).toThrow(/no appid/);
    expect(() => parseRequest('<request protocol="3.0"><app appid="x"><event eventtype="x" eventresult="1"/></app></request>')).toThrow(/not an integer/);
  });

  it('unescapes attribute entities', () => {
    expect(parseRequest('<request protocol="3.0"><app appid="a" track="x&amp;y&quot;"/></request>').apps[0]?.track).toBe('x&y"');
  });
});

describe('responses, read the update_engine way', () => {
  it('go-omaha’s update: urls + name, size, postinstall sha256, backoff disabled', () => {
    expect(interpretUpdateCheck(goOmahaResponse)).toEqual({
      kind: 'update',
      version: '1632.3.0',
      payloadUrls: ['http://127.0.0.1:18000/packages/update.gz'],
      size: 1048576,
      sha256: 'j55yTSVmKK0BtpuwWZvuKGXmLms+NhYEDrx8gab8f1k=',
      disablePayloadBackoff: true,
      isDeltaPayload: false,
      pollIntervalSeconds: 0,
    });
  });

  it('CoreRoller’s update (app@status and legacy attributes ignored)', () => {
    expect(interpretUpdateCheck(coreRollerUpdate)).toMatchObject({ kind: 'update', version: '829.0.0', size: 186245514, payloadUrls: ['https://commondatastorage.googleapis.com/update-storage.core-os.net/amd64-usr/829.0.0/update.gz'] });
  });

  it.each([
    ['empty body', '', ErrorCode.OmahaRequestEmptyResponseError],
    ['unparsable XML', '<response><app>', ErrorCode.OmahaRequestXMLParseError],
    ['CoreRoller rate-limited (no updatecheck)', coreRollerLimited, ErrorCode.OmahaResponseInvalid],
    ['Nebraska error-internal', '<response><app status="error-updatesDisabled"><updatecheck status="error-internal"></updatecheck></app></response>', ErrorCode.OmahaResponseInvalid],
    ['updatecheck without status', '<response><app><updatecheck></updatecheck></app></response>', ErrorCode.OmahaResponseInvalid],
    ['no url', goOmahaResponse.replace('<url codebase="http://127.0.0.1:18000/packages/"></url>', ''), ErrorCode.OmahaResponseInvalid],
    ['empty codebase', goOmahaResponse.replace('http://127.0.0.1:18000/packages/', ''), ErrorCode.OmahaResponseInvalid],
    ['size 0', goOmahaResponse.replace('size="1048576"', 'size="0"'), ErrorCode.OmahaResponseInvalid],
    ['empty package name', goOmahaResponse.replace('name="update.gz"', 'name=""'), ErrorCode.OmahaResponseInvalid],
    ['no postinstall action', goOmahaResponse.replace('event="postinstall"', 'event="preinstall"'), ErrorCode.OmahaResponseInvalid],
    ['postinstall without sha256', goOmahaResponse.replace(/ sha256="[^"]+" Disable/, ' Disable'), ErrorCode.OmahaResponseInvalid],
    ['noupdate', '<response><app><updatecheck status="noupdate"></updatecheck></app></response>', 'noupdate'],
  ])('%s → %s', (_label, body, expected) => {
    expect(codeOf(body)).toBe(expected);
  });

  it('reads PollInterval and adds a slash to a codebase without one', () => {
    expect(interpretUpdateCheck('<response><app><updatecheck status="noupdate" PollInterval="60"/></app></response>')).toEqual({ kind: 'noupdate', pollIntervalSeconds: 60 });
    const outcome = interpretUpdateCheck(goOmahaResponse.replace('packages/"', 'packages"'));
    expect(outcome.kind === 'update' && outcome.payloadUrls[0]).toBe('http://127.0.0.1:18000/packages/update.gz');
  });
});

describe('building responses', () => {
  it('round-trips go-omaha’s sample through parse and build', () => {
    const parsed = parseResponse(goOmahaResponse);
    expect(parsed.server).toBe('go-omaha');
    const rebuilt = buildResponse(parsed);
    expect(parseResponse(rebuilt)).toEqual(parsed);
    expect(interpretUpdateCheck(rebuilt)).toEqual(interpretUpdateCheck(goOmahaResponse));
    expect(rebuilt).toContain('<action event="postinstall" sha256="j55yTSVmKK0BtpuwWZvuKGXmLms+NhYEDrx8gab8f1k=" DisablePayloadBackoff="true"></action>');
  });

  it('writes a Nebraska-style error and an event-only answer', () => {
    const body = buildResponse({ server: 'update-server', apps: [{ appid: COREOS_APP_ID, status: 'error-updatesDisabled', ping: true, updatecheck: { status: 'error-internal' }, events: 1 }] });
    expect(body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<response protocol="3.0" server="update-server"><daystart elapsed_seconds="0"></daystart>')).toBe(true);
    expect(body).toContain('<app appid="{e96281a6-d1af-4bde-9a0a-97b76e56dc57}" status="error-updatesDisabled"><ping status="ok"></ping><updatecheck status="error-internal"></updatecheck><event status="ok"></event></app>');
    expect(codeOf(body)).toBe(ErrorCode.OmahaResponseInvalid);
    expect(buildResponse({ server: 's', apps: [{ appid: 'a', status: 'ok', events: 2 }] })).toContain('<app appid="a" status="ok"><event status="ok"></event><event status="ok"></event></app>');
  });
});

describe('codes', () => {
  it('decodes error codes with their flag bits, as Nebraska’s UI does', () => {
    expect(decodeErrorCode(268435466)).toEqual({ code: 10, name: 'PayloadHashMismatchError', flags: ['TestOmahaUrl'] });
    expect(decodeErrorCode(withFlags(ErrorCode.DownloadTransferError, ['Resumed', 'DevMode']))).toEqual({ code: 9, name: 'DownloadTransferError', flags: ['DevMode', 'Resumed'] });
    expect(decodeErrorCode(httpErrorCode(404))).toMatchObject({ code: 2404, name: 'HTTPResponse404' });
    expect(httpErrorCode(1234)).toBe(2999);
    expect(decodeErrorCode(77).name).toBe('Unknown(77)');
    expect(withFlags(10, ['TestOmahaUrl', 'TestOmahaUrl'])).toBe(10 + ErrorFlag.TestOmahaUrl);
  });

  it('names instance statuses by their Nebraska numbers', () => {
    expect(instanceStatusName(InstanceStatus.Downloading)).toBe('Downloading');
    expect(instanceStatusName(99)).toBeUndefined();
  });
});
