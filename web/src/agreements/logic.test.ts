import { describe, expect, it } from 'vitest';
import { ApiError } from '../api';
import en from '../i18n/en.json';
import da from '../i18n/da.json';
import { translate, type TFunction } from '../i18n';
import { parseServerMessage } from '../live/logic';
import { AGREEMENT_STATES, POSITIONS, QUORUMS, VOTING_SIDES, type Agreement, type Voter } from '../types';
import {
  agreementError,
  announcement,
  canTakePosition,
  countdownText,
  countdownTick,
  durationText,
  endorseLabel,
  localToRfc3339,
  needed,
  openAgreementOf,
  problemSlug,
  progressText,
  reasonError,
  ruleText,
  shortHash,
  upsertAgreement,
  versionStanding,
  versionTitle,
} from './logic';

const tEn: TFunction = (k, v) => translate('en', k, v);
const tDa: TFunction = (k, v) => translate('da', k, v);
const SHA = '3f9a2c1b7e04d5c6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6f7e8d9c0';

function voter(over: Partial<Voter> = {}): Voter {
  return { user_id: 'u1', display_name: 'Erik', organisation: 'TeleCo', side: 'employer', position: null, reason: null, at: null, ...over };
}

function agreement(over: Partial<Agreement> = {}): Agreement {
  return {
    id: 'a1',
    roundtable_id: 'rt',
    document_id: 'd1',
    version_id: 'v3',
    version_number: 3,
    version_name: 'Final draft',
    sha256: SHA,
    rule: { quorum: 'majority', objections_block: true },
    state: 'open',
    electorate: { employer: 3, union: 3 },
    progress: {
      employer: { endorse: 2, object: 0, abstain: 0, electorate: 3, satisfied: true },
      union: { endorse: 1, object: 0, abstain: 1, electorate: 3, satisfied: false },
    },
    voters: [voter(), voter({ user_id: 'u2', display_name: 'Ulla', side: 'union', organisation: '3F' })],
    proposed_by: { user_id: 'f', display_name: 'Freja' },
    created_at: '2026-03-01T10:00:00Z',
    closes_at: null,
    decided_at: null,
    seal: null,
    superseded_by: null,
    ...over,
  };
}

describe('texts of an agreement', () => {
  it('says per side how many endorsed of how many, in both languages', () => {
    const a = agreement();
    expect(progressText(a.progress, tEn)).toBe('Employer 2 of 3 · Union 1 of 3');
    expect(progressText(a.progress, tDa)).toBe('Arbejdsgiver 2 af 3 · Fagforening 1 af 3');
  });

  it('names the exact version on the endorse button: number, name, first 12 characters of its hash', () => {
    expect(endorseLabel({ number: 3, name: 'Final draft', sha256: SHA }, tEn)).toBe('Endorse v3 “Final draft” · 3f9a2c1b7e04');
    expect(endorseLabel({ number: 3, name: 'Endeligt udkast', sha256: SHA }, tDa)).toBe('Tiltræd v3 »Endeligt udkast« · 3f9a2c1b7e04');
    expect(endorseLabel({ number: 4, name: '  ', sha256: SHA.toUpperCase() }, tEn)).toBe('Endorse v4 · 3f9a2c1b7e04');
    expect(shortHash(SHA)).toHaveLength(12);
    expect(versionTitle({ number: 2, name: '' }, tEn)).toBe('v2');
  });

  it('states the rule', () => {
    expect(ruleText({ quorum: 'majority', objections_block: true }, tEn)).toBe('A majority of each side must endorse; any objection blocks');
    expect(ruleText({ quorum: 'one', objections_block: false }, tDa)).toBe('Mindst én på hver side skal tiltræde; indsigelser blokerer ikke');
  });

  it('counts what each quorum needs like the server (more than half for a majority)', () => {
    expect([1, 2, 3, 4, 5].map((n) => needed('majority', n))).toEqual([1, 2, 2, 3, 3]);
    expect(needed('one', 7)).toBe(1);
    expect(needed('all', 4)).toBe(4);
    expect(needed('all', 0)).toBe(0);
  });

  it('has every dynamic key in both languages', () => {
    const keys = [
      ...AGREEMENT_STATES.flatMap((s) => [`agreement.state.${s}`, `agreement.announce.${s}`, `agreement.outcome.${s}`].filter((k) => !k.endsWith('outcome.open'))),
      ...QUORUMS.flatMap((q) => [`agreement.quorum.${q}`, `agreement.quorumOption.${q}`]),
      ...POSITIONS.flatMap((p) => [`agreement.position.${p}`, `agreement.done.${p}`]),
      ...VOTING_SIDES.map((s) => `side.${s}`),
      ...['day', 'hour', 'minute', 'second'].flatMap((u) => [`agreement.time.${u}.one`, `agreement.time.${u}.other`]),
    ];
    for (const dict of [en, da] as Record<string, string>[]) expect(keys.filter((k) => !(k in dict))).toEqual([]);
  });
});

