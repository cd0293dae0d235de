/**
 * The roundtable's audit trail as sentences a person reads ("Freja proposed v3 “Final draft” of
 * “Programme” for agreement (…)"), in English or Danish. Pure: what an entry's detail does not say
 * (a person's name, a document's title, an agreement's version) comes from `ActivityContext`.
 */
import type { TFunction } from '../i18n';
import { ROLES, type AuditEntry, type Quorum, type Role, type Side } from '../types';
import { ruleText, shortHash, versionTitle } from './logic';

/** What the page knows besides the entry: names of people, titles of documents, agreements' versions. */
export interface ActivityContext {
  person: (userId: string) => string | null | undefined;
  document: (documentId: string) => string | null | undefined;
  agreement: (agreementId: string) => { version_number: number; version_name: string; document_id: string } | null | undefined;
  formatDate: (iso: string) => string;
}

type Detail = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);
const isSide = (v: unknown): v is Side => v === 'employer' || v === 'union' || v === 'neutral';
const isQuorum = (v: unknown): v is Quorum => v === 'one' || v === 'majority' || v === 'all';

/** Who did it, as the entry names them: a participant's name, "someone" (a name no longer known) or the system. */
export function actorName(entry: Pick<AuditEntry, 'actor'>, t: TFunction): string {
  if (entry.actor.user_id == null) return t('activity.system');
  return str(entry.actor.display_name) ?? t('activity.someone');
}

/** The side label shown beside an entry (never colour alone): a side, or "System". */
export function actorSideLabel(entry: Pick<AuditEntry, 'actor'>, t: TFunction): string | null {
  if (entry.actor.user_id == null) return t('activity.systemLabel');
  return entry.actor.side ? t(`side.${entry.actor.side}`) : null;
}

/** The entry as one sentence. */
export function activitySentence(entry: AuditEntry, ctx: ActivityContext, t: TFunction): string {
  const d = (entry.detail ?? {}) as Detail;
  const actor = actorName(entry, t);
  const quoted = (title: string | null | undefined) => (title ? t('activity.quoted', { text: title }) : null);
  const docRef = (id: unknown) => quoted(typeof id === 'string' ? ctx.document(id) : null) ?? t('activity.aDocument');
  const person = (id: string) => str(ctx.person(id)) ?? t('activity.formerParticipant');
  // An agreement's version and document: the detail's number when it has one, else the agreement as listed.
  const agreementRefs = () => {
    const a = ctx.agreement(entry.subject_id);
    const number = num(d.version_number) ?? a?.version_number ?? null;
    const version = number != null ? versionTitle({ number, name: a?.version_name ?? '' }, t) : t('activity.aVersion');
    return { version, document: a ? docRef(a.document_id) : t('activity.aDocument') };
  };

  switch (entry.action) {
    case 'roundtable_created':
      return t('activity.roundtable_created', { actor, title: quoted(str(d.title)) ?? t('activity.thisRoundtable') });
    case 'participant_joined': {
      const role = isRole(d.role) ? t(`activity.asRole.${d.role}`) : '';
      const side = isSide(d.side) ? t(`activity.onSide.${d.side}`) : '';
      const where = [role, side].filter(Boolean).join(' ');
      const org = str(d.organisation);
      return org ? t('activity.participant_joined_org', { actor, where, organisation: org }) : t('activity.participant_joined', { actor, where });
    }
    case 'participant_role_changed':
      return t('activity.participant_role_changed', {
        actor,
        subject: person(entry.subject_id),
        role: isRole(d.role) ? t(`activity.toRole.${d.role}`) : t('activity.toRole.unknown'),
      });
    case 'participant_removed':
      return entry.actor.user_id === entry.subject_id
        ? t('activity.participant_left', { actor })
        : t('activity.participant_removed', { actor, subject: person(entry.subject_id) });
    case 'document_created': {
      const kind = typeof d.kind === 'string' && ['programme', 'recommendation', 'notes'].includes(d.kind) ? t(`docKind.${d.kind}`) : null;
      const title = quoted(str(d.title)) ?? docRef(entry.subject_id);
      return kind ? t('activity.document_created_kind', { actor, document: title, kind }) : t('activity.document_created', { actor, document: title });
    }
    case 'document_archived':
    case 'document_unarchived': {
      const document = quoted(ctx.document(entry.subject_id));
      return document ? t(`activity.${entry.action}`, { actor, document }) : t(`activity.${entry.action}_unknown`, { actor });
    }
    case 'version_created': {
      const number = num(d.number);
      const document = docRef(d.document_id);
      if (number == null) return t('activity.version_created_unknown', { actor, document });
      if (d.auto === true && !str(d.name)) return t('activity.version_created_auto', { actor, number, document });
      return t('activity.version_created', { actor, version: versionTitle({ number, name: str(d.name) ?? '' }, t), document });
    }
    case 'version_restored': {
      const number = num(d.number);
      const document = docRef(d.document_id);
      return number == null
        ? t('activity.version_restored_unknown', { actor, document })
        : t('activity.version_restored', { actor, number, document });
    }
    case 'agreement_proposed': {
      const { version, document } = agreementRefs();
      const rawRule = (d.rule ?? {}) as Detail;
      const rule = isQuorum(rawRule.quorum) ? ruleText({ quorum: rawRule.quorum, objections_block: rawRule.objections_block === true }, t) : null;
      const closes = typeof d.closes_at === 'number' ? new Date(d.closes_at * 1000).toISOString() : str(d.closes_at);
      const base = rule
        ? t('activity.agreement_proposed_rule', { actor, version, document, rule })
        : t('activity.agreement_proposed', { actor, version, document });
      return closes ? `${base} ${t('activity.closesAt', { date: ctx.formatDate(closes) })}` : base;
    }
    case 'agreement_position': {
      const { version, document } = agreementRefs();
      const reason = str(d.reason);
      switch (d.position) {
        case 'endorse':
          return t('activity.position.endorse', { actor, version, document });
        case 'object':
          return reason
            ? t('activity.position.objectReason', { actor, version, document, reason: t('activity.quoted', { text: reason }) })
            : t('activity.position.object', { actor, version, document });
        case 'abstain':
          return t('activity.position.abstain', { actor, version, document });
        default:
          return t('activity.position.unknown', { actor, version, document });
      }
    }
    case 'agreement_agreed': {
      const { version, document } = agreementRefs();
      const seal = str(d.seal);
      const vars = { actor, version, document, seal: seal ? shortHash(seal) : '' };
      if (entry.actor.user_id == null) return seal ? t('activity.agreement_agreed_system', vars) : t('activity.agreement_agreed_plain', vars);
      return seal ? t('activity.agreement_agreed', vars) : t('activity.agreement_agreed_noseal', vars);
    }
    case 'agreement_expired':
      return t('activity.agreement_expired', agreementRefs());
    case 'agreement_withdrawn':
      return t('activity.agreement_withdrawn', { actor, ...agreementRefs() });
    case 'agreement_superseded':
      return t('activity.agreement_superseded', { actor, ...agreementRefs() });
    case 'poll_opened':
    case 'poll_closed': {
      const question = quoted(str(d.question));
      const kind = d.secret === true ? 'secret' : 'plain';
      return question
        ? t(`activity.${entry.action}.${kind}`, { actor, question })
        : t(`activity.${entry.action}.unknown`, { actor });
    }
    case 'live_session_started':
      return t('activity.live_session_started', { actor });
    case 'live_session_ended':
      return t('activity.live_session_ended', { actor });
    default:
      return t('activity.unknown', { actor });
  }
}
