import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** An XML document that cannot be parsed, or lacks what the protocol requires. */
export class OmahaXmlError extends Error {
  override name = 'OmahaXmlError';
  readonly code = 'MC_ERR_OMAHA_XML';
}

export type XmlNode = Record<string, unknown>;

const LISTS = new Set(['app', 'event', 'url', 'package', 'action', 'manifest', 'updatecheck', 'ping']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: true,
  isArray: (name) => LISTS.has(name),
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false, suppressBooleanAttributes: false, format: false });

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Parses with validation; repeated elements (app, event, url, package, action...) are always lists. */
export function parseXml(text: string): XmlNode {
  if (text.trim() === '') throw new OmahaXmlError('empty document');
  try {
    return parser.parse(text, true) as XmlNode;
  } catch (error) {
    throw new OmahaXmlError(`malformed XML: ${(error as Error).message}`);
  }
}

export function buildXml(document: XmlNode): string {
  return `${XML_DECLARATION}\n${builder.build(document)}\n`;
}

/** Children of a node: a list (elements in LISTS) or the single element; empty elements parse as ''. */
export function children(node: unknown, name: string): XmlNode[] {
  if (typeof node !== 'object' || node === null) return [];
  const value = (node as XmlNode)[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((item: unknown) => (typeof item === 'object' && item !== null ? (item as XmlNode) : {}));
}

export function child(node: unknown, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const value = node?.[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** Escapes an attribute value the way libxml2's xmlEncodeEntitiesReentrant does for update_engine. */
export function escapeAttribute(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
