/**
 * A roundtable's agreements, read over REST and kept live by the event socket's `agreement`
 * messages (PROTOCOL.md §1): every proposal, position and outcome reaches every open page without
 * polling. Every (re)subscription reads the list again, so nothing said while disconnected is missed.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { agreementsApi, errorMessage } from '../api';
import type { TFunction } from '../i18n';
import { roomOf } from '../live/logic';
import { LiveSocket } from '../live/socket';
import type { ServerMessage } from '../live/types';
import type { Action, Agreement } from '../types';
import { announcement, upsertAgreement } from './logic';

export interface RoomAgreements {
  /** Newest first; null while loading. */
  agreements: Agreement[] | null;
  loadError: string | null;
  /** Puts an agreement the page received (a REST answer) into the list. */
  apply: (a: Agreement) => void;
  /** A polite announcement: state changes and progress of the agreements concerned, outcomes of one's own acts. */
  announcement: string;
  announce: (text: string) => void;
  /** The caller's actions as the socket last said (`role_changed`); null until it says. */
  actions: readonly Action[] | null;
}

export interface AgreementOptions {
  /** Only agreements on this document are announced (the document page). */
  documentId?: string;
  /** Announce nothing by itself (the caller announces what it wants from `onChange`). */
  quiet?: boolean;
  /** Called for every agreement that arrives over the socket, with what was known of it before. */
  onChange?: (next: Agreement, prev: Agreement | undefined) => void;
}

export function useAgreements(roundtableId: string, t: TFunction, opts: AgreementOptions = {}): RoomAgreements {
  const [agreements, setAgreements] = useState<Agreement[] | null>(null);
  const listRef = useRef<Agreement[] | null>(null);
  listRef.current = agreements;
  const [loadError, setLoadError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [actions, setActions] = useState<readonly Action[] | null>(null);
  const tRef = useRef(t);
  tRef.current = t;
  const optsRef = useRef(opts);
  optsRef.current = opts;

  // The same text twice would not be spoken again: alternate a trailing no-break space.
  const announce = useCallback((msg: string) => setText((prev) => (prev === msg ? `${msg}\u00a0` : msg)), []);

  const reload = useCallback(async () => {
    try {
      const list = await agreementsApi.list(roundtableId);
      setAgreements(list);
      setLoadError(null);
    } catch (e) {
      setLoadError(`${tRef.current('agreement.loadFailed')} ${errorMessage(e, tRef.current)}`);
      setAgreements((prev) => prev ?? []);
    }
  }, [roundtableId]);

  const apply = useCallback((a: Agreement) => {
    setAgreements((list) => upsertAgreement(list ?? [], a));
  }, []);

  useEffect(() => {
    setAgreements(null);
    void reload();
  }, [reload]);

  useEffect(() => {
    const onMessage = (msg: ServerMessage) => {
      switch (msg.type) {
        case 'subscribed':
          void reload();
          break;
        case 'agreement': {
          const next = msg.agreement;
          const prev = listRef.current?.find((a) => a.id === next.id);
          setAgreements((list) => upsertAgreement(list ?? [], next));
          const { documentId, onChange, quiet } = optsRef.current;
          if (!quiet && (!documentId || next.document_id === documentId)) {
            const said = announcement(prev, next, tRef.current);
            if (said) announce(said);
          }
          onChange?.(next, prev);
          break;
        }
        case 'role_changed':
          setActions(msg.actions);
          break;
        default:
          break;
      }
    };
    const socket = new LiveSocket({ room: roomOf(roundtableId), onMessage });
    socket.start();
    return () => socket.stop();
  }, [roundtableId, reload, announce]);

  return { agreements, loadError, apply, announcement: text, announce, actions };
}
