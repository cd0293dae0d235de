import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { base64ToBytes, bytesToBase64, decodeAnchor, decodePosition, makeAnchor, resolveAnchor } from './anchors';
import { bind, docWith, find, textOf } from './ydoc-fixtures';

function quoteOf(ydoc: Y.Doc, anchor: ReturnType<typeof makeAnchor>): string | null {
  const b = bind(ydoc);
  const r = resolveAnchor(decodeAnchor(anchor)!, b);
  return r.kind === 'range' ? b.pm.textBetween(r.from, r.to, '\n') : r.kind;
}

describe('base64', () => {
  it('round-trips bytes, the empty array included', () => {
    for (const bytes of [new Uint8Array([]), new Uint8Array([0, 1, 2, 250, 255]), new Uint8Array(300).map((_, i) => i % 256)]) {
      expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    }
    expect(bytesToBase64(new Uint8Array([0xfb, 0xff]))).toBe('+/8=');
  });

  it('refuses what is not base64', () => {
    expect(base64ToBytes('not base64!')).toBeNull();
    expect(base64ToBytes('abcde')).toBeNull();
    expect(decodePosition('')).toBeNull();
    expect(decodeAnchor({ start: '%%', end: 'AA==' })).toBeNull();
  });

  it('an encoded relative position decodes to the same position through base64', () => {
    const ydoc = docWith('Hello world');
    const rel = Y.createRelativePositionFromTypeIndex(textOf(ydoc, 0), 6, -1);
    const b64 = bytesToBase64(Y.encodeRelativePosition(rel));
    const decoded = decodePosition(b64)!;
    // Decoding keeps what the bytes say (the item id, the association), which is what the server reads too.
    expect(Y.encodeRelativePosition(decoded)).toEqual(Y.encodeRelativePosition(rel));
    expect(decoded.assoc).toBe(-1);
    expect(Y.createAbsolutePositionFromRelativePosition(decoded, ydoc)?.index).toBe(6);
  });
});

describe('anchors follow the text', () => {
  it('resolve to the passage they were made for', () => {
    const ydoc = docWith('Hello world');
    const b = bind(ydoc);
    const { from, to } = find(b.pm, 'world');
    const anchor = makeAnchor(from, to, b);
    expect(resolveAnchor(decodeAnchor(anchor)!, b)).toEqual({ kind: 'range', from, to });
  });

  it('move when text is inserted before them', () => {
    const ydoc = docWith('Hello world');
    const b = bind(ydoc);
    const { from, to } = find(b.pm, 'world');
    const anchor = makeAnchor(from, to, b);
    textOf(ydoc, 0).insert(0, 'Big ');
    const after = bind(ydoc);
    expect(resolveAnchor(decodeAnchor(anchor)!, after)).toEqual({ kind: 'range', from: from + 4, to: to + 4 });
    expect(quoteOf(ydoc, anchor)).toBe('world');
  });

  it('move when a block is inserted before them, made by another client', () => {
    const mine = docWith('First line', 'Second line');
    const theirs = new Y.Doc();
    Y.applyUpdate(theirs, Y.encodeStateAsUpdate(mine));
    const b = bind(mine);
    const anchor = makeAnchor(find(b.pm, 'Second').from, find(b.pm, 'Second').to, b);
    const p = new Y.XmlElement('paragraph');
    theirs.getXmlFragment('default').insert(0, [p]);
    const t = new Y.XmlText();
    p.insert(0, [t]);
    t.insert(0, 'A new opening paragraph');
    Y.applyUpdate(mine, Y.encodeStateAsUpdate(theirs, Y.encodeStateVector(mine)));
    const r = resolveAnchor(decodeAnchor(anchor)!, bind(mine));
    expect(r).toEqual({ kind: 'range', from: 13 + 25, to: 19 + 25 });
    expect(quoteOf(mine, anchor)).toBe('Second');
  });

  it('grow with text typed inside the passage and ignore text typed after it', () => {
    const ydoc = docWith('one two three');
    const b = bind(ydoc);
    const { from, to } = find(b.pm, 'two');
    const anchor = makeAnchor(from, to, b);
    textOf(ydoc, 0).insert(5, 'X'); // t|wo
    textOf(ydoc, 0).insert(8, 'Y'); // right after "tXwo"
    expect(quoteOf(ydoc, anchor)).toBe('tXwo');
  });

  it('take in text typed right at their start (both ends lean left, as y-prosemirror makes them)', () => {
    const ydoc = docWith('one two three');
    const b = bind(ydoc);
    const { from, to } = find(b.pm, 'two');
    const anchor = makeAnchor(from, to, b);
    textOf(ydoc, 0).insert(4, 'big ');
    expect(quoteOf(ydoc, anchor)).toBe('big two');
  });

  it('span blocks', () => {
    const ydoc = docWith('alpha beta', 'gamma delta');
    const b = bind(ydoc);
    const anchor = makeAnchor(find(b.pm, 'beta').from, find(b.pm, 'gamma').to, b);
    expect(quoteOf(ydoc, anchor)).toBe('beta\ngamma');
  });

  it('hold at the very start of the document (y-prosemirror treats positions ≤ 1 with care)', () => {
    const ydoc = docWith('Hello world');
    const b = bind(ydoc);
    const anchor = makeAnchor(1, 6, b);
    expect(quoteOf(ydoc, anchor)).toBe('Hello');
    textOf(ydoc, 0).insert(11, '!');
    expect(quoteOf(ydoc, anchor)).toBe('Hello');
  });

  it('count UTF-16 code units, as ProseMirror and Yjs both do', () => {
    const ydoc = docWith('Æblegrød 😀 og flæsk');
    const b = bind(ydoc);
    const { from, to } = find(b.pm, 'flæsk');
    const anchor = makeAnchor(from, to, b);
    textOf(ydoc, 0).insert(0, '🙂');
    expect(quoteOf(ydoc, anchor)).toBe('flæsk');
  });

  it('collapse once the passage is deleted: the thread is orphaned', () => {
    const ydoc = docWith('keep this, drop that, keep');
    const b = bind(ydoc);
    const { from, to } = find(b.pm, 'drop that');
    const anchor = makeAnchor(from, to, b);
    textOf(ydoc, 0).delete(11, 9);
    expect(resolveAnchor(decodeAnchor(anchor)!, bind(ydoc)).kind).toBe('gone');
  });

  it('collapse when the whole block is deleted', () => {
    const ydoc = docWith('first', 'doomed paragraph', 'last');
    const b = bind(ydoc);
    const anchor = makeAnchor(find(b.pm, 'doomed').from, find(b.pm, 'paragraph').to, b);
    ydoc.getXmlFragment('default').delete(1, 1);
    expect(resolveAnchor(decodeAnchor(anchor)!, bind(ydoc)).kind).not.toBe('range');
  });

  it('do not resolve in another document', () => {
    const ydoc = docWith('Hello world');
    const b = bind(ydoc);
    const anchor = makeAnchor(7, 12, b);
    expect(resolveAnchor(decodeAnchor(anchor)!, bind(docWith('Hello world'))).kind).toBe('unknown');
  });
});
