/** The roundtable event socket (/api/v1/ws, PROTOCOL.md §1): subscribe, reconnect with backoff, votes with acks. */
import { backoffDelay, parseServerMessage, wsUrl } from './logic';
import type { Ballot, ServerMessage } from './types';

/** Close reasons after which reconnecting is pointless. */
const ENDED = ['signed_out', 'removed', 'session_ended'];

export type LiveState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export class VoteError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: () => void;
  reject: (e: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface LiveSocketOptions {
  room: string;
  onMessage: (msg: ServerMessage) => void;
  onState?: (state: LiveState) => void;
  /** Called when the server refuses the subscription (e.g. the live session ended). */
  onRefused?: (code: string, message: string) => void;
  url?: string;
}

const PING_MS = 25_000;
const VOTE_TIMEOUT_MS = 8_000;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private stopped = true;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pending = new Map<string, Pending>();
  private subscribed = false;
  state: LiveState = 'connecting';

  constructor(private opts: LiveSocketOptions) {}

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
    }
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new VoteError('closed', 'connection closed'));
    }
    this.pending.clear();
  }

  get ready(): boolean {
    return this.subscribed && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a ballot over the socket; resolves on `vote_ack`, rejects with a VoteError. */
  vote(pollId: string, ballot: Ballot): Promise<void> {
    if (!this.ready) return Promise.reject(new VoteError('not_connected', 'not connected'));
    this.pending.get(pollId)?.reject(new VoteError('superseded', 'superseded'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(pollId);
        reject(new VoteError('timeout', 'no answer'));
      }, VOTE_TIMEOUT_MS);
      this.pending.set(pollId, { resolve, reject, timer });
      this.send({ type: 'vote', poll_id: pollId, ...ballot });
    });
  }

  private send(msg: unknown): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private setState(s: LiveState) {
    if (this.state === s) return;
    this.state = s;
    this.opts.onState?.(s);
  }

  private onOnline = () => {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.ws) this.connect();
  };

  private onOffline = () => {
    this.setState('offline');
  };

  private connect() {
    if (this.stopped) return;
    this.subscribed = false;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url ?? wsUrl(window.location));
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.send({ type: 'subscribe', room: this.opts.room });
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_MS);
    };
    ws.onmessage = (ev) => {
      const msg = parseServerMessage(ev.data);
      if (!msg) return;
      if (msg.type === 'subscribed') {
        this.subscribed = true;
        this.attempt = 0;
        this.setState('connected');
      } else if (msg.type === 'vote_ack') {
        const p = this.pending.get(msg.poll_id);
        if (p) {
          clearTimeout(p.timer);
          this.pending.delete(msg.poll_id);
          p.resolve();
        }
      } else if (msg.type === 'error') {
        const key = msg.poll_id && this.pending.has(msg.poll_id) ? msg.poll_id : null;
        if (key) {
          const p = this.pending.get(key)!;
          clearTimeout(p.timer);
          this.pending.delete(key);
          p.reject(new VoteError(msg.code, msg.message));
        } else if (!this.subscribed && (msg.code === 'unknown_room' || msg.code === 'forbidden')) {
          this.opts.onRefused?.(msg.code, msg.message);
        }
      }
      this.opts.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = null;
      this.ws = null;
      this.subscribed = false;
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new VoteError('closed', 'connection closed'));
      }
      this.pending.clear();
      if (this.stopped) return;
      // 1008: a right ended (the reason starts with its code: signed_out, removed, session_ended).
      // Reconnecting would be refused too, so stop and let the page say what happened.
      if (ev.code === 1008) {
        const code = ev.reason.split(':', 1)[0]?.trim() || 'policy';
        this.opts.onRefused?.(code, ev.reason);
        if (ENDED.includes(code)) {
          this.stop();
          return;
        }
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry() {
    if (this.stopped) return;
    this.setState(typeof navigator !== 'undefined' && navigator.onLine === false ? 'offline' : 'reconnecting');
    const delay = backoffDelay(this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}
