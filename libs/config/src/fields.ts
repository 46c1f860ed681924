/**
 * The kinds of configuration field a daemon can declare. Each kind knows how to read its value
 * from text (a flag or an environment variable) or from JSON (a config file), and how to say what
 * it expected when the input is wrong.
 */
export class ConfigValueError extends Error {
  override name = 'ConfigValueError';
}

export interface Field<T> {
  readonly description: string;
  /** Absent: the field is required. */
  readonly default: T | undefined;
  /** Shown after the flag in --help, e.g. `<ms>`. */
  readonly placeholder: string;
  /** What a valid value looks like, for error messages: "an integer from 1 to 65535". */
  readonly expected: string;
  /** Booleans are flags without a value (`--proxy`); everything else takes one. */
  readonly isSwitch: boolean;
  fromText(text: string): T;
  fromJson(value: unknown): T;
}

interface Common<T> {
  description: string;
  default?: T;
}

function field<T>(spec: Omit<Field<T>, 'fromJson' | 'default'> & { default?: T; fromJson?: (value: unknown) => T }): Field<T> {
  return {
    ...spec,
    default: spec.default,
    fromJson: spec.fromJson ?? ((value) => spec.fromText(typeof value === 'string' ? value : JSON.stringify(value))),
  };
}

function fail(expected: string, text: string): never {
  throw new ConfigValueError(`${JSON.stringify(text)} is not ${expected}`);
}

export function string(options: Common<string> & { pattern?: RegExp; expected?: string }): Field<string> {
  const expected = options.expected ?? 'a non-empty string';
  return field({
    ...options,
    placeholder: '<text>',
    expected,
    isSwitch: false,
    fromText: (text) => (text !== '' && (!options.pattern || options.pattern.test(text)) ? text : fail(expected, text)),
  });
}

export function integer(options: Common<number> & { min?: number; max?: number; unit?: string }): Field<number> {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const range = options.min !== undefined && options.max !== undefined ? ` from ${min} to ${max}` : options.min !== undefined ? ` of at least ${min}` : '';
  const expected = `an integer${range}${options.unit ? ` (${options.unit})` : ''}`;
  return field({
    ...options,
    placeholder: `<${options.unit ?? 'n'}>`,
    expected,
    isSwitch: false,
    fromText: (text) => {
      const value = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max ? value : fail(expected, text);
    },
  });
}

const booleanWords: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false };

export function boolean(options: Common<boolean>): Field<boolean> {
  const expected = 'true or false';
  return field({
    default: false,
    ...options,
    placeholder: '',
    expected,
    isSwitch: true,
    fromText: (text) => booleanWords[text.toLowerCase()] ?? fail(expected, text),
    fromJson: (value) => (typeof value === 'boolean' ? value : fail(expected, JSON.stringify(value))),
  });
}

export function oneOf<const Choices extends readonly string[]>(choices: Choices, options: Common<Choices[number]>): Field<Choices[number]> {
  const expected = `one of ${choices.join(', ')}`;
  return field({
    ...options,
    placeholder: `<${choices.join('|')}>`,
    expected,
    isSwitch: false,
    fromText: (text) => choices.find((choice) => choice === text) ?? fail(expected, text),
  });
}

function splitList(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter(Boolean);
}

function listFromJson<T>(fromText: (text: string) => T): (value: unknown) => T {
  return (value) => fromText(Array.isArray(value) ? value.map(String).join(',') : String(value));
}

export function list(options: Common<string[]>): Field<string[]> {
  const fromText = (text: string) => splitList(text);
  return field({ ...options, placeholder: '<a,b,...>', expected: 'a comma-separated list', isSwitch: false, fromText, fromJson: listFromJson(fromText) });
}

/** Comma-separated http(s) URLs, as etcd's --listen-client-urls and friends. */
export function urlList(options: Common<string[]>): Field<string[]> {
  const expected = 'a comma-separated list of http:// URLs';
  const fromText = (text: string) => {
    const urls = splitList(text);
    if (urls.length === 0) fail(expected, text);
    for (const url of urls) {
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) fail(expected, url);
    }
    return urls.map((url) => url.replace(/\/$/, ''));
  };
  return field({ ...options, placeholder: '<urls>', expected, isSwitch: false, fromText, fromJson: listFromJson(fromText) });
}

/** `k=v,k2=v2`, as fleet's --metadata. */
export function keyValues(options: Common<Record<string, string>>): Field<Record<string, string>> {
  const expected = 'comma-separated key=value pairs';
  const fromText = (text: string) =>
    Object.fromEntries(
      splitList(text).map((pair) => {
        const at = pair.indexOf('=');
        return at > 0 ? [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] : fail(expected, pair);
      }),
    );
  return field({
    ...options,
    placeholder: '<k=v,...>',
    expected,
    isSwitch: false,
    fromText,
    fromJson: (value) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]))
        : fromText(String(value)),
  });
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds, written `250ms`, `45s`, `2m`, `1h`, or a bare number of milliseconds. */
export function duration(options: Common<number>): Field<number> {
  const expected = 'a duration such as 500ms, 45s, 2m or 1h';
  const fromText = (text: string) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
    if (!match) return fail(expected, text);
    return Math.round(Number(match[1]) * (durationUnits[match[2] ?? 'ms'] ?? 1));
  };
  return field({ ...options, placeholder: '<duration>', expected, isSwitch: false, fromText });
}
