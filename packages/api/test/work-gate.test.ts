/** The bounded gate in front of password hashing, and the client address the limits key on. */
import { clientAddressKey, GateBusyError, WorkGate } from '@fittech/api';

/** A task that finishes when told to, counting how many run at once. */
function controllable() {
  let running = 0;
  let peak = 0;
  const finishers: (() => void)[] = [];
  const task = () =>
    new Promise<void>((resolve) => {
      running += 1;
      peak = Math.max(peak, running);
      finishers.push(() => {
        running -= 1;
        resolve();
      });
    });
  return { task, finishOne: () => finishers.shift()?.(), peak: () => peak, running: () => running };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkGate', () => {
  it('runs at most `concurrency` tasks; the others wait their turn in order', async () => {
    const gate = new WorkGate({ concurrency: 2, maxQueue: 10, maxWaitMillis: 60_000 });
    const work = controllable();
    const order: number[] = [];
    const all = [0, 1, 2, 3, 4].map((i) => gate.run(work.task).then(() => order.push(i)));
    await tick();
    expect([work.running(), gate.load]).toEqual([2, { running: 2, waiting: 3 }]);
    for (let i = 0; i < 5; i += 1) {
      work.finishOne();
      await tick();
      await tick();
    }
    await Promise.all(all);
    expect(work.peak()).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses at once when the queue is full', async () => {
    const gate = new WorkGate({ concurrency: 1, maxQueue: 1, maxWaitMillis: 60_000 });
    const work = controllable();
    const first = gate.run(work.task);
    const second = gate.run(work.task);
    await expect(gate.run(work.task)).rejects.toEqual(new GateBusyError('queue full'));
    work.finishOne();
    await first;
    await tick();
    work.finishOne();
    await second;
  });

  it('refuses a task that waited too long, and its slot goes to the next', async () => {
    const gate = new WorkGate({ concurrency: 1, maxQueue: 5, maxWaitMillis: 50 });
    const work = controllable();
    const first = gate.run(work.task);
    await expect(gate.run(work.task)).rejects.toMatchObject({ reason: 'wait exceeded' });
    expect(gate.load).toEqual({ running: 1, waiting: 0 });
    work.finishOne();
    await first;
    const third = gate.run(work.task);
    await tick();
    expect(work.running()).toBe(1);
    work.finishOne();
    await third;
  });

  it('a task that fails frees its slot', async () => {
    const gate = new WorkGate({ concurrency: 1, maxQueue: 1, maxWaitMillis: 1_000 });
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(() => Promise.resolve(7))).resolves.toBe(7);
  });
});

describe('clientAddressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'], // a dual-stack socket's IPv4 peer
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'], // same subscriber block, same budget
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
    ['not an address', 'unknown'],
  ])('%p → %p', (peer, key) => {
    expect(clientAddressKey(peer)).toBe(key);
  });
});
