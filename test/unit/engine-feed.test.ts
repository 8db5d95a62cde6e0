import { describe, expect, it } from 'vitest';
import { isLoopscopeError } from '../../common/errors';
import { Feed, sseEvent } from '../../main/engine/feed';

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isLoopscopeError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('Feed', () => {
  it('numbers messages from 1 and serialises each frame once as JSON', () => {
    const feed = new Feed(5);
    expect(feed.lastSeq).toBe(0);
    expect(feed.oldestSeq).toBe(0);
    expect(feed.publish('a')).toBe(1);
    expect(feed.publish('b "quoted"\n')).toBe(2);
    expect(JSON.parse(feed.get(2)!.frame.toString())).toEqual({ seq: 2, data: 'b "quoted"\n' });
    expect(feed.since(0, 10).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('keeps only the newest `capacity` messages', () => {
    const feed = new Feed(5);
    for (let i = 1; i <= 12; i++) feed.publish(`m${i}`);
    expect(feed.oldestSeq).toBe(8);
    expect(feed.get(7)).toBeUndefined();
    expect(feed.get(8)?.data).toBe('m8');
    expect(feed.since(0, 100).map((m) => m.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(feed.since(9, 2).map((m) => m.seq)).toEqual([10, 11]);
  });

  it('resolves cursors per the protocol', () => {
    const feed = new Feed(5);
    expect(feed.resolveCursor(undefined)).toBe(0);
    expect(feed.resolveCursor(0)).toBe(0);
    expect(errorCode(() => feed.resolveCursor(1))).toBe('bad_cursor');
    for (let i = 1; i <= 12; i++) feed.publish(`m${i}`);
    expect(feed.resolveCursor(undefined)).toBe(12);
    expect(feed.resolveCursor(0)).toBe(7); // from the oldest retained (8)
    expect(feed.resolveCursor(7)).toBe(7);
    expect(feed.resolveCursor(12)).toBe(12);
    expect(errorCode(() => feed.resolveCursor(6))).toBe('cursor_expired');
    expect(errorCode(() => feed.resolveCursor(13))).toBe('bad_cursor');
    try {
      feed.resolveCursor(3);
    } catch (err) {
      expect(isLoopscopeError(err) && err.details.oldest).toBe(8);
    }
  });

  it('wakes each subscriber once per burst of publishes, after the burst is in the ring', async () => {
    const feed = new Feed();
    const wakes = [0, 0, 0];
    const seen: number[] = [];
    const unsubscribe = wakes.map((_, i) =>
      feed.subscribe({
        wake: () => {
          wakes[i]!++;
          seen.push(feed.lastSeq);
        },
      }),
    );
    feed.publish('x');
    feed.publish('y');
    expect(wakes).toEqual([0, 0, 0]);
    await new Promise((r) => setImmediate(r));
    expect(wakes).toEqual([1, 1, 1]);
    expect(seen).toEqual([2, 2, 2]);
    unsubscribe[1]!();
    feed.publish('z');
    await new Promise((r) => setImmediate(r));
    expect(wakes).toEqual([2, 1, 2]);
  });

  it('counts the bytes a reader is owed', () => {
    const feed = new Feed();
    feed.publish('aaaa');
    feed.publish('bb');
    const total = feed.get(1)!.frame.length + feed.get(2)!.frame.length;
    expect(feed.bytesAfter(0)).toBe(total);
    expect(feed.bytesAfter(1)).toBe(feed.get(2)!.frame.length);
    expect(feed.bytesAfter(2)).toBe(0);
  });

  it('splits multi-line messages over several SSE data lines', () => {
    const feed = new Feed();
    feed.publish('one\ntwo\r\nthree\rfour');
    expect(sseEvent(feed.get(1)!).toString()).toBe(
      'id: 1\ndata: one\ndata: two\ndata: three\ndata: four\n\n',
    );
    feed.publish('');
    expect(sseEvent(feed.get(2)!).toString()).toBe('id: 2\ndata: \n\n');
  });
});
