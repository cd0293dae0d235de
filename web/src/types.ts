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

/** The server's permission table's actions (`accord_domain::Action`). */
export type Action = Schemas['Action'];

/** Whether the server lets the caller do `action` in this roundtable. */
export function can(rt: Pick<Roundtable, 'my_actions'> | null | undefined, action: Action): boolean {
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

// ---------------------------------------------------------------------------
// Review (issue 9): comments in the margin — shaped exactly as /work/review-contract.md says.
// TODO(generated): once the server's OpenAPI document has these schemas, replace each with the
// generated alias (`Schemas['…']`) and drop `ReviewAction` (the generated `Action` will name them).

/** Who wrote something: the contract's `Author`. */
export interface Author {
  user_id: string;
  display_name: string;
  side: Side;
}

/** Where a thread is anchored: base64 of `Y.encodeRelativePosition(…)` for the passage's start and end. */
export interface CommentAnchor {
  start: string;
  end: string;
}

/** A reply in a thread. */
export interface Reply {
  id: string;
  body: string;
  author: Author;
  /** RFC 3339. */
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
}

/** A comment thread (`GET /documents/{id}/comments` items; every write returns the whole thread). */
export interface Comment {
  id: string;
  document_id: string;
  /** Empty once deleted. */
  body: string;
  author: Author;
  created_at: string;
  edited_at: string | null;
  /** Deleted while replies remain: shown as "comment deleted". */
  deleted: boolean;
  anchor: CommentAnchor;
  /** The commented passage's text as the server last resolved it (the last one seen, once orphaned). */
  quote: string;
  /** The passage was deleted. */
  orphaned: boolean;
  resolved: boolean;
  resolved_by: Author | null;
  version_id: string | null;
  replies: Reply[];
}

/** `POST /documents/{id}/comments`. */
export interface NewComment {
  body: string;
  anchor: CommentAnchor;
  version_id?: string;
}

/** `GET /documents/{id}/comments?status=…`. */
export type CommentStatusQuery = 'open' | 'resolved' | 'all';

/** A documents-list item with its count of open threads. */
export type DocumentListItem = AccordDocument & { open_comments?: number };

/** Actions the review work adds to `my_actions`. */
export type ReviewAction = 'save_versions' | 'restore_versions' | 'resolve_comments';

/** `can` for the review actions the generated `Action` does not name yet. */
export function canReview(rt: { my_actions?: readonly string[] | null } | null | undefined, action: ReviewAction): boolean {
  return !!rt?.my_actions?.includes(action);
}
// ---------------------------------------------------------------------------
