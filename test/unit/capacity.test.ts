/**
 * Capacity planning (main/load/capacity.ts, main/control/spawn-capacity.ts): the processes chosen
 * for a number of connections under a box's descriptors, ports and memory, and the refusals, in
 * words that name the fix.
 */
import { describe, expect, it } from 'vitest';
import {
  GENERATOR_BYTES_PER_CONNECTION,
  GENERATOR_FD_RESERVE,
  PROCESS_BASE_FDS,
  SERVER_FD_RESERVE,
} from '../../common/limits';
import { planGenerator, planServer, readBoxLimits, type BoxLimits } from '../../main/load/capacity';
import { checkSpawn } from '../../main/control/spawn-capacity';

const GiB = 2 ** 30;
/** This box: 2 cores, ulimit -n 20,000, Linux's default ephemeral range, 22 GB free. */
const box: BoxLimits = {
  fdLimit: 20_000,
  ephemeralPorts: 28_232,
  portsSource: 'ip_local_port_range 32768–60999',
  memAvailableBytes: 22 * GiB,
  cores: 2,
};
const perGenerator = box.fdLimit - GENERATOR_FD_RESERVE - PROCESS_BASE_FDS;
const perServer = box.fdLimit - Math.max(SERVER_FD_RESERVE.min, box.fdLimit * SERVER_FD_RESERVE.fraction);
const mixed = 70_000 + 3 * 10_000;

describe('planGenerator', () => {
  it('holds 100,000 connections to a 127.x target in as many processes as the descriptors need', () => {
    const plan = planGenerator(
      { connections: mixed, processes: 'auto', autoMax: 8, sourceAddresses: 16 },
      box,
    );
    expect(plan.problems).toEqual([]);
    expect(plan.processes).toBe(Math.ceil(mixed / perGenerator));
    expect(plan.processes * plan.perProcess).toBeGreaterThanOrEqual(mixed);
    expect((plan.processes - 1) * plan.perProcess).toBeLessThan(mixed);
    expect(plan.memoryBytes).toBeGreaterThan(mixed * GENERATOR_BYTES_PER_CONNECTION);
  });

  it('refuses what one source address has no ports for, and says to aim at 127.x', () => {
    const plan = planGenerator(
      { connections: mixed, processes: 'auto', autoMax: 8, sourceAddresses: 1 },
      box,
    );
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]).toMatch(/^ports: .* there are 28,232 \(ip_local_port_range 32768–60999\)/);
    expect(plan.problems[0]).toContain('127.x');
    // Just within one address's ports: fine.
    const fits = planGenerator(
      { connections: 28_232, processes: 'auto', autoMax: 8, sourceAddresses: 1 },
      box,
    );
    expect(fits.problems).toEqual([]);
  });

  it("refuses past 'auto''s processes, and a fixed count too small, naming the count that holds them", () => {
    const low = { ...box, fdLimit: 1024 };
    const auto = planGenerator(
      { connections: mixed, processes: 'auto', autoMax: 8, sourceAddresses: 16 },
      low,
    );
    expect(auto.processes).toBe(8);
    expect(auto.problems[0]).toMatch(/^file descriptors: 100,000 connections need \d+ generator processes/);
    expect(auto.problems[0]).toContain('ulimit -n 1,024');
    const fixed = planGenerator({ connections: 50_000, processes: 2, autoMax: 8, sourceAddresses: 16 }, box);
    expect(fixed.problems[0]).toContain(`--processes ${Math.ceil(50_000 / perGenerator)} or auto`);
  });

  it('refuses what the memory available cannot hold', () => {
    const small = { ...box, memAvailableBytes: 1 * GiB };
    const plan = planGenerator(
      { connections: mixed, processes: 'auto', autoMax: 8, sourceAddresses: 16 },
      small,
    );
    expect(plan.problems.some((p) => p.startsWith('memory: ') && p.includes('1.0 GB available'))).toBe(true);
  });
});

describe('planServer', () => {
  it('chooses the server processes for 100,000 and keeps one process where one holds them', () => {
    const plan = planServer(mixed, null, box);
    expect(plan.problems).toEqual([]);
    expect(plan.workers).toBe(Math.ceil(mixed / perServer));
    expect(planServer(5_000, null, box).workers).toBe(1);
    // More than one needed: never fewer than the cores (the CPU is there to use).
    expect(planServer(perServer + 1, null, { ...box, cores: 4 }).workers).toBe(4);
  });

  it('checks a count asked, and refuses past the protocol cap of 64 processes', () => {
    const asked = planServer(mixed, 3, box);
    expect(asked.workers).toBe(3);
    expect(asked.problems[0]).toContain(`Use --workers ${Math.ceil(mixed / perServer)}`);
    const tiny = planServer(mixed, null, { ...box, fdLimit: 1024 });
    expect(tiny.problems[0]).toMatch(/need \d+ server processes .* more than the 64 allowed/);
  });
});

describe('checkSpawn (the app)', () => {
  const facts = {
    clients: 30_000,
    server: { open: 30_010, max: 2 * perServer, workers: 2, maxWorkers: 2 },
    sourceAddresses: 16,
    box,
  };

  it('lets a spawn the demo server holds through', () => {
    expect(() => checkSpawn(2 * perServer - 30_010, facts)).not.toThrow();
  });

  it('refuses one past its sockets, naming Workers, or serve --connections past its processes', () => {
    expect(() =>
      checkSpawn(2 * perServer, {
        ...facts,
        server: { ...facts.server, workers: 1, max: perServer, maxWorkers: 4 },
      }),
    ).toThrow(/Not spawned: .* Set Workers to \d/);
    let err: unknown;
    try {
      checkSpawn(70_000, facts);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'beyond_box_limits' });
    expect(String((err as Error).message)).toContain('--connections 100,010'.replace(',', ''));
  });

  it('checks only the generator when the clients aim elsewhere', () => {
    expect(() => checkSpawn(70_000, { ...facts, server: null })).not.toThrow();
    expect(() => checkSpawn(70_000, { ...facts, server: null, sourceAddresses: 1 })).toThrow(/ports: /);
  });
});

describe('readBoxLimits', () => {
  it("reads this machine's descriptors, ports and memory", () => {
    const here = readBoxLimits();
    expect(here.fdLimit).toBeGreaterThan(0);
    expect(here.ephemeralPorts).toBeGreaterThan(1000);
    expect(here.memAvailableBytes).toBeGreaterThan(0);
    expect(here.cores).toBeGreaterThanOrEqual(1);
  });
});
