/** React state for one roundtable room: polls, tallies, questions and presence, live over /api/v1/ws. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../api';
import { mergePoll, mergeQuestion, mergeTally, resultsFromTally, roomOf } from './logic';
import { applyOrder, removeById } from '../agenda/logic';
import { LiveSocket, VoteError, type LiveState } from './socket';
import type { Ballot, Poll, Presence, Question, Results, ServerMessage } from './types';
import type { Action, Role } from '../types';

export type RoomEvent =
  | { type: 'opened' | 'closed' | 'created'; poll: Poll }
  /** A draft was deleted (by anyone managing the polls). */
  | { type: 'removed'; pollId: string }
  /** The server changed the caller's role while the page was open. */
  | { type: 'role_changed'; role: Role; actions: Action[] };

export interface LiveRoom {
  state: LiveState;
  polls: Poll[];
  questions: Question[];
  presence: Presence | null;
  results: Record<string, Results>;
  /** Set when the server refused the subscription (e.g. the live session ended). */
  refused: string | null;
  vote: (poll: Poll, ballot: Ballot) => Promise<void>;
  loadResults: (pollId: string) => Promise<void>;
  setPolls: (f: (p: Poll[]) => Poll[]) => void;
  setQuestions: (f: (q: Question[]) => Question[]) => void;
}

/**
 * `wantResults(poll)` says whether to read a poll's results over REST (on subscribe, when it closes,
 * after voting); pushed tallies are always kept. `onEvent` hears polls being created, opened, closed.
 */
export function useLiveRoom(
  roundtableId: string | null,
  opts: { wantResults: (poll: Poll) => boolean; onEvent?: (e: RoomEvent) => void },
): LiveRoom {
  const [state, setState] = useState<LiveState>('connecting');
  const [polls, setPollsState] = useState<Poll[]>([]);
  const [questions, setQuestionsState] = useState<Question[]>([]);
  const [presence, setPresence] = useState<Presence | null>(null);
  const [results, setResults] = useState<Record<string, Results>>({});
  const [refused, setRefused] = useState<string | null>(null);
  const socketRef = useRef<LiveSocket | null>(null);
  const optsRef = useRef(opts);
  optsRef.current = opts;
  const pollsRef = useRef<Poll[]>([]);

  const setPolls = useCallback((f: (p: Poll[]) => Poll[]) => {
    setPollsState((prev) => {
      const next = f(prev);
      pollsRef.current = next;
      return next;
    });
  }, []);
  const setQuestions = useCallback((f: (q: Question[]) => Question[]) => setQuestionsState(f), []);

  const loadResults = useCallback(async (pollId: string) => {
    try {
      const r = await api<Record<string, unknown>>('GET', `/polls/${encodeURIComponent(pollId)}/results`);
      setResults((known) => mergeTally(known, resultsFromTally(r)));
    } catch (e) {
      // 403: results hidden for us; anything else: the next tally push fills it in.
      if (!(e instanceof ApiError)) console.warn('results', e);
    }
  }, []);

  useEffect(() => {
    if (!roundtableId) return;
    setRefused(null);
    const onMessage = (msg: ServerMessage) => {
      switch (msg.type) {
        case 'subscribed': {
          setRefused(null);
          setPolls(() => msg.polls);
          // Merge rather than replace: a REST read may know questions the socket leaves out (pending ones).
          setQuestionsState((known) => msg.questions.reduce((acc, q) => mergeQuestion(acc, q), known));
          if (msg.presence) setPresence(msg.presence);
          const tallied = new Set(msg.tallies.map((r) => r.poll_id));
          if (msg.tallies.length) setResults((known) => msg.tallies.reduce((acc, r) => mergeTally(acc, r), known));
          for (const p of msg.polls)
            if (p.status !== 'draft' && !tallied.has(p.id) && optsRef.current.wantResults(p)) void loadResults(p.id);
          break;
        }
        case 'poll': {
          const prev = pollsRef.current.find((p) => p.id === msg.poll.id);
          // A broadcast poll says nothing of *my* ballot (it has no `voted`): keep what we knew.
          const merged = { ...msg.poll, voted: prev?.voted ?? false };
          setPolls((list) => mergePoll(list, merged));
          if (!prev) optsRef.current.onEvent?.({ type: 'created', poll: merged });
          if (prev?.status !== msg.poll.status) {
            if (msg.poll.status === 'open') optsRef.current.onEvent?.({ type: 'opened', poll: merged });
            if (msg.poll.status === 'closed') optsRef.current.onEvent?.({ type: 'closed', poll: merged });
          }
          if (msg.poll.status !== 'draft' && optsRef.current.wantResults(merged)) void loadResults(msg.poll.id);
          break;
        }
        case 'poll_removed':
          setPolls((list) => removeById(list, msg.poll_id));
          optsRef.current.onEvent?.({ type: 'removed', pollId: msg.poll_id });
          break;
        case 'poll_order':
          setPolls((list) => applyOrder(list, msg.poll_ids));
          break;
        case 'tally': {
          const { type: _t, room: _r, ...r } = msg;
          setResults((known) => mergeTally(known, r));
          break;
        }
        case 'role_changed':
          optsRef.current.onEvent?.({ type: 'role_changed', role: msg.role, actions: msg.actions });
          break;
        case 'question':
          setQuestionsState((list) => mergeQuestion(list, msg.question));
          break;
        case 'presence':
          setPresence((prev) => ({
            participants: msg.participants ?? prev?.participants,
            audience: typeof msg.audience === 'number' ? msg.audience : prev?.audience ?? 0,
          }));
          break;
        default:
          break;
      }
    };
    const socket = new LiveSocket({
      room: roomOf(roundtableId),
      onMessage,
      onState: setState,
      onRefused: (code) => setRefused(code),
    });
    socketRef.current = socket;
    socket.start();
    return () => {
      socket.stop();
      socketRef.current = null;
    };
  }, [roundtableId, loadResults, setPolls]);

  const vote = useCallback(
    async (poll: Poll, ballot: Ballot) => {
      const socket = socketRef.current;
      let viaSocket = false;
      if (socket?.ready) {
        try {
          await socket.vote(poll.id, ballot);
          viaSocket = true;
        } catch (e) {
          // Refused by the server: report it. Lost connection or no answer: fall back to REST
          // (one ballot per voter is enforced by the server, so a repeat is harmless).
          if (!(e instanceof VoteError) || !['not_connected', 'timeout', 'closed', 'superseded'].includes(e.code)) throw e;
        }
      }
      if (!viaSocket) await api('POST', `/polls/${encodeURIComponent(poll.id)}/ballots`, ballot);
      setPolls((list) => list.map((p) => (p.id === poll.id ? { ...p, voted: true } : p)));
      if (optsRef.current.wantResults({ ...poll, voted: true })) void loadResults(poll.id);
    },
    [loadResults, setPolls],
  );

  return { state, polls, questions, presence, results, refused, vote, loadResults, setPolls, setQuestions };
}
