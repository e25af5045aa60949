import assert from 'node:assert/strict';
import { MIN_COST, RequestBudget, type Reservation } from '../../sidecar/src/http/requestBudget.js';

describe('request budget', () => {
  it("refuses a key beyond its share ('key') and everyone beyond the whole ('sidecar')", () => {
    const budget = new RequestBudget(10 * MIN_COST, 4 * MIN_COST);
    const held: Reservation[] = [];
    for (let i = 0; i < 4; i++) held.push(budget.reserve('a', 100) as Reservation);
    assert.equal(budget.reserve('a', 100), 'key');
    for (let i = 0; i < 4; i++) held.push(budget.reserve('b', MIN_COST) as Reservation);
    held.push(budget.reserve('c', 2 * MIN_COST) as Reservation);
    assert.equal(budget.reserve('c', 1), 'sidecar');
    held[0]!.release();
    held[0]!.release(); // twice is once
    assert.notEqual(typeof budget.reserve('a', 1), 'string');
    assert.deepEqual(budget.size, { usedBytes: 10 * MIN_COST, keys: 3 });
  });

  it('shrinks a reservation to the body read, and forgets keys that hold nothing', () => {
    const budget = new RequestBudget(8 * MIN_COST, 8 * MIN_COST);
    const r = budget.reserve('a', 8 * MIN_COST) as Reservation;
    assert.equal(budget.reserve('b', 1), 'sidecar');
    assert.equal(r.resize(10), true);
    assert.equal(budget.size.usedBytes, MIN_COST);
    r.release();
    assert.deepEqual(budget.size, { usedBytes: 0, keys: 0 });
  });
});