describe('who may take a position', () => {
  it('only a voter of an open agreement whose role may endorse', () => {
    const a = agreement();
    expect(canTakePosition(a, 'u1', ['view', 'endorse'])).toBe(true);
    expect(canTakePosition(a, 'u1', ['view'])).toBe(false);
    expect(canTakePosition(a, 'f', ['view', 'endorse', 'propose_agreements'])).toBe(false);
    expect(canTakePosition({ ...a, state: 'agreed' }, 'u1', ['endorse'])).toBe(false);
    expect(canTakePosition(a, undefined, ['endorse'])).toBe(false);
  });

  it('an objection needs a reason of at most 2,000 characters', () => {
    expect(reasonError('   ')).toBe('agreement.reasonRequired');
    expect(reasonError('Too few training days')).toBeNull();
    expect(reasonError('x'.repeat(2000))).toBeNull();
    expect(reasonError('x'.repeat(2001))).toBe('agreement.reasonTooLong');
    // Characters, not UTF-16 units.
    expect(reasonError('æ😀'.repeat(1000))).toBeNull();
  });
});

describe('the countdown', () => {
  const now = Date.parse('2026-03-01T10:00:00Z');
  const at = (ms: number) => new Date(now + ms).toISOString();

  it('shows the two largest units', () => {
    expect(durationText(((2 * 24 + 3) * 3600 + 59) * 1000, tEn)).toBe('2 days, 3 hours');
    expect(durationText((24 * 3600 + 5 * 60) * 1000, tEn)).toBe('1 day');
    expect(durationText((3 * 3600 + 5 * 60 + 7) * 1000, tDa)).toBe('3 timer, 5 minutter');
    expect(durationText((60 + 1) * 1000, tEn)).toBe('1 minute, 1 second');
    expect(durationText(12_400, tDa)).toBe('12 sekunder');
    expect(durationText(0, tEn)).toBe('');
    expect(durationText(-5000, tEn)).toBe('');
  });

  it('says when it closes, and that it is closing once the time is up', () => {
    expect(countdownText(at(90 * 60 * 1000), now, tEn)).toBe('Closes in 1 hour, 30 minutes');
    expect(countdownText(at(45 * 1000), now, tDa)).toBe('Lukker om 45 sekunder');
    expect(countdownText(at(-1000), now, tEn)).toBe('Closing now…');
  });

  it('ticks every second in the last hour only', () => {
    expect(countdownTick(at(2 * 3600 * 1000), now)).toBe(30_000);
    expect(countdownTick(at(30 * 60 * 1000), now)).toBe(1000);
  });

  it('turns a datetime-local value into RFC 3339', () => {
    const iso = localToRfc3339('2026-03-01T14:30');
    expect(iso).toMatch(/^2026-03-01T\d\d:30:00\.000Z$/);
    expect(new Date(iso!).getTime()).toBe(new Date(2026, 2, 1, 14, 30).getTime());
    expect(localToRfc3339('')).toBeNull();
    expect(localToRfc3339('not a time')).toBeNull();
  });
});

