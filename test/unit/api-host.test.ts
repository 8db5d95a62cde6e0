/**
 * The app host — the one implementation of the typed API behind both IPC and the dashboard bridge —
 * with a real engine on loopback: untrusted input never throws, a taken port falls back with a
 * notice that waits for its first listener, and an adopted engine is left to its creator.
 */
import { connect, createServer, type Socket } from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../common/api';
import type { LoadReport } from '../../common/load';
import { createAppHost, type AppHost } from '../../main/control/app-host';
import { childPids, waitForValue } from '../fixtures/load-wait';

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

  it('setServerWorkers refuses a count outside 1 … cores, naming the range; Kill a worker needs workers', async () => {
    const h = await host({ shell: 'electron', engineOptions: { port: 0 } });
    const cores = os.availableParallelism();
    expect(h.info()).toMatchObject({ serverWorkers: 1, maxServerWorkers: Math.min(cores, 64) });
    for (const count of [0, -1, 1.5, 65]) {
      const result = await h.handle('setServerWorkers', { count });
      expect(result).toMatchObject({ ok: false, error: { code: 'bad_payload' } });
      if (!result.ok) expect(result.error.message).toContain('count');
    }
    if (cores < 64) {
      const result = await h.handle('setServerWorkers', { count: cores + 1 });
      expect(result).toMatchObject({ ok: false, error: { code: 'bad_payload' } });
      if (!result.ok) expect(result.error.message).toContain(`from 1 to ${cores}`);
    }
    const kill = await h.handle('killServerWorker', {});
    expect(kill).toMatchObject({ ok: false, error: { code: 'bad_command' } });
    if (!kill.ok) expect(kill.error.message).toMatch(/one process/);
    // Nothing was restarted by the refusals: the same server still answers.
    expect((await fetch(h.info().serverUrl)).status).toBe(200);
  });

  it('with no redis-server installed, 2 workers is refused with how to install it, and one process serves on', async () => {
    const h = await host({ shell: 'electron', engineOptions: { port: 0 } });
    const url = h.info().serverUrl;
    const heard: ApiEvents['notice'][] = [];
    h.on('notice', (n) => heard.push(n));
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let result;
    try {
      result = await h.handle('setServerWorkers', { count: 2 });
    } finally {
      process.env.PATH = path;
    }
    expect(result).toMatchObject({ ok: false, error: { code: 'no_redis_server' } });
    if (!result.ok) expect(result.error.message).toContain('apt-get install redis-server');
    expect(heard.find((n) => n.code === 'server_workers')?.message).toContain('apt-get install redis-server');
    expect(h.info()).toMatchObject({ serverWorkers: 1, serverUrl: url });
    expect((await fetch(url)).status).toBe(200);
  });

  it('takes a free port when the demo port is in use, and tells the first notice listener', async () => {
    const blocker = createServer();
    // Only here to hold the port. Whatever connects to it (under npm a stray keep-alive socket did,
    // and close() waited for it forever) is cut at cleanup.
    const accepted = new Set<Socket>();
    blocker.on('connection', (socket: Socket) => {
      accepted.add(socket);
      socket.once('close', () => accepted.delete(socket));
    });
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    cleanup.push(
      () =>
        new Promise((resolve) => {
          for (const socket of accepted) socket.destroy();
          blocker.close(resolve);
        }),
    );
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

  it('says at once when the generator process is killed, shows 0 active, and starts a new one on demand', async () => {
    const h = await host({ shell: 'electron', engineOptions: { port: 0 }, reportForwardMs: 100 });
    const notices: ApiEvents['notice'][] = [];
    const reports: LoadReport[] = [];
    h.on('notice', (n) => notices.push(n));
    h.on('loadReport', (r) => reports.push(r));
    const before = new Set(childPids(process.pid));
    expect(await h.handle('load', { type: 'spawn', kind: 'ws-prime', count: 20 })).toMatchObject({
      ok: true,
    });
    await waitForValue(
      async () => reports.at(-1)?.kinds['ws-prime'].active,
      (active) => active === 20,
    );
    const [generator] = childPids(process.pid).filter((pid) => !before.has(pid));
    expect(generator).toBeDefined();

    const killedAt = performance.now();
    process.kill(generator!, 'SIGKILL');
    const notice = await waitForValue(
      async () => notices.find((n) => n.code === 'generator_exited'),
      (n) => n !== undefined,
      1_000,
    );
    const noticeMs = performance.now() - killedAt;
    expect(notice).toMatchObject({ level: 'error' });
    expect(notice!.message).toContain(`pid ${generator}) was killed by SIGKILL`);
    expect(reports.at(-1)?.kinds['ws-prime'].active).toBe(0);
    console.log(`host noticed the dead generator ${noticeMs.toFixed(0)} ms after SIGKILL`);

    // The next command starts a fresh generator, without a second notice about the same death.
    expect(await h.handle('load', { type: 'spawn', kind: 'ws-prime', count: 5 })).toMatchObject({ ok: true });
    await waitForValue(
      async () => reports.at(-1)?.kinds['ws-prime'].active,
      (active) => active === 5,
    );
    // (A generator_warning about CPU on this busy machine may come too; none may repeat the death.)
    expect(notices.filter((n) => n.message.includes(`pid ${generator})`))).toHaveLength(1);
    expect(notices.map((n) => n.code)).not.toContain('generator_restarted');
  });

  it('tells the user, once, naming ulimit -n, when the demo server refuses connections', async () => {
    const h = await host({
      shell: 'electron',
      engineOptions: { port: 0, sampleIntervalMs: 250, maxSockets: 5 },
    });
    const notices: ApiEvents['notice'][] = [];
    h.on('notice', (n) => notices.push(n));
    const { port } = new URL(h.info().serverUrl);
    const sockets: Socket[] = [];
    // Twice the cap, held open: the server refuses the rest at accept and counts them.
    for (let i = 0; i < 10; i++) {
      const s = connect(Number(port), '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
    }
    cleanup.push(async () => sockets.forEach((s) => s.destroy()));
    const fdNotice = await waitForValue(
      async () => notices.filter((n) => n.code === 'fd_limit'),
      (found) => found.length > 0,
      5_000,
    );
    expect(fdNotice[0]).toMatchObject({ level: 'warn' });
    expect(fdNotice[0]!.message).toContain('ulimit -n');
    // The same episode — refusals in each of the next windows — is not told again.
    const windows = await new Promise<number>((resolve) => {
      let n = 0;
      const off = h.on('snapshot', (snap) => {
        for (let i = 0; i < 3; i++) connect(Number(port), '127.0.0.1').on('error', () => undefined);
        if (++n === 4) {
          off();
          resolve(snap.sockets.refusedAccepts);
        }
      });
    });
    expect(windows).toBeGreaterThan(10);
    expect(notices.filter((n) => n.code === 'fd_limit')).toHaveLength(1);
  });

  it('refuses a Spawn the demo server cannot hold before a client starts, naming the Workers that would', async () => {
    const h = await host({
      shell: 'electron',
      engineOptions: { port: 0, sampleIntervalMs: 250, maxSockets: 40 },
      reportForwardMs: 100,
    });
    const reports: LoadReport[] = [];
    h.on('loadReport', (r) => reports.push(r));
    const refused = await h.handle('load', { type: 'spawn', kind: 'ws-prime', count: 60 });
    expect(refused).toMatchObject({ ok: false, error: { code: 'beyond_box_limits' } });
    if (!refused.ok) {
      expect(refused.error.message).toContain('the demo server holds 40 connections (1 process');
      // 60 at 40 a process: 2 processes, where this machine allows them (the Workers range is its cores).
      if (os.availableParallelism() >= 2) expect(refused.error.message).toContain('Set Workers to 2');
      else expect(refused.error.message).toContain('--connections 60');
    }
    // What fits is spawned, and connects: the refusal left nothing behind.
    expect(await h.handle('load', { type: 'spawn', kind: 'ws-prime', count: 30 })).toMatchObject({
      ok: true,
    });
    await waitForValue(
      async () => reports.at(-1)?.kinds['ws-prime'],
      (k) => k?.active === 30 && k.pending === 0,
    );
    // 30 up, 10 free: 11 more would pass the cap.
    const more = await h.handle('load', { type: 'spawn', kind: 'ws-prime', count: 11 });
    expect(more).toMatchObject({ ok: false, error: { code: 'beyond_box_limits' } });
    if (!more.ok) expect(more.error.message).toContain('10 of them free');
  });
});
