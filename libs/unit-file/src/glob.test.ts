import { describe, expect, it } from 'vitest';
import { globMatch } from './glob.js';

describe("globMatch (Go's path.Match)", () => {
  it.each([
    ['hello*', 'hello.service', true],
    ['hello*', 'hello@1.service', true],
    ['hello*', 'other.service', false],
    ['*', 'anything.service', true],
    ['*', 'a/b', false],
    ['web@?.service', 'web@1.service', true],
    ['web@?.service', 'web@12.service', false],
    ['web@[0-4].service', 'web@3.service', true],
    ['web@[0-4].service', 'web@7.service', false],
    ['web@[^0-4].service', 'web@7.service', true],
    ['web@[^0-4].service', 'web@3.service', false],
    ['a.service', 'a.service', true],
    ['a.service', 'aXservice', false],
    ['a\\*.service', 'a*.service', true],
    ['a\\*.service', 'ab.service', false],
    ['[ab-].service', '-.service', true],
    ['web@[', 'web@[', false],
    ['trailing\\', 'trailing\\', false],
    ['(x)|y+.service', '(x)|y+.service', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(globMatch(pattern, name)).toBe(expected);
  });
});
