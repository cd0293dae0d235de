export const SIDES = ['employer', 'union', 'neutral'] as const;
export const ROLES = ['facilitator', 'member', 'observer'] as const;
export const THEMES = [
  'gender_diversity',
  'ageing_workforce',
  'technological_upskilling',
  'ethnicity_and_refugees',
  'disability_and_neurodiversity',
  'lgbtq',
  'other',
] as const;

export type Side = components['schemas']['Side'];
export type Role = components['schemas']['Role'];
export type Theme = components['schemas']['Theme'];

// The lists above are what the UI iterates; `tsc` fails here when they stop
// naming exactly the server's values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const listsMatch: [
  Same<(typeof SIDES)[number], Side>,
  Same<(typeof ROLES)[number], Role>,
  Same<(typeof THEMES)[number], Theme>,
  Same<(typeof DOC_KINDS)[number], components['schemas']['DocumentKind']>,
] = [true, true, true, true];
void listsMatch;

import type { components } from './generated/api';

/** The server's schemas (generated from its OpenAPI document: `cargo xtask openapi`). */
export type Schemas = components['schemas'];

export type User = Pick<Schemas['UserOut'], 'id' | 'email' | 'display_name'>;

export type Roundtable = Schemas['RoundtableOut'];

/** The server's permission table's actions (`accord_domain::Action`), and those issue 9 adds (below). */
export type Action = Schemas['Action'];

/** Whether the server lets the caller do `action` in this roundtable. */
export function can(rt: { my_actions?: readonly string[] } | null | undefined, action: Action): boolean {
  return !!rt?.my_actions?.includes(action);
}

export type Invitation = Schemas['InvitationOut'];

export type InvitationPreview = Schemas['InvitationPreview'];

export type AcceptResult = Schemas['Accepted'];

export type Participant = Schemas['ParticipantOut'];

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export const DOC_KINDS = ['programme', 'recommendation', 'notes'] as const;
export type DocKind = Schemas['DocumentKind'];

export type AccordDocument = Schemas['DocumentOut'];

// Review (issue 9): versions, diffs and comment threads, as the server's schemas shape them.

/** Who wrote something: a participant and the side they were on. */
export type Author = Schemas['Author'];
/** `POST /documents/{id}/versions` → 201, `GET /documents/{id}/versions` → newest first. */
export type Version = Schemas['VersionOut'];
/** The body of `POST /documents/{id}/versions`. */
export type NewVersion = Schemas['CreateVersion'];
/** `GET /versions/{id}`: the version and its text. `html` is escaped by the server. */
export type VersionWithText = Schemas['VersionDetail'];
/** `POST /versions/{id}/restore` → 200. */
export type RestoreResult = Schemas['RestoreOut'];
export type BlockOp = Schemas['DiffBlockOp'];
export type SegmentOp = Schemas['DiffSegmentOp'];
export type DiffBlockKind = Schemas['DiffBlockKind'];
export type DiffSegment = Schemas['DiffSegment'];
export type DiffBlock = Schemas['DiffBlock'];
/** `GET /documents/{id}/diff?from=<version id>&to=<version id|current>`. */
export type DocDiff = Schemas['DiffOut'];
/** Where a thread is anchored: base64 of `Y.encodeRelativePosition(…)` for the passage's start and end. */
export type CommentAnchor = Schemas['AnchorView'];
export type Reply = Schemas['ReplyView'];
/** A comment thread (`GET /documents/{id}/comments` items; every write returns the whole thread). */
export type Comment = Schemas['CommentView'];
/** `POST /documents/{id}/comments`. */
export type NewComment = Schemas['CreateComment'];
/** `GET /documents/{id}/comments?status=…`. */
export type CommentStatusQuery = Schemas['CommentStatus'];
/**
 * What a poll decides, when it names it: `{version_id}`, or `{document_id, comment_id}` for a
 * passage (the comment thread anchored to it). Participants' polls only: the audience never sees a draft.
 */
export type PollSubject = Schemas['PollSubject'];
/** A documents-list item (with its count of open threads). */
export type DocumentListItem = AccordDocument;

/** Actions the review work adds to `my_actions`. */
export type ReviewAction = Extract<Schemas['Action'], 'save_versions' | 'restore_versions' | 'resolve_comments'>;

/** `can` for the review actions. */
export function canReview(rt: { my_actions?: readonly string[] | null } | null | undefined, action: ReviewAction): boolean {
  return !!rt?.my_actions?.includes(action);
}

// Agreement and audit trail (issue 10), as the server's schemas shape them.

/** An agreement on one version: its rule, electorate, per-side progress, voters and, once agreed, its seal. */
export type Agreement = Schemas['AgreementView'];
export type AgreementState = Schemas['AgreementState'];
export type AgreementRule = Schemas['Rule'];
export type Quorum = Schemas['Quorum'];
export type Position = Schemas['Position'];
export type Voter = Schemas['VoterView'];
export type SideProgress = Schemas['SideProgress'];
/** The sides that take positions (a neutral participant never does). */
export type VotingSide = keyof Schemas['Progress'];
/** `POST /versions/{id}/agreement`. */
export type ProposeAgreement = Schemas['ProposeAgreement'];
/** `POST /agreements/{id}/positions`. */
export type TakePosition = Schemas['TakePosition'];
/** `GET /roundtables/{id}/agreed` items. */
export type Agreed = Schemas['AgreedOut'];
export type AuditAction = Schemas['AuditAction'];
export type AuditEntry = Schemas['AuditEntryOut'];
/** `GET /roundtables/{id}/audit?before=&limit=`: newest first. */
export type AuditPage = Schemas['AuditPage'];

export const AGREEMENT_STATES = ['open', 'agreed', 'expired', 'withdrawn', 'superseded'] as const;
export const QUORUMS = ['one', 'majority', 'all'] as const;
export const POSITIONS = ['endorse', 'object', 'abstain'] as const;
export const VOTING_SIDES = ['employer', 'union'] as const;
export const AUDIT_ACTIONS = [
  'roundtable_created',
  'participant_joined',
  'participant_role_changed',
  'participant_removed',
  'document_created',
  'document_archived',
  'document_unarchived',
  'version_created',
  'version_restored',
  'agreement_proposed',
  'agreement_position',
  'agreement_agreed',
  'agreement_expired',
  'agreement_withdrawn',
  'agreement_superseded',
  'poll_opened',
  'poll_closed',
  'live_session_started',
  'live_session_ended',
] as const;

// As above: `tsc` fails when these lists stop naming exactly the server's values.
const agreementListsMatch: [
  Same<(typeof AGREEMENT_STATES)[number], AgreementState>,
  Same<(typeof QUORUMS)[number], Quorum>,
  Same<(typeof POSITIONS)[number], Position>,
  Same<(typeof VOTING_SIDES)[number], VotingSide>,
  Same<(typeof AUDIT_ACTIONS)[number], AuditAction>,
] = [true, true, true, true, true];
void agreementListsMatch;
