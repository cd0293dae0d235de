/** Test fixtures: Yjs documents shaped as the editor stores them, and the binding it would hold. Tests only. */
import * as Y from 'yjs';
import { Schema, type Node as PMNode } from '@tiptap/pm/model';
import { initProseMirrorDoc } from '@tiptap/y-tiptap';
import type { YBinding } from './anchors';

// The part of TipTap's schema these tests need (node names as the Collaboration extension stores them).
export const schema = new Schema({
  nodes: {
    doc: { content: 'block+' },
    paragraph: { group: 'block', content: 'inline*' },
    heading: { group: 'block', content: 'inline*', attrs: { level: { default: 1 } } },
    text: { group: 'inline' },
  },
});

/** Block texts into a fresh document's "default" fragment, as the editor stores them. */
export function docWith(...blocks: string[]): Y.Doc {
  const ydoc = new Y.Doc();
  const fragment = ydoc.getXmlFragment('default');
  ydoc.transact(() => {
    for (const text of blocks) {
      const p = new Y.XmlElement('paragraph');
      fragment.push([p]);
      const t = new Y.XmlText();
      p.push([t]);
      t.insert(0, text);
    }
  });
  return ydoc;
}

/** The binding the editor would hold: the ProseMirror document rendered from Yjs, and its mapping. */
export function bind(ydoc: Y.Doc): YBinding & { pm: PMNode } {
  const fragment = ydoc.getXmlFragment('default');
  const { doc, mapping } = initProseMirrorDoc(fragment, schema);
  return { doc: ydoc, fragment, mapping, pm: doc };
}

export function textOf(ydoc: Y.Doc, block: number): Y.XmlText {
  return (ydoc.getXmlFragment('default').get(block) as Y.XmlElement).get(0) as Y.XmlText;
}

/** The ProseMirror range of `needle` in the (single-block-deep) document. */
export function find(pm: PMNode, needle: string): { from: number; to: number } {
  let found: { from: number; to: number } | null = null;
  pm.descendants((node, pos) => {
    if (found || !node.isText) return;
    const i = node.text!.indexOf(needle);
    if (i >= 0) found = { from: pos + i, to: pos + i + needle.length };
  });
  if (!found) throw new Error(`${needle} not found`);
  return found;
}

