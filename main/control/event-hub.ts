/**
 * Typed listener sets for the API's pushed events. One hub per app host; every shell (IPC, the
 * dashboard bridge) subscribes once and fans out to its own windows or sockets.
 */
import type { ApiEvents, EventName } from '../../common/api';

type Listener<E extends EventName> = (data: ApiEvents[E]) => void;

export class EventHub {
  private readonly listeners = new Map<EventName, Set<Listener<never>>>();

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<E extends EventName>(event: E, data: ApiEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) (listener as Listener<E>)(data);
  }

  clear(): void {
    this.listeners.clear();
  }
}
