import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import { translate, type TFunction } from '../i18n';
import { parseServerMessage } from '../live/logic';
import type { Poll, Results } from '../live/types';
import {
  audienceFor,
  indicativeDefaults,
  isPassageSubject,
  isVersionSubject,
  passageHref,
  pollAnchor,
  pollHref,
  pollIdFromHash,
  pollsOfPassage,
  pollsOfVersion,
  resultSummary,
  subjectError,
  subjectFromKey,
  subjectHref,
  subjectKey,
  templateParts,
  versionHref,
  versionSubjectLabel,
  versionSubjectTitle,
} from './logic';

const tEn: TFunction = (k, v) => translate('en', k, v);
const tDa: TFunction = (k, v) => translate('da', k, v);

const V1 = '11111111-1111-4111-8111-111111111111';
const V2 = '22222222-2222-4222-8222-222222222222';
const DOC = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const C1 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

function poll(id: string, created_at: string, subject: Poll['subject']): Pick<Poll, 'id' | 'created_at' | 'subject'> {
  return { id, created_at, subject };
}

const version = { number: 3, name: 'Final draft', sha256: '3F9A2C1B7E04AA55' + '0'.repeat(48) };

describe('subjects', () => {
  it('tells a version from a passage, and neither from null', () => {
    expect(isVersionSubject({ version_id: V1 })).toBe(true);
    expect(isPassageSubject({ version_id: V1 })).toBe(false);
    expect(isPassageSubject({ document_id: DOC, comment_id: C1 })).toBe(true);
    expect(isVersionSubject({ document_id: DOC, comment_id: C1 })).toBe(false);
    expect(isVersionSubject(null)).toBe(false);
    expect(isPassageSubject(undefined)).toBe(false);
  });

  it('keys round-trip, and "" is nothing in particular', () => {
    for (const s of [{ version_id: V1 }, { document_id: DOC, comment_id: C1 }]) expect(subjectFromKey(subjectKey(s))).toEqual(s);
    expect(subjectFromKey('')).toBeNull();
    expect(subjectFromKey('x:1')).toBeNull();
  });

  it('lists the polls that name a version or a passage, newest first', () => {
    const polls = [
      poll('a', '2025-01-01T10:00:00Z', { version_id: V1 }),
      poll('b', '2025-01-01T11:00:00Z', { version_id: V2 }),
      poll('c', '2025-01-01T12:00:00Z', { version_id: V1 }),
      poll('d', '2025-01-01T12:00:00Z', null),
      poll('e', '2025-01-01T13:00:00Z', { document_id: DOC, comment_id: C1 }),
      poll('f', '2025-01-01T09:00:00Z', undefined),
    ];
    expect(pollsOfVersion(polls, V1).map((p) => p.id)).toEqual(['c', 'a']);
    expect(pollsOfVersion(polls, V2).map((p) => p.id)).toEqual(['b']);
    expect(pollsOfVersion(polls, 'nope')).toEqual([]);
    expect(pollsOfPassage(polls, C1).map((p) => p.id)).toEqual(['e']);
    // A passage's comment id is never taken for a version id, nor the other way round.
    expect(pollsOfVersion(polls, C1)).toEqual([]);
    expect(pollsOfPassage(polls, V1)).toEqual([]);
    // Same time: a stable order by id.
    const tied = [poll('x', '2025-01-01T10:00:00Z', { version_id: V1 }), poll('y', '2025-01-01T10:00:00Z', { version_id: V1 })];
    expect(pollsOfVersion(tied, V1).map((p) => p.id)).toEqual(['y', 'x']);
    expect(pollsOfVersion([...tied].reverse(), V1).map((p) => p.id)).toEqual(['y', 'x']);
  });

  it('labels a version subject with document, number, name and the first 12 of its hash', () => {
    expect(versionSubjectLabel('Programme', version, tEn)).toBe('Decides: Programme v3 “Final draft” · 3f9a2c1b7e04');
    expect(versionSubjectLabel('Programme', version, tDa)).toBe('Afgør: Programme v3 »Final draft« · 3f9a2c1b7e04');
    expect(versionSubjectLabel(' Notes ', { ...version, name: ' ' }, tEn)).toBe('Decides: Notes v3 · 3f9a2c1b7e04');
    expect(versionSubjectTitle('Programme', version, tEn)).toBe('Programme v3 “Final draft”');
  });

  it('cuts a template at its placeholders (to draw a part as a link)', () => {
    expect(templateParts(tEn('subject.decidesVersion'))).toEqual([{ text: 'Decides: ' }, { name: 'title' }, { text: ' · ' }, { name: 'hash' }]);
    expect(templateParts(tDa('subject.decidesPassage'))).toEqual([{ text: 'Afgør et tekststykke i ' }, { name: 'document' }, { text: ':' }]);
    expect(templateParts('{a}{b}')).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(templateParts('plain')).toEqual([{ text: 'plain' }]);
  });

  it('links to the version, the passage and the poll', () => {
    expect(versionHref(DOC, V1)).toBe(`/documents/${DOC}?version=${V1}`);
    expect(passageHref(DOC, C1)).toBe(`/documents/${DOC}?comment=${C1}`);
    expect(subjectHref({ version_id: V1 }, DOC)).toBe(versionHref(DOC, V1));
    expect(subjectHref({ version_id: V1 })).toBeNull();
    expect(subjectHref({ document_id: DOC, comment_id: C1 })).toBe(passageHref(DOC, C1));
    expect(pollHref('r t', 'p1')).toBe('/roundtables/r%20t#poll-p1');
    expect(pollIdFromHash(`#${pollAnchor('p1')}`)).toBe('p1');
    expect(pollIdFromHash('#polls')).toBeNull();
    expect(pollIdFromHash('#poll-')).toBeNull();
    expect(pollIdFromHash('#poll-%E0%A4%A')).toBeNull();
  });

  it('sums a closed poll up in one line, most votes first', () => {
    const r: Results = {
      poll_id: 'p',
      kind: 'single',
      total: 3,
      options: [
        { option_id: 'n', label: 'No', count: 1, percent: 33 },
        { option_id: 'y', label: 'Yes', count: 2, percent: 67 },
        { option_id: 'a', label: 'Abstain', count: 0, percent: 0 },
      ],
      rating: null,
      ranking: [],
      words: [],
    };
    expect(resultSummary({ kind: 'single' }, r, tEn)).toBe('Yes 67% — 2 of 3 · No 33% — 1 of 3 · Abstain 0% — 0 of 3');
    expect(resultSummary({ kind: 'single' }, r, tDa)).toBe('Yes 67 % — 2 af 3 · No 33 % — 1 af 3 · Abstain 0 % — 0 af 3');
    expect(resultSummary({ kind: 'single' }, { ...r, total: 0, options: [] }, tEn)).toBe('No votes yet.');
    expect(resultSummary({ kind: 'rating' }, { ...r, kind: 'rating', rating: { mean: 3.25, distribution: [] } }, tEn)).toBe('Average 3.3 (3 votes)');
    expect(
      resultSummary(
        { kind: 'ranking' },
        { ...r, kind: 'ranking', ranking: [{ option_id: 'a', label: 'A', points: 3, first_choices: 1 }, { option_id: 'b', label: 'B', points: 5, first_choices: 2 }] },
        tEn,
      ),
    ).toBe('Ranked first: B, 5 points (3 votes)');
    expect(resultSummary({ kind: 'text' }, { ...r, kind: 'text' }, tEn)).toBe('3 answers');
    // A secret poll that closed below its minimum group publishes only the number of ballots.
    const withheld = { ...r, secrecy: { min_group: 5, sides: { employer: true, union: true, neutral: true, audience: true }, live_step: false, result: true } };
    expect(resultSummary({ kind: 'single' }, withheld, tEn)).toBe('3 ballots: fewer than 5, so only their number is shown.');
  });

  it('starts an indicative vote with a question about the version and Yes / No / Abstain', () => {
    expect(indicativeDefaults('version', 'v3 “Final draft”', tEn)).toEqual({
      question: 'Do you support v3 “Final draft” as it stands?',
      options: ['Yes', 'No', 'Abstain'],
    });
    expect(indicativeDefaults('passage', '', tDa).options).toEqual(['Ja', 'Nej', 'Undlader at stemme']);
  });

  it('says the server’s 422 on subject in the reader’s language, and nothing for other errors', () => {
    const e = new ApiError(422, {
      type: 'urn:accord:problem:validation',
      title: 'Invalid',
      status: 422,
      errors: [{ field: 'subject', message: 'names no version or passage of this roundtable' }],
    });
    expect(subjectError(e, false, tEn)).toBe(tEn('subject.errorUnknown'));
    expect(subjectError(e, true, tDa)).toBe(tDa('subject.errorAudience'));
    const other = new ApiError(422, { status: 422, title: 'Invalid', errors: [{ field: 'question', message: 'is required' }] });
    expect(subjectError(other, false, tEn)).toBeNull();
    expect(subjectError(new ApiError(403, null), false, tEn)).toBeNull();
    expect(subjectError(new Error('x'), false, tEn)).toBeNull();
  });

  it('never sends audience: true with a subject', () => {
    expect(audienceFor({ version_id: V1 }, true)).toBe(false);
    expect(audienceFor(null, true)).toBe(true);
    expect(audienceFor(null, false)).toBe(false);
  });

  it('keeps a poll’s subject from the event socket', () => {
    const msg = parseServerMessage(JSON.stringify({
      v: 1,
      type: 'poll',
      room: 'roundtable:r',
      poll: {
        id: 'p',
        roundtable_id: 'r',
        question: 'Q',
        kind: 'single',
        options: [],
        status: 'open',
        secret: false,
        audience: false,
        results: 'live',
        created_at: '2025-01-01T10:00:00Z',
        subject: { version_id: V1 },
      },
    }));
    expect(msg?.type).toBe('poll');
    if (msg?.type === 'poll') expect(pollsOfVersion([{ ...msg.poll, voted: false }], V1)).toHaveLength(1);
  });
});
