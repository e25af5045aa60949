import assert from 'node:assert/strict';
import { RunningCalls } from '../../sidecar/src/odoo/runningCalls.js';

/** Calls that run until released, recording the order in which they started. */
function harness(gate: RunningCalls) {
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const submit = (userId: number, cap: number, name: string, signal?: AbortSignal) =>
    gate.run(userId, cap, () => {
      started.push(name);
      return new Promise<string>((resolve) => releases.set(name, () => resolve(name)));
    }, signal);
  const release = async (name: string) => {
    releases.get(name)!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, submit, release };
}

describe("a user's calls running at once", () => {
  it('starts a user\'s calls beyond the cap in the order they came, each when one ends; other users are not held', async () => {
    const gate = new RunningCalls();
    const { started, submit, release } = harness(gate);
    const answers = ['a', 'b', 'c'].map((name) => submit(2, 2, name));
    void submit(6, 2, 'bob');
    assert.deepEqual(started, ['a', 'b', 'bob']);
    await release('b');
    assert.deepEqual(started, ['a', 'b', 'bob', 'c']);
    await release('a');
    await release('c');
    assert.deepEqual(await Promise.all(answers), ['a', 'b', 'c']);
  });

  it('takes a waiting call out of the queue when its signal aborts: it never starts, and the next one moves up', async () => {
    const gate = new RunningCalls();
    const { started, submit, release } = harness(gate);
    void submit(2, 1, 'running');
    const withdrawn = new AbortController();
    const gone = submit(2, 1, 'withdrawn', withdrawn.signal);
    void submit(2, 1, 'next');
    withdrawn.abort(new Error('cancelled by the client'));
    await assert.rejects(gone, /cancelled by the client/);
    await release('running');
    assert.deepEqual(started, ['running', 'next']);
    await release('next');
    assert.deepEqual(gate.size, { running: 0, waiting: 0, users: 0 }, 'a user with no call is forgotten');
  });

  it('runs every call at once under no cap (0), counting none', () => {
    const gate = new RunningCalls();
    const { started, submit } = harness(gate);
    for (const name of ['a', 'b', 'c']) void submit(2, 0, name);
    assert.deepEqual(started, ['a', 'b', 'c']);
    assert.deepEqual(gate.size, { running: 0, waiting: 0, users: 0 });
  });

  it('frees the turn of a call that fails', async () => {
    const gate = new RunningCalls();
    await assert.rejects(gate.run(2, 1, () => Promise.reject(new Error('Odoo is down'))), /Odoo is down/);
    await assert.rejects(gate.run(2, 1, () => { throw new Error('thrown at once'); }), /thrown at once/);
    assert.deepEqual(gate.size, { running: 0, waiting: 0, users: 0 });
  });
});
