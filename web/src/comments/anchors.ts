/**
 * Comment anchors: a passage held as two Yjs relative positions, so it follows the text as people type.
 *
 * The bytes are `Y.encodeRelativePosition(absolutePositionToRelativePosition(pos, fragment, mapping))`
 * (y-prosemirror's functions, TipTap's fork), sent as base64; the server decodes the same bytes with
 * yrs' `StickyIndex::decode_v1`. No DOM, no React: unit-tested in node.
 */
import * as Y from 'yjs';
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from '@tiptap/y-tiptap';
import type { EditorState } from '@tiptap/pm/state';
import type { CommentAnchor } from '../types';

/** y-prosemirror's map from Yjs types to the ProseMirror nodes rendered from them. */
export type Mapping = Parameters<typeof absolutePositionToRelativePosition>[2];

/** What resolving needs: the Y.Doc, its bound XmlFragment ("default") and the binding's mapping. */
export interface YBinding {
  doc: Y.Doc;
  fragment: Y.XmlFragment;
  mapping: Mapping;
}

/** The editor's Yjs binding (from y-tiptap's sync plugin), or null before it exists or while a snapshot is shown. */
export function bindingOf(state: EditorState): YBinding | null {
  const ystate = ySyncPluginKey.getState(state) as
    | { binding?: { doc: Y.Doc; type: Y.XmlFragment; mapping: Mapping } | null; snapshot?: unknown; prevSnapshot?: unknown }
    | undefined;
  const b = ystate?.binding;
  if (!b || !b.doc || !b.type || ystate.snapshot != null || ystate.prevSnapshot != null) return null;
  return { doc: b.doc, fragment: b.type, mapping: b.mapping };
}

/** Standard base64 (with padding) of bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

/** The bytes of standard base64, or null when it is not base64. */
export function base64ToBytes(b64: string): Uint8Array | null {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) return null;
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return null;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The base64 anchor of a ProseMirror position. */
export function encodePosition(pos: number, b: Pick<YBinding, 'fragment' | 'mapping'>): string {
  const rel = absolutePositionToRelativePosition(pos, b.fragment, b.mapping) as Y.RelativePosition;
  return bytesToBase64(Y.encodeRelativePosition(rel));
}

/** The anchor of the passage `from`..`to` (a selection's bounds). */
export function makeAnchor(from: number, to: number, b: Pick<YBinding, 'fragment' | 'mapping'>): CommentAnchor {
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  return { start: encodePosition(lo, b), end: encodePosition(hi, b) };
}

/** One decoded relative position, or null for bytes that are not one. */
export function decodePosition(b64: string): Y.RelativePosition | null {
  const bytes = base64ToBytes(b64);
  if (!bytes || bytes.length === 0) return null;
  try {
    return Y.decodeRelativePosition(bytes);
  } catch {
    return null;
  }
}

export interface DecodedAnchor {
  start: Y.RelativePosition;
  end: Y.RelativePosition;
}

export function decodeAnchor(anchor: CommentAnchor | null | undefined): DecodedAnchor | null {
  if (!anchor) return null;
  const start = decodePosition(anchor.start);
  const end = decodePosition(anchor.end);
  return start && end ? { start, end } : null;
}

/**
 * Where an anchor stands in the editor now:
 * - `range`: the passage, `from` < `to`;
 * - `gone`: both ends resolve but meet (or cross): the passage's text was deleted;
 * - `unknown`: it cannot be resolved here (another document, or the binding is not ready).
 */
export type Resolved = { kind: 'range'; from: number; to: number } | { kind: 'gone'; at: number } | { kind: 'unknown' };

export function resolveAnchor(anchor: DecodedAnchor, b: YBinding): Resolved {
  const from = toAbsolute(anchor.start, b);
  const to = toAbsolute(anchor.end, b);
  if (from === null || to === null) return { kind: 'unknown' };
  return from < to ? { kind: 'range', from, to } : { kind: 'gone', at: Math.min(from, to) };
}

function toAbsolute(rel: Y.RelativePosition, b: YBinding): number | null {
  try {
    return relativePositionToAbsolutePosition(b.doc, b.fragment, rel, b.mapping);
  } catch {
    return null;
  }
}
