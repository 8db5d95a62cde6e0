/**
 * Typed listener sets for the API's pushed events. One hub per app host; every shell (IPC, the
 * dashboard bridge) subscribes once and fans out to its own windows or sockets.
 */
import type { ApiEvents, EventName } from '../../common/api';
import type { NoticeCode } from '../../common/errors';

type Listener<E extends EventName> = (data: ApiEvents[E]) => void;

/** Notices emitted before anyone listens (e.g. at start-up) are kept, this many, for the first listener. */
const MAX_UNHEARD_NOTICES = 10;

export class EventHub {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();
  private unheardNotices: ApiEvents['notice'][] = [];

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    if (event === 'notice' && this.unheardNotices.length > 0) {
      const unheard = this.unheardNotices;
      this.unheardNotices = [];
      for (const notice of unheard) (listener as Listener<'notice'>)(notice);
    }
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<E extends EventName>(event: E, data: ApiEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'notice' && this.unheardNotices.length < MAX_UNHEARD_NOTICES) {
        this.unheardNotices.push(data as ApiEvents['notice']);
      }
      return;
    }
    for (const listener of set) (listener as Listener<E>)(data);
  }

  notice(level: ApiEvents['notice']['level'], code: NoticeCode, message: string): void {
    this.emit('notice', { level, code, message, time: Date.now() });
  }

  clear(): void {
    this.listeners.clear();
  }
}
