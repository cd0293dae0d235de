import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { EditorState } from '@tiptap/pm/state';
import { initProseMirrorDoc, ySyncPlugin, ySyncPluginKey } from '@tiptap/y-tiptap';
import { Slice } from '@tiptap/pm/model';
import { decodeAnchor, makeAnchor } from './anchors';
import { commentHighlightKey, commentHighlightPlugin, type HighlightAnchor } from './highlight';
import { bind, docWith, find, schema, textOf } from './ydoc-fixtures';

const noop = { onShortcut: () => {}, onActivate: () => {}, onSummary: () => {} };

/** An editor state bound to `ydoc` the way the Collaboration extension binds it (without a view). */
function editorState(ydoc: Y.Doc) {
  const fragment = ydoc.getXmlFragment('default');
  const { doc, mapping } = initProseMirrorDoc(fragment, schema);
  return EditorState.create({ schema, doc, plugins: [ySyncPlugin(fragment, { mapping }), commentHighlightPlugin(noop)] });
}

/** What the sync plugin does on a remote change: the document re-rendered from Yjs, meta `isChangeOrigin`. */
function applyFromYjs(state: EditorState, ydoc: Y.Doc): EditorState {
  const binding = ySyncPluginKey.getState(state).binding as { mapping: Map<unknown, unknown> };
  const fresh = initProseMirrorDoc(ydoc.getXmlFragment('default'), schema);
  binding.mapping.clear();
  fresh.mapping.forEach((v, k) => binding.mapping.set(k, v));
  const tr = state.tr.replace(0, state.doc.content.size, new Slice(fresh.doc.content, 0, 0));
  tr.setMeta(ySyncPluginKey, { isChangeOrigin: true });
  return state.apply(tr);
}

function marks(state: EditorState) {
  const st = commentHighlightKey.getState(state)!;
  return st.decorations.find().map((d) => ({ text: state.doc.textBetween(d.from, d.to), cls: (d as unknown as { type: { attrs: { class: string } } }).type.attrs.class }));
}

function anchorFor(ydoc: Y.Doc, id: string, needle: string, resolved = false): HighlightAnchor {
  const b = bind(ydoc);
  const { from, to } = find(b.pm, needle);
  return { id, resolved, ...decodeAnchor(makeAnchor(from, to, b))! };
}

describe('comment highlights', () => {
  it('mark each open passage, the active one more strongly, resolved ones only while active', () => {
    const ydoc = docWith('We propose a pilot in two regions.');
    let state = editorState(ydoc);
    const anchors = [anchorFor(ydoc, 'a', 'pilot'), anchorFor(ydoc, 'b', 'two regions'), anchorFor(ydoc, 'c', 'propose', true)];
    state = state.apply(state.tr.setMeta(commentHighlightKey, { anchors }));
    expect(marks(state)).toEqual([
      { text: 'pilot', cls: 'comment-mark' },
      { text: 'two regions', cls: 'comment-mark' },
    ]);
    expect(commentHighlightKey.getState(state)!.summary).toEqual({ order: ['c', 'a', 'b'], gone: [] });
    state = state.apply(state.tr.setMeta(commentHighlightKey, { active: 'c' }));
    expect(marks(state)).toContainEqual({ text: 'propose', cls: 'comment-mark comment-mark--active' });
  });

  it('follow local typing at once and resolve again from Yjs after', () => {
    const ydoc = docWith('Hello world');
    let state = editorState(ydoc);
    state = state.apply(state.tr.setMeta(commentHighlightKey, { anchors: [anchorFor(ydoc, 'a', 'world')] }));
    state = state.apply(state.tr.insertText('Big ', 1));
    expect(marks(state).map((m) => m.text)).toEqual(['world']);
    expect(commentHighlightKey.getState(state)!.stale).toBe(true);
  });

  it('move with another client’s edit, and drop the highlight of a deleted passage', () => {
    const ydoc = docWith('Hello world, and more');
    let state = editorState(ydoc);
    state = state.apply(state.tr.setMeta(commentHighlightKey, { anchors: [anchorFor(ydoc, 'a', 'world'), anchorFor(ydoc, 'b', 'more')] }));
    textOf(ydoc, 0).insert(0, 'Oh, ');
    textOf(ydoc, 0).delete(textOf(ydoc, 0).toString().indexOf('more'), 4);
    state = applyFromYjs(state, ydoc);
    expect(marks(state).map((m) => m.text)).toEqual(['world']);
    expect(commentHighlightKey.getState(state)!.summary).toEqual({ order: ['a'], gone: ['b'] });
  });

  it('show the passage a comment is being written on', () => {
    const ydoc = docWith('Hello world');
    let state = editorState(ydoc);
    const { id: _id, resolved: _r, ...pending } = anchorFor(ydoc, 'x', 'Hello');
    state = state.apply(state.tr.setMeta(commentHighlightKey, { pending }));
    expect(marks(state)).toEqual([{ text: 'Hello', cls: 'comment-mark comment-mark--pending' }]);
  });
});
