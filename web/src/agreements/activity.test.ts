import { describe, expect, it } from 'vitest';
import en from '../i18n/en.json';
import da from '../i18n/da.json';
import { translate, type TFunction } from '../i18n';
import { AUDIT_ACTIONS, ROLES, SIDES, type AuditAction, type AuditEntry } from '../types';
import { activitySentence, actorName, actorSideLabel, type ActivityContext } from './activity';

const tEn: TFunction = (k, v) => translate('en', k, v);
const tDa: TFunction = (k, v) => translate('da', k, v);
const SEAL = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

const ctx: ActivityContext = {
  person: (id) => ({ bent: 'Bent', ulla: 'Ulla' })[id] ?? null,
  document: (id) => ({ d1: 'Programme' })[id] ?? null,
  agreement: (id) => (id === 'a1' ? { version_number: 3, version_name: 'Final draft', document_id: 'd1' } : null),
  formatDate: (iso) => iso.slice(0, 10),
};

function entry(action: AuditAction, detail: Record<string, unknown> = {}, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq: 7,
    at: '2026-03-01T10:00:00Z',
    actor: { user_id: 'freja', display_name: 'Freja', side: 'neutral' },
    action,
    subject_id: 'a1',
    detail: detail as unknown as AuditEntry['detail'],
    prev_hash: '0'.repeat(64),
    hash: 'f'.repeat(64),
    ...over,
  };
}

const sentence = (e: AuditEntry, t: TFunction = tEn) => activitySentence(e, ctx, t);

