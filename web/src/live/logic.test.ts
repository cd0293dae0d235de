import { describe, expect, it } from 'vitest';
import { translate } from '../i18n';
import {
  backoffDelay,
  ballotFor,
  codeFromPath,
  formatCode,
  initialPollIndex,
  mayAnnounce,
  mergePoll,
  mergeQuestion,
  mergeTally,
  moveItem,
  parseServerMessage,
  percentOf,
  publicQuestions,
  resultLabel,
  resultsFromTally,
  scaleValues,
  wsUrl,
} from './logic';
import type { Poll, Question, Results } from './types';

const en = (k: string, v?: Record<string, string | number>) => translate('en', k, v);
const da = (k: string, v?: Record<string, string | number>) => translate('da', k, v);

const poll = (over: Partial<Poll> = {}): Poll => ({
  id: 'p1',
  roundtable_id: 'r1',
  question: 'Where are you?',
  kind: 'single',
  options: [
    { id: 'a', label: 'Not started' },
    { id: 'b', label: 'Analyse and plan' },
    { id: 'c', label: 'Pilot' },
  ],
  max_choices: null,
  scale_min: null,
  scale_max: null,
  secret: false,
  audience: true,
  results: 'live',
  status: 'open',
  created_at: '2025-01-01T00:00:00Z',
  voted: false,
  ...over,
});

const results = (total: number, over: Partial<Results> = {}): Results => ({
  poll_id: 'p1',
  kind: 'single',
  total,
  options: [],
  rating: null,
  ranking: [],
  words: [],
  ...over,
});

describe('result labels', () => {
  it('rounds half up from count and total like the server', () => {
    expect(percentOf(15, 28)).toBe(54);
    expect(percentOf(1, 3)).toBe(33);
    expect(percentOf(2, 3)).toBe(67);
    expect(percentOf(1, 8)).toBe(13); // 12.5 → 13
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(3, 3)).toBe(100);
  });
  it('formats "54% — 15 of 28" in English and "54 % — 15 af 28" in Danish', () => {
    expect(resultLabel(en, 15, 28)).toBe('54% — 15 of 28');
    expect(resultLabel(en, 1, 3)).toBe('33% — 1 of 3');
    expect(resultLabel(da, 15, 28)).toBe('54 % — 15 af 28');
    expect(resultLabel(en, 0, 0)).toBe('0% — 0 of 0');
  });
});

describe('ranking reorder', () => {
  it('moves an item up and down without mutating the input', () => {
    const list = ['a', 'b', 'c', 'd'];
    expect(moveItem(list, 2, -1)).toEqual(['a', 'c', 'b', 'd']);
    expect(moveItem(list, 0, 1)).toEqual(['b', 'a', 'c', 'd']);
    expect(moveItem(list, 1, 5)).toEqual(['a', 'c', 'd', 'b']);
    expect(list).toEqual(['a', 'b', 'c', 'd']);
  });
  it('leaves the list alone at the edges or for bad indexes', () => {
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
    expect(moveItem(['a', 'b'], 1, 1)).toEqual(['a', 'b']);
    expect(moveItem(['a', 'b'], 7, 1)).toEqual(['a', 'b']);
  });
});

describe('tally merging', () => {
  it('takes the envelope off a tally message', () => {
    const r = resultsFromTally({ v: 1, type: 'tally', room: 'roundtable:r1', poll_id: 'p1', kind: 'single', total: 3, options: [] });
    expect(r).toEqual({ poll_id: 'p1', kind: 'single', total: 3, options: [], ranking: [], words: [], rating: null });
  });
  it('keeps the newest snapshot and ignores a stale, smaller one', () => {
    let known: Record<string, Results> = {};
    known = mergeTally(known, results(2));
    known = mergeTally(known, results(3));
    expect(known.p1.total).toBe(3);
    const same = mergeTally(known, results(1));
    expect(same).toBe(known);
    // A changed vote keeps the total but moves counts: the new snapshot wins.
    const moved = mergeTally(known, results(3, { options: [{ option_id: 'a', label: 'A', count: 3, percent: 100 }] }));
    expect(moved.p1.options[0].count).toBe(3);
    expect(mergeTally(moved, results(1, { poll_id: 'p2' })).p2.total).toBe(1);
  });
  it('keeps my voted flag and my upvote when a broadcast does not carry them', () => {
    const polls = mergePoll([poll({ voted: true })], poll({ status: 'closed', voted: false }));
    expect(polls).toHaveLength(1);
    expect(polls[0]).toMatchObject({ status: 'closed', voted: true });
    const q: Question = { id: 'q1', text: 'Why?', from: 'participant', author_name: null, votes: 1, status: 'approved', created_at: 'x', voted_by_me: true };
    expect(mergeQuestion([q], { ...q, votes: 2, voted_by_me: false })[0]).toMatchObject({ votes: 2, voted_by_me: true });
  });
  it('sorts approved questions by votes', () => {
    const q = (id: string, votes: number, status: Question['status'] = 'approved', created_at = '2025-01-01'): Question => ({
      id, text: id, from: 'participant', author_name: null, votes, status, created_at, voted_by_me: false,
    });
    const out = publicQuestions([q('a', 1), q('b', 5), q('c', 9, 'pending'), q('d', 5, 'approved', '2024-01-01'), q('e', 3, 'hidden')]);
    expect(out.map((x) => x.id)).toEqual(['d', 'b', 'a']);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially, is capped and jittered between half and all of the step', () => {
    expect(backoffDelay(0, () => 0)).toBe(250);
    expect(backoffDelay(0, () => 1)).toBe(500);
    expect(backoffDelay(3, () => 1)).toBe(4000);
    expect(backoffDelay(3, () => 0)).toBe(2000);
    expect(backoffDelay(50, () => 1)).toBe(30_000);
    expect(backoffDelay(50, () => 0)).toBe(15_000);
    for (let i = 0; i < 8; i++) expect(backoffDelay(i + 1, () => 0.5)).toBeGreaterThanOrEqual(backoffDelay(i, () => 0.5));
  });
  it('throttles announcements to one per interval', () => {
    expect(mayAnnounce(null, 0)).toBe(true);
    expect(mayAnnounce(1000, 5000)).toBe(false);
    expect(mayAnnounce(1000, 11_000)).toBe(true);
  });
});

