import assert from 'node:assert/strict';
import { FairSlots } from '../../sidecar/src/odoo/fairSlots.js';

/** Tasks that run until released, recording the order in which they started. */
function harness(slots: FairSlots) {
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const submit = (owner: string, name: string, signal?: AbortSignal) =>
    slots.run(owner, () => {
      started.push(name);
      return new Promise<string>((resolve) => releases.set(name, () => resolve(name)));
    }, signal);
  const release = async (name: string) => {
    releases.get(name)!();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { started, submit, release };
}

describe('fair slots for Odoo requests', () => {
  it("keeps one key to its share and gives the other keys' requests the free slots", () => {
    const { started, submit } = harness(new FairSlots(16, 4));
    for (let i = 0; i < 100; i++) void submit('flood', `flood-${i}`);
    void submit('other', 'other-0');
    assert.deepEqual(started, ['flood-0', 'flood-1', 'flood-2', 'flood-3', 'other-0']);
  });

  it('gives a freed slot to the next key in turn, not to the key that just had it', async () => {
    const slots = new FairSlots(2, 2);
    const { started, submit, release } = harness(slots);
    for (let i = 0; i < 10; i++) void submit('a', `a-${i}`);
    void submit('b', 'b-0');
    void submit('b', 'b-1');
    void submit('c', 'c-0');
    assert.deepEqual(started, ['a-0', 'a-1']);
    await release('a-0');
    await release('a-1');
    await release('c-0');
    await release('b-0');
    await release('a-2');
    assert.deepEqual(started, ['a-0', 'a-1', 'c-0', 'b-0', 'a-2', 'b-1', 'a-3']);
    assert.equal(slots.size.active, 2);
  });

  it('never runs a request whose signal aborted while it waited, and forgets idle keys', async () => {
    const slots = new FairSlots(1, 1);
    const { started, submit, release } = harness(slots);
    void submit('a', 'a-0');
    const abort = new AbortController();
    const waiting = submit('b', 'b-0', abort.signal).then(() => 'ran', (err: unknown) => err);
    abort.abort(new Error('client gone'));
    assert.match(String(await waiting), /client gone/);
    await release('a-0');
    assert.deepEqual(started, ['a-0']);
    assert.deepEqual(slots.size, { active: 0, waiting: 0, keys: 0 });
  });

  it('frees the slot of a task that throws or rejects', async () => {
    const slots = new FairSlots(1, 1);
    await assert.rejects(slots.run('a', () => { throw new Error('sync'); }), /sync/);
    await assert.rejects(slots.run('a', () => Promise.reject(new Error('async'))), /async/);
    assert.equal(await slots.run('a', () => Promise.resolve('ok')), 'ok');
    assert.deepEqual(slots.size, { active: 0, waiting: 0, keys: 0 });
  });
});
