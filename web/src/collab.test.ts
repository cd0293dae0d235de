import { describe, expect, it } from 'vitest';
import { connectionState, normaliseLink, presentUsers, rightsNotice, sideColour, yjsServerUrl } from './collab';

describe('sideColour', () => {
  it('maps each side to its colour', () => {
    expect(sideColour('employer')).toBe('#1d4ed8');
    expect(sideColour('union')).toBe('#b91c1c');
    expect(sideColour('neutral')).toBe('#4b5563');
  });
  it('falls back to neutral for anything else', () => {
    expect(sideColour('facilitator')).toBe('#4b5563');
    expect(sideColour(undefined)).toBe('#4b5563');
    expect(sideColour({})).toBe('#4b5563');
  });
});

describe('yjsServerUrl', () => {
  it('uses ws on http and wss on https, same host', () => {
    expect(yjsServerUrl({ protocol: 'http:', host: '127.0.0.1:18080' })).toBe('ws://127.0.0.1:18080/api/v1/yjs');
    expect(yjsServerUrl({ protocol: 'https:', host: 'accord.example' })).toBe('wss://accord.example/api/v1/yjs');
  });
});

describe('presentUsers', () => {
  const u = (name: unknown, side: unknown, extra: Record<string, unknown> = {}) => ({ user: { name, side, color: 'x', ...extra } });

  it('lists people with side colours, self first, then by name', () => {
    const states = new Map<number, Record<string, unknown> | null>([
      [3, u('Zoe', 'union')],
      [1, u('Bob', 'employer')],
      [7, u('Me', 'neutral')],
    ]);
    const list = presentUsers(states, 7);
    expect(list.map((p) => [p.name, p.side, p.color, p.self])).toEqual([
      ['Me', 'neutral', '#4b5563', true],
      ['Bob', 'employer', '#1d4ed8', false],
      ['Zoe', 'union', '#b91c1c', false],
    ]);
  });

  it('ignores states without a usable user and coerces unknown sides to neutral', () => {
    const states = new Map<number, Record<string, unknown> | null | undefined>([
      [1, null],
      [2, undefined],
      [3, {}],
      [4, { user: 'nope' }],
      [5, u('', 'union')],
      [6, u(42, 'union')],
      [7, u('Eve', 'martian')],
    ]);
    expect(presentUsers(states, 1).map((p) => [p.name, p.side, p.color])).toEqual([['Eve', 'neutral', '#4b5563']]);
  });

  it('lists a person with several tabs once, and as read-only only if every tab is', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, u('Ana', 'union', { readOnly: true })],
      [2, u('Ana', 'union')],
      [3, u('Obs', 'neutral', { readOnly: true })],
      [4, u('Ana', 'employer')],
    ]);
    const list = presentUsers(states, 2);
    expect(list.map((p) => [p.name, p.side, p.self, p.readOnly, p.connections])).toEqual([
      ['Ana', 'union', true, false, 2],
      ['Ana', 'employer', false, false, 1],
      ['Obs', 'neutral', false, true, 1],
    ]);
  });
});

describe('connectionState', () => {
  it('is connected when the socket is', () => {
    expect(connectionState('connected', true, 0)).toBe('connected');
  });
  it('is reconnecting for the first failed attempts, then offline', () => {
    expect(connectionState('connecting', true, 0)).toBe('reconnecting');
    expect(connectionState('disconnected', true, 2)).toBe('reconnecting');
    expect(connectionState('disconnected', true, 3)).toBe('offline');
  });
  it('is offline whenever the browser is', () => {
    expect(connectionState('connected', false, 0)).toBe('offline');
    expect(connectionState('connecting', false, 0)).toBe('offline');
  });
});

describe('normaliseLink', () => {
  it('accepts http(s) and mailto links', () => {
    expect(normaliseLink('https://example.org/a?b=c')).toBe('https://example.org/a?b=c');
    expect(normaliseLink(' http://example.org ')).toBe('http://example.org/');
    expect(normaliseLink('mailto:ana@example.org')).toBe('mailto:ana@example.org');
  });
  it('adds https:// to a bare host and mailto: to an address', () => {
    expect(normaliseLink('dufa.dk/programme')).toBe('https://dufa.dk/programme');
    expect(normaliseLink('ana@example.org')).toBe('mailto:ana@example.org');
  });
  it('refuses script and data URLs, blanks and nonsense', () => {
    expect(normaliseLink('javascript:alert(1)')).toBeNull();
    expect(normaliseLink('JaVaScRiPt:alert(1)')).toBeNull();
    expect(normaliseLink('data:text/html,<b>x</b>')).toBeNull();
    expect(normaliseLink('')).toBeNull();
    expect(normaliseLink('   ')).toBeNull();
    expect(normaliseLink('not a link')).toBeNull();
    expect(normaliseLink('word')).toBeNull();
  });
});

describe('rightsNotice', () => {
  it('reads the code the server puts before its reason', () => {
    expect(rightsNotice('observer: You are now an observer and can no longer edit.')).toEqual({ code: 'observer', canEdit: false, ended: false });
    expect(rightsNotice('signed_out: You were signed out.')).toEqual({ code: 'signed_out', canEdit: false, ended: true });
    expect(rightsNotice('removed: You no longer take part in this roundtable.').ended).toBe(true);
    expect(rightsNotice('editor: You can edit again.').canEdit).toBe(true);
  });
  it('treats anything unknown as unverifiable, not as a right', () => {
    expect(rightsNotice('whatever')).toEqual({ code: 'rights_unverifiable', canEdit: false, ended: false });
  });
});

describe('quota notices', () => {
  it('a refused change ends the connection and stops editing; a slowed sender goes on', () => {
    expect(rightsNotice('update_too_large: an update of 700000 bytes exceeds the 524288-byte limit')).toEqual({ code: 'update_too_large', canEdit: false, ended: true });
    expect(rightsNotice('document_full: the document has reached its 8388608-byte limit').ended).toBe(true);
    expect(rightsNotice('rate_limited: too many changes at once; slow down')).toEqual({ code: 'rate_limited', canEdit: true, ended: false });
  });
});