describe('socket messages and ballots', () => {
  it('parses server messages and refuses junk', () => {
    expect(parseServerMessage('nope')).toBeNull();
    expect(parseServerMessage('{"v":1}')).toBeNull();
    expect(parseServerMessage('{"v":1,"type":"what"}')).toBeNull();
    expect(parseServerMessage(new ArrayBuffer(2))).toBeNull();
    const sub = parseServerMessage('{"v":1,"type":"subscribed","room":"roundtable:r1","polls":[],"questions":[]}');
    expect(sub).toMatchObject({ type: 'subscribed', polls: [], questions: [], tallies: [] });
    const withTallies = parseServerMessage(
      '{"v":1,"type":"subscribed","room":"r","polls":[],"questions":[],"tallies":[{"poll_id":"p1","kind":"single","total":4,"options":[]},{"x":1}]}',
    );
    expect(withTallies).toMatchObject({ tallies: [{ poll_id: 'p1', total: 4, ranking: [], words: [] }] });
    const tally = parseServerMessage('{"v":1,"type":"tally","room":"roundtable:r1","poll_id":"p1","kind":"single","total":2,"options":[]}');
    expect(tally).toMatchObject({ type: 'tally', poll_id: 'p1', total: 2 });
    expect(parseServerMessage('{"v":1,"type":"tally"}')).toBeNull();
    expect(parseServerMessage('{"v":1,"type":"vote_ack","poll_id":"p1"}')).toEqual({ v: 1, type: 'vote_ack', poll_id: 'p1' });
  });
  it('builds ballots per kind and validates them', () => {
    const d = { choices: [] as string[], rating: null as number | null, ranking: [] as string[], text: '' };
    expect(ballotFor(poll(), d)).toEqual({ error: 'vote.chooseOne' });
    expect(ballotFor(poll(), { ...d, choices: ['b'] })).toEqual({ ballot: { choices: ['b'] } });
    const multi = poll({ kind: 'multiple', max_choices: 2 });
    expect(ballotFor(multi, { ...d, choices: ['a', 'b', 'c'] })).toEqual({ error: 'vote.tooMany' });
    expect(ballotFor(multi, { ...d, choices: ['a', 'c'] })).toEqual({ ballot: { choices: ['a', 'c'] } });
    expect(ballotFor(poll({ kind: 'rating' }), { ...d, rating: 4 })).toEqual({ ballot: { rating: 4 } });
    expect(ballotFor(poll({ kind: 'ranking' }), { ...d, ranking: ['c', 'a', 'b'] })).toEqual({ ballot: { ranking: ['c', 'a', 'b'] } });
    expect(ballotFor(poll({ kind: 'text' }), { ...d, text: '   ' })).toEqual({ error: 'vote.textRequired' });
    expect(ballotFor(poll({ kind: 'text' }), { ...d, text: 'x'.repeat(281) })).toEqual({ error: 'vote.textTooLong' });
    expect(ballotFor(poll({ kind: 'text' }), { ...d, text: ' time ' })).toEqual({ ballot: { text: 'time' } });
  });
  it('knows scales, join codes, URLs and the first poll to present', () => {
    expect(scaleValues({ scale_min: null, scale_max: null })).toEqual([1, 2, 3, 4, 5]);
    expect(scaleValues({ scale_min: 0, scale_max: 100 })).toHaveLength(11);
    expect(codeFromPath('/live/ab12 cd')).toBe('AB12CD');
    expect(codeFromPath('/live/k7-q2')).toBe('K7-Q2');
    expect(codeFromPath('/live')).toBe('');
    expect(formatCode('ABCDEFGHJ')).toBe('ABC-DEF-GHJ');
    expect(formatCode('abc-def ghj')).toBe('ABC-DEF-GHJ');
    expect(formatCode('')).toBe('');
    expect(codeFromPath('/live/%E0%A4%A')).toBe('');
    expect(wsUrl({ protocol: 'https:', host: 'accord.example' })).toBe('wss://accord.example/api/v1/ws');
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/ws');
    expect(initialPollIndex([poll({ id: 'a', status: 'closed' }), poll({ id: 'b', status: 'open' }), poll({ id: 'c', status: 'draft' })])).toBe(1);
    expect(initialPollIndex([poll({ id: 'a', status: 'closed' }), poll({ id: 'c', status: 'draft' })])).toBe(1);
    expect(initialPollIndex([])).toBe(-1);
  });
});
