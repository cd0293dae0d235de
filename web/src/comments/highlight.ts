/**
 * Highlights commented passages in the editor with ProseMirror decorations, recomputed from the
 * threads' Yjs anchors, so a highlight moves with its text as anyone types.
 *
 * Like y-prosemirror's own cursor plugin: a change from Yjs (another client's edit) resolves every
 * anchor again; a local edit first maps the decorations (the Yjs document catches up only in the
 * sync plugin's view update) and then resolves them again on the next tick. The anchors come in
 * through a transaction's meta (`setCommentHighlights`), so the plugin holds no React state.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state';
import { Decoration, DecorationSet, type EditorView } from '@tiptap/pm/view';
import { ySyncPluginKey } from '@tiptap/y-tiptap';
import { bindingOf, resolveAnchor, type DecodedAnchor } from './anchors';

export interface HighlightAnchor extends DecodedAnchor {
  id: string;
  /** Resolved threads are highlighted only while they are the active one. */
  resolved: boolean;
}

/** What the panel learns from the editor after each recompute (only when it changed). */
export interface HighlightSummary {
  /** Ids of the threads whose passages resolve, in the order of the text. */
  order: string[];
  /** Ids whose two ends meet: the passage was deleted here. */
  gone: string[];
}

interface State {
  anchors: HighlightAnchor[];
  active: string | null;
  /** The passage a comment is being written on (shown while the form has focus). */
  pending: DecodedAnchor | null;
  decorations: DecorationSet;
  /** A local edit was mapped, not resolved: resolve again once Yjs has it. */
  stale: boolean;
  summary: HighlightSummary;
  /** Where each resolvable thread's passage is now. */
  ranges: Map<string, { from: number; to: number }>;
}

type Meta = Partial<Pick<State, 'anchors' | 'active' | 'pending'>> & { recompute?: true };

export const commentHighlightKey = new PluginKey<State>('accordCommentHighlights');

export const PENDING_ID = '__pending__';

/** Sets anchors / the active thread / the pending passage (any subset) and resolves everything again. */
export function setCommentHighlights(view: EditorView, meta: Meta) {
  if (view.isDestroyed) return;
  view.dispatch(view.state.tr.setMeta(commentHighlightKey, meta));
}

export function highlightState(state: EditorState): State | undefined {
  return commentHighlightKey.getState(state);
}

function compute(state: EditorState, base: Omit<State, 'decorations' | 'stale' | 'summary' | 'ranges'>): State {
  const b = bindingOf(state);
  const decorations: Decoration[] = [];
  const ranges = new Map<string, { from: number; to: number }>();
  const found: { id: string; from: number }[] = [];
  const gone: string[] = [];
  // Before the binding has rendered, nothing resolves: no highlight rather than a wrong one.
  if (b && b.mapping.size > 0) {
    const size = state.doc.content.size;
    for (const a of base.anchors) {
      const r = resolveAnchor(a, b);
      if (r.kind === 'gone') gone.push(a.id);
      if (r.kind !== 'range' || r.to > size) continue;
      ranges.set(a.id, r);
      found.push({ id: a.id, from: r.from });
      const active = a.id === base.active;
      if (a.resolved && !active) continue;
      decorations.push(
        Decoration.inline(
          r.from,
          r.to,
          { nodeName: 'mark', class: active ? 'comment-mark comment-mark--active' : 'comment-mark', 'data-comment': a.id },
          // As the anchors: text typed at the start joins the passage, text typed at the end does not.
          { inclusiveStart: true, inclusiveEnd: false, commentId: a.id },
        ),
      );
    }
    if (base.pending) {
      const r = resolveAnchor(base.pending, b);
      if (r.kind === 'range' && r.to <= size) {
        decorations.push(
          Decoration.inline(r.from, r.to, { nodeName: 'mark', class: 'comment-mark comment-mark--pending' }, { commentId: PENDING_ID }),
        );
      }
    }
  }
  found.sort((x, y) => x.from - y.from);
  const summary = { order: found.map((f) => f.id), gone };
  return { ...base, decorations: DecorationSet.create(state.doc, decorations), stale: false, summary, ranges };
}

function sameSummary(a: HighlightSummary, b: HighlightSummary): boolean {
  return a.order.join('\u0000') === b.order.join('\u0000') && a.gone.join('\u0000') === b.gone.join('\u0000');
}

export interface CommentHighlightOptions {
  /** Called by Mod-Alt-M in the editor: open the comment form for the selection. */
  onShortcut: () => void;
  /** A click in a highlighted passage: the innermost thread there. */
  onActivate: (id: string) => void;
  /** The resolved order or the set of deleted passages changed. */
  onSummary: (summary: HighlightSummary) => void;
}

export const CommentHighlights = Extension.create<CommentHighlightOptions>({
  name: 'commentHighlights',

  addOptions() {
    return { onShortcut: () => {}, onActivate: () => {}, onSummary: () => {} };
  },

  addKeyboardShortcuts() {
    return {
      'Mod-Alt-m': () => {
        this.options.onShortcut();
        return true;
      },
    };
  },

  addProseMirrorPlugins() {
    return [commentHighlightPlugin(this.options)];
  },
});

/** The plugin itself (the extension adds it; tests build it on a bare EditorState). */
export function commentHighlightPlugin(options: CommentHighlightOptions): Plugin<State> {
  return new Plugin<State>({
    key: commentHighlightKey,
    state: {
      init: (_config, state) => compute(state, { anchors: [], active: null, pending: null }),
      apply: (tr: Transaction, prev: State, _old: EditorState, next: EditorState): State => {
        const meta = tr.getMeta(commentHighlightKey) as Meta | undefined;
        // `isChangeOrigin`: the sync plugin applying a Yjs change (a remote edit, or undo).
        const fromYjs = !!(tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined)?.isChangeOrigin;
        if (meta || fromYjs) {
          const { recompute: _r, ...set } = meta ?? {};
          return compute(next, { anchors: prev.anchors, active: prev.active, pending: prev.pending, ...set });
        }
        if (tr.docChanged) return { ...prev, decorations: prev.decorations.map(tr.mapping, tr.doc), stale: true };
        return prev;
      },
    },
    props: {
      decorations: (state) => commentHighlightKey.getState(state)?.decorations,
      handleClick: (view, pos) => {
        const st = commentHighlightKey.getState(view.state);
        if (!st) return false;
        // The innermost (shortest) passage under the click.
        let best: { id: string; len: number } | null = null;
        for (const [id, r] of st.ranges) {
          if (pos < r.from || pos > r.to) continue;
          const a = st.anchors.find((x) => x.id === id);
          if (!a || (a.resolved && id !== st.active)) continue;
          if (!best || r.to - r.from < best.len) best = { id, len: r.to - r.from };
        }
        if (best) options.onActivate(best.id);
        return false; // the click still places the caret
      },
    },
    view: () => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      let last: HighlightSummary = { order: [], gone: [] };
      return {
        update: (view) => {
          const st = commentHighlightKey.getState(view.state);
          if (!st) return;
          if (!sameSummary(st.summary, last)) {
            last = st.summary;
            const summary = st.summary;
            // Not synchronously: the editor may be updating inside a React render.
            queueMicrotask(() => options.onSummary(summary));
          }
          if (st.stale && timer === null) {
            timer = setTimeout(() => {
              timer = null;
              setCommentHighlights(view, { recompute: true });
            }, 0);
          }
        },
        destroy: () => {
          if (timer !== null) clearTimeout(timer);
        },
      };
    },
  });
}
