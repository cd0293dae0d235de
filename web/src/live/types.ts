/** Shapes of the polls, Q&A and live-session API (REST and the /api/v1/ws socket). */
export const POLL_KINDS = ['single', 'multiple', 'rating', 'ranking', 'text'] as const;
export const RESULTS_VISIBILITY = ['live', 'on_close', 'hidden'] as const;
export const POLL_STATUSES = ['draft', 'open', 'closed'] as const;
export const QUESTION_STATUSES = ['pending', 'approved', 'hidden', 'answered'] as const;
/** Voter groups of a result split: the three sides of a roundtable, then the conference audience. */
export const VOTER_GROUPS = ['employer', 'union', 'neutral', 'audience'] as const;

import type { Schemas } from '../types';

export type PollKind = Schemas['PollKind'];
export type ResultsVisibility = Schemas['ResultsVisibility'];
export type PollStatus = Schemas['PollStatus'];

// The lists above are what the UI iterates; `tsc` fails here when they stop
// naming exactly the server's values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const listsMatch: [
  Same<(typeof POLL_KINDS)[number], PollKind>,
  Same<(typeof RESULTS_VISIBILITY)[number], ResultsVisibility>,
  Same<(typeof POLL_STATUSES)[number], PollStatus>,
  Same<(typeof QUESTION_STATUSES)[number], QuestionStatus>,
] = [true, true, true, true];
void listsMatch;
export type QuestionStatus = Schemas['QuestionStatus'];
export type VoterGroup = (typeof VOTER_GROUPS)[number];

export type BySide<T> = Record<VoterGroup, T>;

/** Generated from the server's schemas (`accord_realtime::wire::PollView`). */
export type PollOption = Schemas['PollOptionView'];

/** A poll as the caller sees it (`PollForViewer`: every client's view and whether they voted). */
export type Poll = Schemas['PollForViewer'];

export type PollTemplate = Schemas['TemplateOut'];

export interface OptionResult {
  option_id: string;
  label: string;
  count: number;
  percent: number;
  /** Participants only. `null` for a group whose figure a secret poll withholds (see `Results.secrecy`). */
  by_side?: BySide<number | null>;
}

export interface RatingResult {
  mean: number | null;
  distribution: { value: number; count: number; percent: number }[];
  /** Participants only; `null` before a group's first ballot, or withheld by a secret poll. */
  mean_by_side?: BySide<number | null>;
}

export interface RankingResult {
  option_id: string;
  label: string;
  points: number;
  first_choices: number;
  /** Participants only; `null` where a secret poll withholds it. */
  by_side?: BySide<number | null>;
}

/** The server's default minimum group of a secret poll (`ACCORD_SECRET_MIN_GROUP`). */
export const SECRET_MIN_GROUP_DEFAULT = 5;

/**
 * What a secret poll's published tally leaves out (`accord_domain::polls::secrecy::Withheld`).
 * The audience's tally only says `live_step_of`; `resultsFromTally` turns that into this shape too.
 */
export interface Secrecy {
  /** The minimum group `k`: a split is shown only for a group of at least `k` ballots. */
  min_group: number;
  /** `true` for each voter group whose split is withheld. */
  sides: BySide<boolean>;
  /** The poll is open: the figures are those of the last step of `min_group` new ballots, not every ballot so far. */
  live_step: boolean;
  /** The poll closed with fewer than `min_group` ballots: only their number is published. */
  result: boolean;
}

export interface Results {
  poll_id: string;
  kind: PollKind;
  total: number;
  /** Participants only: ballots per voter group (never withheld; it says who voted, not how). */
  by_side?: BySide<number>;
  options: OptionResult[];
  rating: RatingResult | null;
  ranking: RankingResult[];
  words: { word: string; count: number }[];
  /** Set for a secret poll. */
  secrecy?: Secrecy | null;
  /** The audience's tally: a secret poll's live figure moves in steps of this many ballots (folded into `secrecy`). */
  live_step_of?: number | null;
  /** The audience's tally: closed with fewer than this many ballots (folded into `secrecy.result`). */
  result_withheld_below?: number | null;
}

export type Ballot = { choices: string[] } | { rating: number } | { ranking: string[] } | { text: string };

/**
 * A question as its viewer may see it (generated): participants get who asked (`author_name`,
 * unless anonymous); the audience's shape has no field for a participant's name or side.
 */
export type Question = Schemas['QuestionView'];

/** Who asked, as far as this viewer may know: a display name, or null. */
export function askedBy(q: Question): string | null {
  return 'author_name' in q ? (q.author_name ?? null) : null;
}

export type LiveSession = Schemas['LiveOut'];

export type JoinResult = Schemas['Joined'];

export type PresentParticipant = Schemas['PresenceEntry'];

export interface Presence {
  participants?: PresentParticipant[];
  audience: number;
}

/** One variant of the server's `ServerMsg` (generated from its schema). */
type Wire<T extends Schemas['ServerMsg']['type']> = Extract<Schemas['ServerMsg'], { type: T }>;

/** The event socket's error codes (`accord_realtime::wire::ErrorCode`). */
export type ErrorCode = Schemas['ErrorCode'];

/**
 * Messages the server sends on /api/v1/ws (PROTOCOL.md section 1). Those the page uses as they
 * come are the generated types; polls, tallies, questions and presence are read through
 * `parseServerMessage`, which normalises the participant and audience shapes into one.
 */
export type ServerMessage =
  | { type: 'subscribed'; room: string; polls: Poll[]; questions: Question[]; presence?: Presence; tallies: Results[] }
  | ({ type: 'presence'; room?: string } & Presence)
  | Wire<'poll'>
  | Wire<'poll_removed'>
  | Wire<'poll_order'>
  | ({ type: 'tally'; room: string } & Results)
  | { type: 'question'; room: string; question: Question }
  | Wire<'vote_ack'>
  | Wire<'error'>
  | Wire<'pong'>
  | Wire<'role_changed'>
  | CommentMessage
  | CommentRemovedMessage
  | AgreementMessage;

/** A thread of `document_id` changed (new, reply, edit, resolve, reopen, deleted with replies left). */
export type CommentMessage = Wire<'comment'>;
/** A thread of `document_id` is gone entirely. */
export type CommentRemovedMessage = Wire<'comment_removed'>;
/** An agreement of the room was proposed, changed by a position, or reached its outcome: the whole agreement. */
export type AgreementMessage = Wire<'agreement'>;

/** The question text limit (server side too). */
export const QUESTION_MAX = 280;
/** The open-text ballot limit. */
export const TEXT_BALLOT_MAX = 280;
