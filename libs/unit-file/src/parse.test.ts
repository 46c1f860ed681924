import { describe, expect, it } from 'vitest';
import { UnitFileError } from './errors.js';
import { parseUnitFile } from './parse.js';
import { optionValues, lastValue } from './unit-option.js';

function problemOf(text: string): UnitFileError {
  try {
    parseUnitFile(text);
  } catch (error) {
    if (error instanceof UnitFileError) return error;
    throw error;
  }
  throw new Error('expected a UnitFileError');
}

describe('parseUnitFile', () => {
  it('reads sections and assignments in order, keeping repeated names', () => {
    const options = parseUnitFile('[Unit]\nDescription=Hello\nAfter=a.service\nAfter=b.service\n\n[Service]\nExecStart=/bin/sleep 1000\n');
    expect(options).toEqual([
      { section: 'Unit', name: 'Description', value: 'Hello' },
      { section: 'Unit', name: 'After', value: 'a.service' },
      { section: 'Unit', name: 'After', value: 'b.service' },
      { section: 'Service', name: 'ExecStart', value: '/bin/sleep 1000' },
    ]);
  });

  it('skips # and ; comments and blank lines, and trims whitespace around names and values', () => {
    const options = parseUnitFile('# top\n; also\n  [Service]  \n   Type = simple   \n\n\t# indented comment\nUser=core\n');
    expect(options).toEqual([
      { section: 'Service', name: 'Type', value: 'simple' },
      { section: 'Service', name: 'User', value: 'core' },
    ]);
  });

  it('joins lines ending in a backslash with a space, skipping comment lines inside the continuation', () => {
    const options = parseUnitFile('[Service]\nExecStart=/bin/echo one \\\n  two \\\n# a comment in between\n; another\n  three\nUser=x\n');
    expect(options).toEqual([
      { section: 'Service', name: 'ExecStart', value: '/bin/echo one  two  three' },
      { section: 'Service', name: 'User', value: 'x' },
    ]);
  });

  it('ends a continuation at the end of the file', () => {
    expect(parseUnitFile('[Service]\nExecStart=/bin/true \\')).toEqual([{ section: 'Service', name: 'ExecStart', value: '/bin/true' }]);
  });

  it('keeps quoting verbatim, values containing "=" and "#" intact', () => {
    const options = parseUnitFile('[Service]\nEnvironment="A=1 2" B=3\nExecStart=/bin/sh -c \'echo "#not a comment"; exit 0\'\n');
    expect(options[0]?.value).toBe('"A=1 2" B=3');
    expect(options[1]?.value).toBe('/bin/sh -c \'echo "#not a comment"; exit 0\'');
  });

  it('keeps empty assignments, which reset list settings', () => {
    const options = parseUnitFile('[X-Fleet]\nConflicts=a*\nConflicts=\nConflicts=b*\n');
    expect(options).toHaveLength(3);
    expect(options[1]?.value).toBe('');
    expect(optionValues(options, 'X-Fleet', 'Conflicts')).toEqual(['b*']);
    expect(lastValue(options, 'X-Fleet', 'Conflicts')).toBe('b*');
  });

  it('accepts CRLF line ends and a byte order mark', () => {
    expect(parseUnitFile('\uFEFF[Unit]\r\nDescription=x\r\n')).toEqual([{ section: 'Unit', name: 'Description', value: 'x' }]);
  });

  it('repeats a section: its options are appended in order', () => {
    expect(parseUnitFile('[A]\nx=1\n[B]\ny=2\n[A]\nz=3\n').map((o) => `${o.section}.${o.name}`)).toEqual(['A.x', 'B.y', 'A.z']);
  });

  it('returns no options for an empty file', () => {
    expect(parseUnitFile('')).toEqual([]);
    expect(parseUnitFile('# only a comment\n\n')).toEqual([]);
  });

  it.each([
    ['ExecStart=/bin/true\n', 1, 'before any [Section] header'],
    ['[Service]\nthis is not an assignment\n', 2, 'is not an assignment'],
    ['[Service]\n=value\n', 2, 'has no name'],
    ['[Service\nA=b\n', 1, 'is not closed'],
    ['[Unit]\n\n[]\n', 3, 'not a valid section name'],
    ['[Unit]\nBad Name=1\n', 2, 'contains whitespace'],
    ['[Unit]\nA=1\nB=2 \\\n  more\nbroken\n', 5, 'is not an assignment'],
  ])('names the line and the problem: %j', (text, line, problem) => {
    const error = problemOf(text);
    expect(error.line).toBe(line);
    expect(error.message).toContain(`line ${line}:`);
    expect(error.problem).toContain(problem);
    expect(error.code).toBe('UNIT_ERR_INVALID');
  });

  it('reports a continued assignment at the line where it starts', () => {
    expect(problemOf('[Unit]\nbroken \\\n  still broken\n').line).toBe(2);
  });
});
