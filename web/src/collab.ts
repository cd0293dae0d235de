/** Pure helpers for the collaborative editor (no DOM, no Yjs imports: unit-tested in node). */
import { SIDES, type Side } from './types';

export const SIDE_COLOURS: Record<Side, string> = {
  employer: '#1d4ed8',
  union: '#b91c1c',
  neutral: '#4b5563',
};

export function isSide(v: unknown): v is Side {
  return typeof v === 'string' && (SIDES as readonly string[]).includes(v);
}

/** The colour for a side; anything unknown is shown as neutral. */
export function sideColour(side: unknown): string {
  return isSide(side) ? SIDE_COLOURS[side] : SIDE_COLOURS.neutral;
}

/** The y-websocket server URL (room = document id is appended by the provider): same host, ws or wss. */
export function yjsServerUrl(loc: { protocol: string; host: string }): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/v1/yjs`;
}

/** What each client publishes in awareness under `user`. */
export interface AwarenessUser {
  name: string;
  color: string;
  side: Side;
  /** Set for observers: present, but cannot edit. */
  readOnly?: boolean;
}

export interface PresentUser extends AwarenessUser {
  clientId: number;
  self: boolean;
  /** How many connections (tabs) this person has open. */
  connections: number;
}

/**
 * Turns awareness states into the "Editing now" list: one entry per person (name + side),
 * the local user first, then by name. Malformed states are ignored; a person with several tabs
 * is listed once and counts as editing if any tab can edit.
 */
export function presentUsers(
  states: Map<number, Record<string, unknown> | null | undefined>,
  selfClientId: number,
): PresentUser[] {
  const byKey = new Map<string, PresentUser>();
  for (const [clientId, state] of states) {
    const u = state?.user as Record<string, unknown> | undefined;
    if (!u || typeof u !== 'object' || typeof u.name !== 'string' || !u.name.trim()) continue;
    const side: Side = isSide(u.side) ? u.side : 'neutral';
    const name = u.name.trim().slice(0, 80);
    const key = `${side}\u0000${name}`;
    const self = clientId === selfClientId;
    const readOnly = u.readOnly === true;
    const prev = byKey.get(key);
    if (prev) {
      prev.connections++;
      prev.self ||= self;
      prev.readOnly = prev.readOnly && readOnly;
      if (self) prev.clientId = clientId;
    } else {
      byKey.set(key, { clientId, name, side, color: sideColour(side), readOnly, self, connections: 1 });
    }
  }
  return [...byKey.values()].sort((a, b) => {
    if (a.self !== b.self) return a.self ? -1 : 1;
    return a.name.localeCompare(b.name) || a.side.localeCompare(b.side);
  });
}

export type ConnectionState = 'connected' | 'reconnecting' | 'offline';

/**
 * The indicator's state from the provider's websocket status, the browser's online flag and how many
 * reconnect attempts failed in a row. Edits made meanwhile stay local and merge on reconnect.
 */
export function connectionState(
  status: 'connected' | 'connecting' | 'disconnected',
  online: boolean,
  failedAttempts: number,
): ConnectionState {
  if (!online) return 'offline';
  if (status === 'connected') return 'connected';
  return failedAttempts >= 3 ? 'offline' : 'reconnecting';
}

/**
 * Normalises what a user typed as a link target. Returns null when it is not an acceptable link:
 * only http(s) and mailto are allowed (no javascript:, data: …); a bare host gets https://.
 */
export function normaliseLink(input: string): string | null {
  const raw = input.trim();
  if (!raw || /\s/.test(raw)) return null;
  let candidate = raw;
  if (/^[\w.+-]+@[\w-]+(\.[\w-]+)+$/.test(raw)) candidate = `mailto:${raw}`;
  else if (!/^[a-z][a-z0-9+.-]*:/i.test(raw)) candidate = `https://${raw}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol === 'mailto:') return url.pathname.includes('@') ? candidate : null;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname || (!url.hostname.includes('.') && url.hostname !== 'localhost')) return null;
  return url.href;
}

/** Why the server changed or ended this connection's rights (its reason starts with the code). */
export type RightsCode =
  | 'observer'
  | 'archived'
  | 'editor'
  | 'signed_out'
  | 'removed'
  | 'session_ended'
  | 'rights_unverifiable'
  // The server's document quotas: a change it refused (nothing of it was applied).
  | 'update_too_large'
  | 'document_full'
  | 'rate_limited';

export interface RightsNotice {
  code: RightsCode;
  /** Whether the person may still edit through this page. */
  canEdit: boolean;
  /** The connection is over for good (reconnecting would be refused). */
  ended: boolean;
}

const RIGHTS_CODES: readonly RightsCode[] = [
  'observer',
  'archived',
  'editor',
  'signed_out',
  'removed',
  'session_ended',
  'rights_unverifiable',
  'update_too_large',
  'document_full',
  'rate_limited',
];

/** Reads a server reason such as "observer: You are now an observer…" (English text; the page shows its own). */
export function rightsNotice(reason: string): RightsNotice {
  const head = reason.split(':', 1)[0]?.trim() ?? '';
  const code: RightsCode = (RIGHTS_CODES as readonly string[]).includes(head) ? (head as RightsCode) : 'rights_unverifiable';
  return {
    code,
    canEdit: code === 'editor' || code === 'rate_limited',
    // A refused change stays in this page's copy and would be sent again on every reconnect.
    ended: ['signed_out', 'removed', 'session_ended', 'update_too_large', 'document_full'].includes(code),
  };
}
