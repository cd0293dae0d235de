import { describe, expect, it } from 'vitest';
import { translate } from '../i18n';
import { knownMinGroup, meanText, mergeTally, parseServerMessage, resultsFromTally, secrecyFrom, showsSplit, splitFigure, splitText } from './logic';
import type { BySide, Results } from './types';

const en = (k: string, v?: Record<string, string | number>) => translate('en', k, v);
const da = (k: string, v?: Record<string, string | number>) => translate('da', k, v);

const sides = <T,>(employer: T, union: T, neutral: T, audience: T): BySide<T> => ({ employer, union, neutral, audience });

/** A closed secret poll with one employer ballot (as the server sends it: every split withheld). */
const loneEmployer = {
  poll_id: 'p1',
  kind: 'single',
  total: 1,
  by_side: sides(1, 0, 0, 0),
  options: [
    { option_id: 'a', label: 'Yes', count: 1, percent: 100, by_side: sides(null, null, null, null) },
    { option_id: 'b', label: 'No', count: 0, percent: 0, by_side: sides(null, null, null, null) },
  ],
  rating: null,
  ranking: [],
  words: [],
  secrecy: { min_group: 5, sides: sides(true, true, true, true), live_step: false },
};

describe('secret poll tallies', () => {
  it('keeps the secrecy of a participant tally and the nulls of withheld splits', () => {
    const r = resultsFromTally({ v: 1, type: 'tally', room: 'roundtable:r1', ...loneEmployer });
    expect(r.secrecy).toEqual({ min_group: 5, sides: sides(true, true, true, true), live_step: false, result: false });
    expect(r.options[0].by_side?.employer).toBeNull();
    expect(r).not.toHaveProperty('room');
  });

  it('turns the audience tally’s live_step_of into the same secrecy shape, and drops a null one', () => {
    const r = resultsFromTally({ poll_id: 'p1', kind: 'single', total: 5, options: [], ranking: [], words: [], rating: null, live_step_of: 5 });
    expect(r.secrecy).toEqual({ min_group: 5, sides: sides(true, true, true, true), live_step: true, result: false });
    expect(r).not.toHaveProperty('live_step_of');
    const open = resultsFromTally({ poll_id: 'p1', kind: 'single', total: 2, options: [], live_step_of: null });
    expect(open).not.toHaveProperty('secrecy');
    expect(open).not.toHaveProperty('live_step_of');
  });

  it('treats malformed or partial secrecy safely', () => {
    expect(secrecyFrom(null)).toBeNull();
    expect(secrecyFrom({ min_group: 0, sides: {}, live_step: false })).toBeNull();
    expect(secrecyFrom({ min_group: 'five' })).toBeNull();
    expect(secrecyFrom(undefined, 0)).toBeNull();
    // A group the server does not mention counts as withheld.
    expect(secrecyFrom({ min_group: 7, sides: { employer: false }, live_step: false })).toEqual({
      min_group: 7,
      sides: sides(false, true, true, true),
      live_step: false,
      result: false,
    });
    // Closed with fewer than k ballots: only their number, for participants and audience alike.
    expect(secrecyFrom({ min_group: 5, sides: {}, live_step: false, result: true })?.result).toBe(true);
    expect(secrecyFrom(undefined, null, 5)).toEqual({ min_group: 5, sides: sides(true, true, true, true), live_step: false, result: true });
    // While live, every group is withheld whatever the sides say.
    expect(secrecyFrom({ min_group: 3, sides: sides(false, false, false, false), live_step: true })?.sides).toEqual(sides(true, true, true, true));
  });

  it('parses secret tallies pushed on the socket, in tallies of subscribed too', () => {
    const msg = parseServerMessage(JSON.stringify({ v: 1, type: 'tally', room: 'roundtable:r1', ...loneEmployer }));
    expect(msg).toMatchObject({ type: 'tally', secrecy: { min_group: 5, live_step: false } });
    const sub = parseServerMessage(JSON.stringify({ v: 1, type: 'subscribed', room: 'r', polls: [], questions: [], tallies: [{ poll_id: 'p2', kind: 'single', total: 0, options: [], live_step_of: 4 }] }));
    expect(sub).toMatchObject({ tallies: [{ poll_id: 'p2', secrecy: { min_group: 4, live_step: true } }] });
  });

  it('shows "fewer than k" for a withheld small group, "not shown" for a withheld large one, a dash for none', () => {
    const r = resultsFromTally(loneEmployer);
    const yes = r.options[0].by_side;
    expect(splitFigure(r, yes, 'employer')).toEqual({ kind: 'fewer', k: 5 });
    expect(splitText(en, splitFigure(r, yes, 'employer'))).toBe('fewer than 5');
    expect(splitText(da, splitFigure(r, yes, 'employer'))).toBe('færre end 5');
    // Nobody on the union side voted: no figure to withhold.
    expect(splitText(en, splitFigure(r, yes, 'union'))).toBe('—');

    // 6 employers, 9 union, 2 neutral: the neutral split is withheld (2 < 5), and so is the
    // employer one (6 ≥ 5), or the neutral ballots would be total minus employer minus union.
    const big = resultsFromTally({
      ...loneEmployer,
      total: 17,
      by_side: sides(6, 9, 2, 0),
      options: [{ option_id: 'a', label: 'Yes', count: 10, percent: 59, by_side: sides(null, 7, null, null) }],
      secrecy: { min_group: 5, sides: sides(true, false, true, true), live_step: false },
    });
    const split = big.options[0].by_side;
    expect(splitText(en, splitFigure(big, split, 'union'))).toBe('78% — 7 of 9');
    expect(splitFigure(big, split, 'neutral')).toEqual({ kind: 'fewer', k: 5 });
    expect(splitFigure(big, split, 'employer')).toEqual({ kind: 'withheld', k: 5 });
    expect(splitText(en, splitFigure(big, split, 'employer'))).toBe('not shown');
    expect(splitText(da, splitFigure(big, split, 'employer'))).toBe('vises ikke');
  });

  it('takes k from the data, not a constant', () => {
    const r = resultsFromTally({ ...loneEmployer, by_side: sides(4, 0, 0, 0), secrecy: { min_group: 8, sides: sides(true, true, true, true), live_step: false } });
    expect(splitText(en, splitFigure(r, r.options[0].by_side, 'employer'))).toBe('fewer than 8');
    expect(knownMinGroup([resultsFromTally({ poll_id: 'x', total: 0 }), r])).toBe(8);
    expect(knownMinGroup([])).toBe(5);
  });

  it('still shows figures of a poll that is not secret, zero included', () => {
    const r: Results = {
      poll_id: 'p1', kind: 'single', total: 3, by_side: sides(2, 1, 0, 0),
      options: [{ option_id: 'a', label: 'Yes', count: 2, percent: 67, by_side: sides(2, 0, 0, 0) }],
      rating: null, ranking: [], words: [],
    };
    expect(splitText(en, splitFigure(r, r.options[0].by_side, 'employer'))).toBe('100% — 2 of 2');
    expect(splitText(en, splitFigure(r, r.options[0].by_side, 'union'))).toBe('0% — 0 of 1');
    expect(splitText(en, splitFigure(r, r.options[0].by_side, 'neutral'))).toBe('—');
    expect(showsSplit(r)).toBe(true);
  });

  it('shows no split at all while an open secret poll moves in steps, and says so', () => {
    const live = resultsFromTally({ ...loneEmployer, total: 0, by_side: sides(0, 0, 0, 0), secrecy: { min_group: 5, sides: sides(true, true, true, true), live_step: true } });
    expect(showsSplit(live)).toBe(false);
    expect(showsSplit(resultsFromTally(loneEmployer))).toBe(true);
    expect(en('results.liveStep', { k: 5 })).toContain('Results update in steps of 5 ballots to keep ballots secret');
    expect(da('results.liveStep', { k: 5 })).toContain('i trin af 5 stemmer');
  });

  it('withholds rating means the same way', () => {
    const r = resultsFromTally({
      ...loneEmployer,
      kind: 'rating',
      by_side: sides(1, 6, 0, 0),
      options: [],
      rating: { mean: 3.2, distribution: [], mean_by_side: sides(null, null, null, null) },
      secrecy: { min_group: 5, sides: sides(true, true, true, true), live_step: false },
    });
    expect(meanText(en, r, 'employer')).toBe('fewer than 5');
    expect(meanText(en, r, 'union')).toBe('not shown');
    expect(meanText(en, r, 'neutral')).toBe('—');
    const shown = resultsFromTally({ ...r, rating: { mean: 3.2, distribution: [], mean_by_side: sides(null, 3.5, null, null) }, secrecy: { min_group: 5, sides: sides(true, false, true, true), live_step: false } });
    expect(meanText(en, shown, 'union')).toBe('Average 3.5');
  });

  it('lets the final tally of a secret poll replace its last live step', () => {
    const step = resultsFromTally({ ...loneEmployer, total: 5, secrecy: { min_group: 5, sides: sides(true, true, true, true), live_step: true } });
    const final = resultsFromTally({ ...loneEmployer, total: 5 });
    const known = mergeTally(mergeTally({}, step), final);
    expect(known.p1.secrecy?.live_step).toBe(false);
  });
});
