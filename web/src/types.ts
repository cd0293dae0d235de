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
