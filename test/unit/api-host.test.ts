/**
 * The app host — the one implementation of the typed API behind both IPC and the dashboard bridge —
 * with a real engine on loopback: untrusted input never throws, a taken port falls back with a
 * notice that waits for its first listener, and an adopted engine is left to its creator.
 */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../common/api';
import { createAppHost, type AppHost } from '../../main/control/app-host';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function host(options: Parameters<typeof createAppHost>[0]): Promise<AppHost> {
  const h = await createAppHost(options);
  cleanup.push(() => h.close());
  return h;
}

describe('app host', () => {
  it('answers every kind of untrusted input with a result, never a throw', async () => {
    const h = await host({ shell: 'electron', engineOptions: { port: 0 } });
    const inputs: [unknown, unknown][] = [
      [undefined, undefined],
      ['getInfo', 'x'],
      ['setWorkers', { workers: 2 ** 53 }],
      [{}, {}],
      ['constructor', {}],
      ['runBcrypt', { cost: 4, mode: 'loop', extra: 1 }],
    ];
    for (const [name, payload] of inputs) {
      const result = await h.handle(name, payload);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(['unknown_command', 'bad_payload']).toContain(result.error.code);
    }
    expect(await h.handle('getInfo', {})).toMatchObject({ ok: true, value: { shell: 'electron' } });
  });

  it('takes a free port when the demo port is in use, and tells the first notice listener', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    cleanup.push(() => new Promise((resolve) => blocker.close(resolve)));
    const taken = (blocker.address() as { port: number }).port;

    await expect(createAppHost({ shell: 'electron', engineOptions: { port: taken } })).rejects.toMatchObject({
      code: 'port_in_use',
    });

    const h = await host({ shell: 'electron', engineOptions: { port: taken }, fallbackToFreePort: true });
    const info = h.info();
    expect(new URL(info.serverUrl).port).not.toBe(String(taken));
    const heard: ApiEvents['notice'][] = [];
    h.on('notice', (n) => heard.push(n));
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ level: 'warn', code: 'port_in_use' });
    expect(heard[0]?.message).toContain(info.serverUrl);
  });

  it('closes the engine it owns, and refuses commands once closing', async () => {
    const h = await createAppHost({ shell: 'browser', engineOptions: { port: 0 } });
    const url = h.info().serverUrl;
    expect(await (await fetch(`${url}/`)).text()).toBe('Hello, world');
    await h.close();
    expect(await h.handle('getInfo', {})).toMatchObject({ ok: false, error: { code: 'shutting_down' } });
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });
});
