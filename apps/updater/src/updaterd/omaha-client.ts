import { UpdateCheckError, buildUpdateEngineRequest, httpErrorCode, interpretUpdateCheck, ErrorCode, type ClientIdentity, type UpdateCheckOutcome } from '@minicore/omaha';

/** Talks Omaha to the update server the way update_engine does (research notes §1.1). */
export class OmahaClient {
  constructor(
    readonly serverUrl: string,
    readonly timeoutMs = 30_000,
  ) {}

  async #post(xml: string): Promise<{ status: number; body: string }> {
    const response = await fetch(this.serverUrl, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml, signal: AbortSignal.timeout(this.timeoutMs) });
    return { status: response.status, body: await response.text() };
  }

  /**
   * The update check: non-2xx is 2000+status, a transport failure 2 (OmahaRequestError), then the
   * response rules. `rolledBack` sends Flatcar's 3/0 errorcode=44 in place of the 3/2 event.
   */
  async check(identity: ClientIdentity, previousVersion: string, interactive = false, rolledBack = false): Promise<UpdateCheckOutcome> {
    let answer;
    try {
      answer = await this.#post(buildUpdateEngineRequest(identity, { kind: 'updatecheck', previousVersion, interactive, rolledBack }));
    } catch (error) {
      throw new UpdateCheckError(ErrorCode.OmahaRequestError, `update server unreachable: ${(error as Error).message}`);
    }
    if (answer.status < 200 || answer.status > 299) throw new UpdateCheckError(httpErrorCode(answer.status), `update check answered HTTP ${answer.status}`);
    return interpretUpdateCheck(answer.body);
  }

  /** Events are best effort: the response is not parsed and failures are ignored. */
  async event(identity: ClientIdentity, eventtype: number, eventresult: number, errorcode?: number): Promise<void> {
    await this.#post(buildUpdateEngineRequest(identity, { kind: 'event', eventtype, eventresult, ...(errorcode === undefined ? {} : { errorcode }) })).catch(() => undefined);
  }

  async ping(identity: ClientIdentity): Promise<void> {
    await this.#post(buildUpdateEngineRequest(identity, { kind: 'ping' })).catch(() => undefined);
  }
}
