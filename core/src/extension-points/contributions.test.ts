import 'reflect-metadata';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { AdmitHandler, admitted } from './admit-handler.js';
import { Contributions } from './contributions.js';

const handler = (name: string): AdmitHandler => ({ name, admit: async () => admitted });

describe('Contributions', () => {
  it('is an empty list when nobody contributes', () => {
    expect(new Contributions(new Container()).getAll(AdmitHandler)).toEqual([]);
  });

  it('lists built-ins first, then plugins by name, and forgets a removed plugin', () => {
    const root = new Container();
    root.bind(AdmitHandler).toConstantValue(handler('builtin'));
    const contributions = new Contributions(root);
    const child = (name: string) => {
      const c = new Container({ parent: root });
      c.bind(AdmitHandler).toConstantValue(handler(name));
      return c;
    };
    contributions.addPlugin('zeta', child('zeta'));
    contributions.addPlugin('alpha', child('alpha'));
    contributions.addPlugin('status-only', new Container({ parent: root }));
    expect(contributions.getAll<AdmitHandler>(AdmitHandler).map((h) => h.name)).toEqual(['builtin', 'alpha', 'zeta']);
    contributions.removePlugin('alpha');
    expect(contributions.getAll<AdmitHandler>(AdmitHandler).map((h) => h.name)).toEqual(['builtin', 'zeta']);
  });
});
