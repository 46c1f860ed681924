export * from './codes.js';
export { OmahaXmlError, parseXml } from './xml.js';
export { buildUpdateEngineRequest, parseRequest, type OmahaRequest, type RequestApp, type RequestEvent, type ClientIdentity, type RequestKind } from './request.js';
export { buildResponse, parseResponse, interpretUpdateCheck, UpdateCheckError, type OmahaResponse, type ResponseApp, type ResponseUpdateCheck, type ResponsePackage, type ResponseAction, type UpdateCheckOutcome } from './response.js';