describe('the list, kept live', () => {
  it('replaces by id and keeps the newest first', () => {
    const a1 = agreement({ id: 'a1', created_at: '2026-03-01T10:00:00Z' });
    const a2 = agreement({ id: 'a2', created_at: '2026-03-02T10:00:00Z', version_id: 'v4' });
    let list = upsertAgreement([], a1);
    list = upsertAgreement(list, a2);
    expect(list.map((a) => a.id)).toEqual(['a2', 'a1']);
    list = upsertAgreement(list, { ...a1, state: 'superseded' });
    expect(list.map((a) => `${a.id}:${a.state}`)).toEqual(['a2:open', 'a1:superseded']);
    expect(openAgreementOf(list, 'd1')?.id).toBe('a2');
    expect(versionStanding(list, 'v3')).toBeNull();
    expect(versionStanding(list, 'v4')).toBe('open');
    expect(versionStanding(upsertAgreement(list, { ...a1, state: 'agreed' }), 'v3')).toBe('agreed');
  });

  it('announces a proposal, progress and the outcome, and nothing else', () => {
    const a = agreement();
    expect(announcement(undefined, a, tEn)).toBe('v3 “Final draft” is proposed for agreement. Employer 2 of 3 · Union 1 of 3.');
    expect(announcement(a, a, tEn)).toBeNull();
    const moved = { ...a, voters: [voter({ position: 'endorse', at: '2026-03-01T11:00:00Z' }), a.voters[1]] };
    expect(announcement(a, moved, tEn)).toBe('v3 “Final draft”: Employer 2 of 3 · Union 1 of 3.');
    expect(announcement(moved, { ...moved, state: 'agreed' }, tDa)).toBe(
      'v3 »Final draft« er aftalt af begge sider. Arbejdsgiver 2 af 3 · Fagforening 1 af 3.',
    );
    expect(announcement(a, { ...a, state: 'withdrawn' }, tEn)).toBe('The proposal of v3 “Final draft” was withdrawn.');
    expect(announcement(undefined, { ...a, state: 'agreed' }, tEn)).toBeNull();
  });
});

describe('problems in the reader’s language', () => {
  const problem = (type: string, detail = 'server words', errors?: { field: string; message: string }[]) =>
    new ApiError(409, { type: `urn:accord:problem:${type}`, title: 'Conflict', detail, errors });

  it('maps the problem type to our words', () => {
    expect(problemSlug('urn:accord:problem:version-hash-mismatch')).toBe('version-hash-mismatch');
    expect(problemSlug('about:blank')).toBeNull();
    expect(agreementError(problem('version-hash-mismatch'), tEn)).toMatch(/^This is not the version under agreement/);
    expect(agreementError(problem('empty-side'), tDa)).toMatch(/^En af siderne har ingen/);
    expect(agreementError(problem('agreement-closed'), tEn)).toBe('The agreement is closed: no more positions can be taken.');
    expect(agreementError(problem('not-in-electorate'), tEn)).toMatch(/not among those who could endorse/);
    expect(agreementError(problem('forbidden'), tDa)).toMatch(/^Din rolle tillader det ikke/);
  });

  it('names the field of a validation problem, else says it by its type; the detail only for an unknown type', () => {
    expect(agreementError(problem('validation', 'x', [{ field: 'closes_at', message: 'must be in the future' }]), tEn)).toBe(
      'The closing time must be in the future and within a year.',
    );
    expect(agreementError(problem('validation', 'x', [{ field: 'reason', message: 'too long' }]), tDa)).toMatch(/^En indsigelse skal have/);
    expect(agreementError(problem('validation', 'The body is odd.'), tEn)).toBe(translate('en', 'problem.validation'));
    expect(agreementError(problem('validation', 'The body is odd.'), tDa)).toBe(translate('da', 'problem.validation'));
    expect(agreementError(problem('something-new', 'Said by the server.'), tEn)).toBe('Said by the server.');
    expect(agreementError(new ApiError(0, null), tEn)).toBe(translate('en', 'common.network'));
  });
});

describe('the socket message', () => {
  it('is read whole, and refused without an agreement', () => {
    const a = agreement();
    const msg = parseServerMessage(JSON.stringify({ v: 1, type: 'agreement', room: 'roundtable:rt', agreement: a }));
    expect(msg?.type).toBe('agreement');
    expect(msg && msg.type === 'agreement' ? msg.agreement : null).toEqual(a);
    expect(parseServerMessage('{"v":1,"type":"agreement","room":"roundtable:rt"}')).toBeNull();
    expect(parseServerMessage('{"v":1,"type":"agreement","agreement":{"id":"a1"}}')).toBeNull();
  });
});
