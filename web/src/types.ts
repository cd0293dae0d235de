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

export type Side = (typeof SIDES)[number];
export type Role = (typeof ROLES)[number];
export type Theme = (typeof THEMES)[number];

export interface User {
  id: string;
  email: string;
  display_name: string;
}

export interface Roundtable {
  id: string;
  title: string;
  theme: Theme;
  description: string;
  created_at: string;
  my_side: Side;
  my_role: Role;
  /** What the caller may do here, decided by the server's permission table. */
  my_actions: Action[];
}

/** The server's permission table's actions (`accord_domain::Action`). */
export type Action =
  | 'view'
  | 'invite'
  | 'manage_participants'
  | 'edit_documents'
  | 'comment'
  | 'manage_polls'
  | 'vote'
  | 'endorse'
  | 'moderate_questions'
  | 'see_results_early';

/** Whether the server lets the caller do `action` in this roundtable. */
export function can(rt: Pick<Roundtable, 'my_actions'> | null | undefined, action: Action): boolean {
  return !!rt?.my_actions?.includes(action);
}

export interface Invitation {
  token: string;
  url: string;
  expires_at: string;
  side: Side;
  role: Role;
}

export interface InvitationPreview {
  roundtable_id: string;
  roundtable_title: string;
  theme: Theme;
  side: Side;
  role: Role;
  expires_at: string;
}

export interface AcceptResult {
  roundtable_id: string;
  side: Side;
  role: Role;
}

export interface Participant {
  user_id: string;
  display_name: string;
  side: Side;
  role: Role;
  organisation: string | null;
  joined_at: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export const DOC_KINDS = ['programme', 'recommendation', 'notes'] as const;
export type DocKind = (typeof DOC_KINDS)[number];

export interface AccordDocument {
  id: string;
  roundtable_id: string;
  title: string;
  kind: DocKind;
  archived: boolean;
  created_at: string;
  can_edit: boolean;
  my_side: Side;
}
