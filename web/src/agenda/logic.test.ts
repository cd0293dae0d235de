import { describe, expect, it } from 'vitest';
import { applyOrder, dropIndex, FORM_DEFAULTS, formValuesOf, moveBy, moveTo, removeById } from './logic';
import { parseServerMessage } from '../live/logic';
import type { Poll } from '../live/types';

const p = (id: string) => ({ id });

describe('applyOrder', () => {
  it('puts the list in the order given', () => {
    expect(applyOrder([p('a'), p('b'), p('c')], ['c', 'a', 'b']).map((x) => x.id)).toEqual(['c', 'a', 'b']);
  });
  it('keeps polls the order does not name last, in their own order, and ignores unknown ids', () => {
    expect(applyOrder([p('new1'), p('a'), p('b'), p('new2')], ['b', 'zzz', 'a']).map((x) => x.id)).toEqual(['b', 'a', 'new1', 'new2']);
  });
  it('does not change its input', () => {
    const list = [p('a'), p('b')];
    applyOrder(list, ['b', 'a']);
    expect(list.map((x) => x.id)).toEqual(['a', 'b']);
  });
});

describe('moves', () => {
  const ids = ['a', 'b', 'c', 'd'];
  it('moves one place up or down, and not past either end', () => {
    expect(moveBy(ids, 'b', -1)).toEqual(['b', 'a', 'c', 'd']);
    expect(moveBy(ids, 'b', 1)).toEqual(['a', 'c', 'b', 'd']);
    expect(moveBy(ids, 'a', -1)).toBeNull();
    expect(moveBy(ids, 'd', 1)).toBeNull();
    expect(moveBy(ids, 'x', 1)).toBeNull();
  });
  it('moves to an index, clamped', () => {
    expect(moveTo(ids, 'a', 2)).toEqual(['b', 'c', 'a', 'd']);
    expect(moveTo(ids, 'd', 0)).toEqual(['d', 'a', 'b', 'c']);
    expect(moveTo(ids, 'b', 99)).toEqual(['a', 'c', 'd', 'b']);
    expect(moveTo(ids, 'b', 1)).toBeNull();
  });
  it('drops a dragged poll in the place of the one it is dropped on, either way', () => {
    expect(moveTo(ids, 'a', dropIndex(ids, 'a', 'c'))).toEqual(['b', 'c', 'a', 'd']);
    expect(moveTo(ids, 'd', dropIndex(ids, 'd', 'b'))).toEqual(['a', 'd', 'b', 'c']);
    expect(moveTo(ids, 'b', dropIndex(ids, 'b', 'b'))).toBeNull();
  });
  it('removes by id', () => {
    expect(removeById([p('a'), p('b')], 'a')).toEqual([p('b')]);
  });
});

describe('the poll form', () => {
  it('starts with nothing ticked', () => {
    expect(FORM_DEFAULTS.secret).toBe(false);
    expect(FORM_DEFAULTS.audience).toBe(false);
    expect(FORM_DEFAULTS.results).toBe('live');
    expect(FORM_DEFAULTS.kind).toBe('single');
  });
  it('edits a draft from its own values', () => {
    const draft = {
      id: 'x',
      roundtable_id: 'r',
      question: 'Q?',
      kind: 'multiple',
      options: [
        { id: '1', label: 'A' },
        { id: '2', label: 'B' },
      ],
      max_choices: 2,
      scale_min: null,
      scale_max: null,
      secret: true,
      audience: false,
      results: 'on_close',
      status: 'draft',
      created_at: '2026-01-01T00:00:00Z',
      subject: null,
      voted: false,
    } as unknown as Poll;
    expect(formValuesOf(draft)).toEqual({
      question: 'Q?',
      kind: 'multiple',
      options: ['A', 'B'],
      maxChoices: '2',
      scaleMin: '1',
      scaleMax: '5',
      secret: true,
      audience: false,
      results: 'on_close',
    });
  });
});

describe('agenda messages', () => {
  it('reads poll_removed and poll_order, and refuses malformed ones', () => {
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'poll_removed', room: 'r', poll_id: 'a' }))?.type).toBe('poll_removed');
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'poll_removed', room: 'r' }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'poll_order', room: 'r', poll_ids: ['a', 'b'] }))?.type).toBe('poll_order');
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'poll_order', room: 'r', poll_ids: [1] }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ v: 1, type: 'poll_order', room: 'r' }))).toBeNull();
  });
});
