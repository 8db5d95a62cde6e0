/**
 * The demo server's pushed events on their way to the renderer: metric snapshots, stalls, and a
 * notice when it starts refusing connections at its file-descriptor limit.
 *
 * Plain Node: never imports electron.
 */
import type { Engine } from '../engine/engine';
import type { EventHub } from './event-hub';

/** Refusals this far apart are separate episodes, each told once. */
const REFUSAL_QUIET_MS = 10_000;

/** Subscribes to `engine`; returns the unsubscribe. `beforeSnapshot` runs just before each snapshot is sent. */
export function forwardEngineEvents(engine: Engine, hub: EventHub, beforeSnapshot: () => void): () => void {
  let refused = engine.metrics.latest().sockets.refusedAccepts;
  let lastRefusalAt = -Infinity;
  const offSnapshots = engine.metrics.subscribe((snapshot) => {
    // Sent after the I/O already waiting (after a stall of this loop, the generator's reports
    // queued in the pipe while timers run first) and after those reports: each snapshot reaches
    // the renderer with every report window received up to its own time.
    setImmediate(() => {
      beforeSnapshot();
      hub.emit('snapshot', snapshot);
    });
    // Said once per episode of refusals: when they start after a quiet spell, not every window.
    const now = snapshot.sockets.refusedAccepts;
    const grew = now > refused;
    if (grew && snapshot.time - lastRefusalAt > REFUSAL_QUIET_MS) {
      const cap = snapshot.sockets.max === null ? '' : ` (${snapshot.sockets.max} open sockets)`;
      hub.notice(
        'warn',
        'fd_limit',
        `The demo server is refusing new connections: it is at its file-descriptor limit${cap}. ` +
          'Raise it with `ulimit -n` before starting Loopscope, or spawn fewer clients.',
      );
    }
    if (grew) lastRefusalAt = snapshot.time;
    refused = now;
  });
  const offStalls = engine.stalls.subscribe((stall) => hub.emit('stall', stall));
  return () => {
    offSnapshots();
    offStalls();
  };
}
