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
export type Action = Schemas['Action'] | ReviewAction;

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

// ---------------------------------------------------------------------------------------------
// Review (issue 9): versions and diffs.
// TODO(generated): the server routes are not in generated/api.ts yet. These are declared by hand,
// shaped exactly as /work/review-contract.md says; once `cargo xtask openapi` has run with them,
// replace each with its alias (`export type Version = Schemas['…']`) here and nowhere else.

/** Actions issue 9 adds to `my_actions`. TODO(generated): drop once Schemas['Action'] has them. */
export type ReviewAction = 'save_versions' | 'restore_versions' | 'resolve_comments';

/** Who did something: a participant and the side they were on. */
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

/** `POST /documents/{id}/versions` → 201, `GET /documents/{id}/versions` → newest first. */
export interface Version {
  id: string;
  document_id: string;
  /** 1, 2, … per document. */
  number: number;
  name: string;
  note: string | null;
  /** Made by the server (after an idle spell, before a restore), not by a person asking. */
  auto: boolean;
  created_by: Author | null;
  /** RFC 3339. */
  created_at: string;
  /** Hex SHA-256 of the version's Markdown. */
  sha256: string;
  words: number;
  /** The number of the version this one restored, if it is a restore. */
  restored_from: number | null;
}

/** The body of `POST /documents/{id}/versions`. */
export interface NewVersion {
  name: string;
  note?: string;
}

/** `GET /versions/{id}`: the version and its text. `html` is escaped by the server. */
export type VersionWithText = Version & { markdown: string; html: string };

/** `POST /versions/{id}/restore` → 200. */
export interface RestoreResult {
  /** The automatic version of the text just before the restore. */
  before: Version;
  /** The new version "Restored from v<n>". */
  restored: Version;
}

export type BlockOp = 'equal' | 'inserted' | 'deleted' | 'changed' | 'moved';
export type SegmentOp = 'equal' | 'inserted' | 'deleted';
export type DiffBlockKind = 'heading' | 'paragraph' | 'list_item';

export interface DiffSegment {
  op: SegmentOp;
  text: string;
  /** Who wrote inserted text; null when no single participant is known (never a guess). */
  by: Author | null;
}

export interface DiffBlock {
  op: BlockOp;
  kind: DiffBlockKind;
  level?: number;
  /** Plain text in `to` (in `from` for a deleted block). */
  text: string;
  segments: DiffSegment[];
  by: Author | null;
}

/** `GET /documents/{id}/diff?from=<version id>&to=<version id|current>`. */
export interface DocDiff {
  from: { id: string; number: number; name: string };
  /** `id` is "current" (and number and name null) when compared with the text as it is now. */
  to: { id: string; number: number | null; name: string | null };
  blocks: DiffBlock[];
  stats: {
    inserted_words: number;
    deleted_words: number;
    changed_blocks: number;
    by_side: { side: Side; inserted_words: number }[];
  };
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


/** `can` for the review actions the generated `Action` does not name yet. */
export function canReview(rt: { my_actions?: readonly string[] | null } | null | undefined, action: ReviewAction): boolean {
  return !!rt?.my_actions?.includes(action);
}
// ---------------------------------------------------------------------------