describe('activity sentences', () => {
  it('says who proposed what for agreement, under which rule and until when', () => {
    const e = entry('agreement_proposed', {
      version_id: 'v3',
      version_number: 3,
      sha256: SEAL,
      rule: { quorum: 'all', objections_block: true },
      electorate: { employer: 1, union: 1 },
      closes_at: Date.parse('2026-03-08T12:00:00Z') / 1000,
    });
    expect(sentence(e)).toBe(
      'Freja proposed v3 “Final draft” of “Programme” for agreement. Rule: Everyone on each side must endorse; any objection blocks. It closes 2026-03-08.',
    );
    expect(sentence({ ...e, detail: { version_number: 3, rule: { quorum: 'one', objections_block: false } } as unknown as AuditEntry['detail'] }, tDa)).toBe(
      'Freja foreslog v3 »Final draft« af »Programme« til aftale. Regel: Mindst én på hver side skal tiltræde; indsigelser blokerer ikke.',
    );
  });

  it('says each position, an objection with its reason', () => {
    const by = { actor: { user_id: 'ulla', display_name: 'Ulla', side: 'union' as const } };
    expect(sentence(entry('agreement_position', { position: 'endorse', reason: null }, by))).toBe('Ulla endorsed v3 “Final draft” of “Programme”.');
    expect(sentence(entry('agreement_position', { position: 'object', reason: 'Too few days' }, by))).toBe(
      'Ulla objected to v3 “Final draft” of “Programme”: “Too few days”',
    );
    expect(sentence(entry('agreement_position', { position: 'object', reason: 'For få dage' }, by), tDa)).toBe(
      'Ulla gjorde indsigelse mod v3 »Final draft« af »Programme«: »For få dage«',
    );
    expect(sentence(entry('agreement_position', { position: 'abstain' }, by))).toBe('Ulla abstained on v3 “Final draft” of “Programme”.');
  });

  it('says the outcome, with the start of the seal', () => {
    const by = { actor: { user_id: 'ulla', display_name: 'Ulla', side: 'union' as const } };
    expect(sentence(entry('agreement_agreed', { seal: SEAL, employer: 1, union: 1 }, by))).toBe(
      'v3 “Final draft” of “Programme” was agreed when Ulla endorsed it (seal a1b2c3d4e5f6…).',
    );
    const system = { actor: { user_id: null, display_name: null, side: null } };
    expect(sentence(entry('agreement_expired', { closes_at: 1 }, system))).toBe('The proposal of v3 “Final draft” of “Programme” expired without agreement.');
    expect(sentence(entry('agreement_withdrawn'), tDa)).toBe('Freja trak forslaget om v3 »Final draft« af »Programme« tilbage.');
    expect(sentence(entry('agreement_superseded', { by: 'a2' }))).toBe(
      'A new proposal by Freja replaced the open proposal of v3 “Final draft” of “Programme”.',
    );
  });

  it('says who joined, on which side, and role changes by name', () => {
    const ulla = { actor: { user_id: 'ulla', display_name: 'Ulla', side: 'union' as const }, subject_id: 'ulla' };
    expect(sentence(entry('participant_joined', { role: 'member', side: 'union', organisation: '3F' }, ulla))).toBe(
      'Ulla joined as a member on the union side, for 3F.',
    );
    expect(sentence(entry('participant_joined', { role: 'member', side: 'union', organisation: '' }, ulla), tDa)).toBe(
      'Ulla kom med i rundbordet som medlem på fagforeningssiden.',
    );
    expect(sentence(entry('participant_role_changed', { role: 'observer' }, { subject_id: 'bent' }))).toBe('Freja made Bent an observer.');
    expect(sentence(entry('participant_role_changed', { role: 'observer' }, { subject_id: 'bent' }), tDa)).toBe('Freja gjorde Bent til observatør.');
    expect(sentence(entry('participant_removed', {}, { subject_id: 'gone' }))).toBe('Freja removed a former participant from the roundtable.');
    expect(sentence(entry('participant_removed', {}, { subject_id: 'freja' }))).toBe('Freja left the roundtable.');
  });

  it('says what happened to documents and versions', () => {
    expect(sentence(entry('roundtable_created', { title: 'Upskilling', theme: 'other' }))).toBe('Freja created the roundtable “Upskilling”.');
    expect(sentence(entry('document_created', { title: 'Programme', kind: 'programme' }, { subject_id: 'd1' }))).toBe(
      'Freja created the document “Programme” (Upskilling programme).',
    );
    expect(sentence(entry('document_archived', {}, { subject_id: 'd1' }), tDa)).toBe('Freja arkiverede dokumentet »Programme«.');
    expect(sentence(entry('document_unarchived', {}, { subject_id: 'dX' }))).toBe('Freja brought a document back from the archive.');
    expect(sentence(entry('document_unarchived', {}, { subject_id: 'd1' }))).toBe('Freja brought the document “Programme” back from the archive.');
    expect(sentence(entry('version_created', { document_id: 'd1', number: 2, name: 'For Monday', auto: false }))).toBe(
      'Freja saved v2 “For Monday” of “Programme”.',
    );
    const system = { actor: { user_id: null, display_name: null, side: null } };
    expect(sentence(entry('version_created', { document_id: 'd1', number: 4, name: '', auto: true }, system))).toBe(
      'Accord saved automatic version v4 of “Programme”.',
    );
    expect(sentence(entry('version_restored', { document_id: 'd1', number: 5, restored_from: 'v1' }), tDa)).toBe(
      'Freja gendannede en tidligere tekst af »Programme« som v5.',
    );
  });

  it('says what happened to polls and live sessions', () => {
    expect(sentence(entry('poll_opened', { question: 'Which course first?', secret: false }))).toBe('Freja opened the poll “Which course first?”.');
    expect(sentence(entry('poll_closed', { question: 'Hvem?', secret: true }), tDa)).toBe('Freja lukkede den hemmelige afstemning »Hvem?«.');
    expect(sentence(entry('live_session_started'))).toBe('Freja started a live session with the audience.');
    expect(sentence(entry('live_session_ended'), tDa)).toBe('Freja afsluttede den direkte session.');
  });

  it('has a sentence for every action in both languages, never a raw key', () => {
    for (const t of [tEn, tDa]) {
      for (const action of AUDIT_ACTIONS) {
        const s = sentence(entry(action, {}), t);
        expect(s, action).not.toMatch(/activity\.|\{\w+\}/);
        expect(s.length, action).toBeGreaterThan(10);
      }
    }
    const keys = [...ROLES.flatMap((r) => [`activity.asRole.${r}`, `activity.toRole.${r}`]), ...SIDES.map((s) => `activity.onSide.${s}`)];
    for (const p of ['poll_opened', 'poll_closed']) for (const k of ['plain', 'secret', 'unknown']) keys.push(`activity.${p}.${k}`);
    for (const dict of [en, da] as Record<string, string>[]) expect(keys.filter((k) => !(k in dict))).toEqual([]);
  });

  it('names the actor and their side as text; the system is "Accord"', () => {
    const e = entry('poll_opened');
    expect(actorName(e, tEn)).toBe('Freja');
    expect(actorSideLabel(e, tDa)).toBe('Neutral');
    const sys = entry('agreement_expired', {}, { actor: { user_id: null, display_name: null, side: null } });
    expect(actorName(sys, tEn)).toBe('Accord');
    expect(actorSideLabel(sys, tEn)).toBe('System');
    expect(actorName(entry('poll_opened', {}, { actor: { user_id: 'x', display_name: null, side: 'union' } }), tDa)).toBe('Nogen');
  });
});
