/** Minicore releases are this Omaha application (DESIGN: issue 6). */
export const MINICORE_APP_ID = '{d5014c05-f571-4c69-9e9e-f53e99629675}';
/** CoreOS/Flatcar's application, for reference and fixtures. */
export const COREOS_APP_ID = '{e96281a6-d1af-4bde-9a0a-97b76e56dc57}';
/** `PACKAGE_NAME-PACKAGE_VERSION` of update_engine in both CoreOS and Flatcar trees. */
export const UPDATE_ENGINE_VERSION = 'update_engine-0.4.10';

/** `<event eventtype>` values update_engine uses (plus Nebraska's 800 "Installed"). */
export const EventType = {
  DownloadComplete: 1,
  InstallComplete: 2,
  UpdateComplete: 3,
  UpdateDownloadStarted: 13,
  UpdateDownloadFinished: 14,
  Installed: 800,
} as const;

/** `<event eventresult>` values. */
export const EventResult = { Error: 0, Success: 1, SuccessReboot: 2, UpdateDeferred: 9 } as const;

/** update_engine's ActionExitCode (identical in go-omaha's client.ExitCode). */
export const ErrorCode = {
  Success: 0,
  Error: 1,
  OmahaRequestError: 2,
  OmahaResponseHandlerError: 3,
  FilesystemCopierError: 4,
  PostinstallRunnerError: 5,
  SetBootableFlagError: 6,
  InstallDeviceOpenError: 7,
  KernelDeviceOpenError: 8,
  DownloadTransferError: 9,
  PayloadHashMismatchError: 10,
  PayloadSizeMismatchError: 11,
  DownloadPayloadVerificationError: 12,
  DownloadNewPartitionInfoError: 13,
  DownloadWriteError: 14,
  NewRootfsVerificationError: 15,
  NewKernelVerificationError: 16,
  SignedDeltaPayloadExpectedError: 17,
  DownloadPayloadPubKeyVerificationError: 18,
  PostinstallBootedFromFirmwareB: 19,
  DownloadStateInitializationError: 20,
  DownloadInvalidMetadataMagicString: 21,
  DownloadSignatureMissingInManifest: 22,
  DownloadManifestParseError: 23,
  DownloadMetadataSignatureError: 24,
  DownloadMetadataSignatureVerificationError: 25,
  DownloadMetadataSignatureMismatch: 26,
  DownloadOperationHashVerificationError: 27,
  DownloadOperationExecutionError: 28,
  DownloadOperationHashMismatch: 29,
  OmahaRequestEmptyResponseError: 30,
  OmahaRequestXMLParseError: 31,
  DownloadInvalidMetadataSize: 32,
  DownloadInvalidMetadataSignature: 33,
  OmahaResponseInvalid: 34,
  OmahaUpdateIgnoredPerPolicy: 35,
  OmahaUpdateDeferredPerPolicy: 36,
  OmahaErrorInHTTPResponse: 37,
  DownloadOperationHashMissingError: 38,
  DownloadMetadataSignatureMissingError: 39,
  OmahaUpdateDeferredForBackoff: 40,
  PostinstallPowerwashError: 41,
  NewPCRPolicyVerificationError: 42,
  NewPCRPolicyHTTPError: 43,
  RollbackError: 44,
  DownloadIncomplete: 100,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

/** Flag bits OR-ed into a reported errorcode. */
export const ErrorFlag = {
  DevMode: 2 ** 31,
  Resumed: 2 ** 30,
  TestImage: 2 ** 29,
  TestOmahaUrl: 2 ** 28,
} as const;
export type ErrorFlagName = keyof typeof ErrorFlag;

/** An update check that got HTTP status N is reported as 2000 + N (at most 2999). */
export const HTTP_RESPONSE_BASE = 2000;

export function httpErrorCode(status: number): number {
  return HTTP_RESPONSE_BASE + Math.min(status, 999);
}

const names = new Map<number, ErrorCodeName>(Object.entries(ErrorCode).map(([name, code]) => [code, name as ErrorCodeName]));

export interface DecodedErrorCode {
  code: number;
  /** e.g. `PayloadHashMismatchError`, `HTTPResponse404`, or `Unknown(77)`. */
  name: string;
  flags: ErrorFlagName[];
}

/** What Nebraska's UI shows: `268435466` → PayloadHashMismatchError with TestOmahaUrlFlag. */
export function decodeErrorCode(reported: number): DecodedErrorCode {
  let code = reported >>> 0;
  const flags: ErrorFlagName[] = [];
  for (const [name, bit] of Object.entries(ErrorFlag) as [ErrorFlagName, number][]) {
    if (code >= bit && Math.floor(code / bit) % 2 === 1) {
      flags.push(name);
      code -= bit;
    }
  }
  const name = names.get(code) ?? (code >= HTTP_RESPONSE_BASE && code < HTTP_RESPONSE_BASE + 1000 ? `HTTPResponse${code - HTTP_RESPONSE_BASE}` : `Unknown(${code})`);
  return { code, name, flags };
}

export function withFlags(code: number, flags: readonly ErrorFlagName[]): number {
  return flags.reduce((value, flag) => value + (Math.floor(value / ErrorFlag[flag]) % 2 === 1 ? 0 : ErrorFlag[flag]), code);
}

/** Nebraska's instance statuses (numeric in its API and UI). */
export const InstanceStatus = {
  Undefined: 1,
  UpdateGranted: 2,
  Error: 3,
  Complete: 4,
  Installed: 5,
  Downloaded: 6,
  Downloading: 7,
  OnHold: 8,
} as const;
export type InstanceStatusName = keyof typeof InstanceStatus;
export type InstanceStatusCode = (typeof InstanceStatus)[InstanceStatusName];

export function instanceStatusName(code: number): InstanceStatusName | undefined {
  return (Object.entries(InstanceStatus) as [InstanceStatusName, number][]).find(([, value]) => value === code)?.[0];
}

/** `<app status>` values: go-omaha's, plus those CoreRoller and Nebraska send. */
export const AppStatus = {
  Ok: 'ok',
  Restricted: 'restricted',
  UnknownApplication: 'error-unknownApplication',
  InvalidAppId: 'error-invalidAppId',
  InvalidVersion: 'error-invalidVersion',
  Internal: 'error-internal',
  NoPackageFound: 'error-noPackageFound',
  UnknownApplicationOrGroup: 'error-unknownApplicationOrGroup',
  InstanceRegistrationFailed: 'error-instanceRegistrationFailed',
  MaxUpdatesPerPeriodLimitReached: 'error-maxUpdatesPerPeriodLimitReached',
  MaxConcurrentUpdatesLimitReached: 'error-maxConcurrentUpdatesLimitReached',
  MaxTimedOutUpdatesLimitReached: 'error-maxTimedOutUpdatesLimitReached',
  UpdatesDisabled: 'error-updatesDisabled',
  CouldNotCheckUpdatesStats: 'error-couldNotCheckUpdatesStats',
  UpdateInProgressOnInstance: 'error-updateInProgressOnInstance',
  FailedToRetrieveUpdatePackageInfo: 'error-failedToRetrieveUpdatePackageInfo',
} as const;

/** `<updatecheck status>` values. */
export const UpdateCheckStatus = {
  NoUpdate: 'noupdate',
  Ok: 'ok',
  OsNotSupported: 'error-osnotsupported',
  UnsupportedProtocol: 'error-unsupportedProtocol',
  PluginRestrictedHost: 'error-pluginRestrictedHost',
  Hash: 'error-hash',
  Internal: 'error-internal',
} as const;

/** update_engine's `current_operation` strings (D-Bus GetStatus / StatusUpdate). */
export const UpdateStatus = {
  Idle: 'UPDATE_STATUS_IDLE',
  CheckingForUpdate: 'UPDATE_STATUS_CHECKING_FOR_UPDATE',
  UpdateAvailable: 'UPDATE_STATUS_UPDATE_AVAILABLE',
  Downloading: 'UPDATE_STATUS_DOWNLOADING',
  Verifying: 'UPDATE_STATUS_VERIFYING',
  Finalizing: 'UPDATE_STATUS_FINALIZING',
  UpdatedNeedReboot: 'UPDATE_STATUS_UPDATED_NEED_REBOOT',
  ReportingErrorEvent: 'UPDATE_STATUS_REPORTING_ERROR_EVENT',
} as const;
export type UpdateStatusName = (typeof UpdateStatus)[keyof typeof UpdateStatus];
