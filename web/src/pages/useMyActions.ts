import { useEffect, useState } from 'react';
import { api } from '../api';
import type { Action, Roundtable } from '../types';

/**
 * The caller's actions in a roundtable (its `my_actions`), for pages that show one of its parts (the
 * document page: documents carry `can_edit` but no actions). Empty until known, and on failure: what
 * the caller may not be shown is simply not offered; the server checks every request anyway.
 */
export function useMyActions(roundtableId: string | undefined): readonly Action[] {
  const [actions, setActions] = useState<readonly Action[]>([]);
  useEffect(() => {
    if (!roundtableId) return;
    let cancelled = false;
    api<Roundtable>('GET', `/roundtables/${encodeURIComponent(roundtableId)}`)
      .then((rt) => !cancelled && setActions(rt.my_actions))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [roundtableId]);
  return actions;
}
