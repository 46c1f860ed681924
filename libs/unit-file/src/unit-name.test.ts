import { describe, expect, it } from 'vitest';
import { expandSpecifiers, instanceName, parseUnitName, templateName, unitNameProblem } from './unit-name.js';

describe('unit names', () => {
  it.each(['hello.service', 'web@.service', 'web@1.service', 'a:b_c.d-e.timer', 'x.mount', 'foo\\x2dbar.service'])('accepts %s', (name) => {
    expect(unitNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', '1 to 256'],
    ['a'.repeat(250) + '.service', '1 to 256'],
    ['hello', 'no suffix'],
    ['hello.', 'no suffix'],
    ['hello.exe', 'unknown suffix'],
    ['web@1.mount', 'template or instance'],
    ['he llo.service', 'contains characters'],
    ['@x.service', 'must not start with "@"'],
  ])('refuses %j (%s)', (name, problem) => {
    expect(unitNameProblem(name)).toContain(problem);
  });

  it('splits templates and instances', () => {
    expect(parseUnitName('web@.service')).toMatchObject({ prefix: 'web', instance: '', suffix: 'service', isTemplate: true, isInstance: false });
    expect(parseUnitName('web@1.service')).toMatchObject({ prefix: 'web', instance: '1', isTemplate: false, isInstance: true });
    expect(parseUnitName('hello.service')).toMatchObject({ prefix: 'hello', instance: '', isTemplate: false, isInstance: false });
    expect(() => parseUnitName('nope')).toThrow('no suffix');
  });

  it('maps instances to templates and back', () => {
    expect(templateName('web@1.service')).toBe('web@.service');
    expect(templateName('web.service')).toBeUndefined();
    expect(instanceName('web@.service', 'a.b')).toBe('web@a.b.service');
    expect(() => instanceName('web.service', '1')).toThrow('not a template');
  });
});

describe('expandSpecifiers', () => {
  it.each([
    ['foo@bar.service', '%n|%N|%p|%i', 'foo@bar.service|foo@bar|foo|bar'],
    ['foo.service', '%n|%N|%p|%i', 'foo.service|foo|foo|'],
    ['web@1.service', 'web@*.service %i', 'web@*.service 1'],
    ['web@1.service', '%H %% %', '%H %% %'],
  ])('%s: %s → %s', (name, text, expected) => {
    expect(expandSpecifiers(text, name)).toBe(expected);
  });

  it('turns %% into % only when asked (systemd does, fleet does not)', () => {
    expect(expandSpecifiers('100%% %i', 'a@b.service', { percent: true })).toBe('100% b');
  });
});
