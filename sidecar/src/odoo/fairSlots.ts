// The slots for requests open at Odoo, shared fairly between keys. At most `total` requests are open at once
// (Odoo's database pool is finite), and at most `perKey` of them for one key; a key's requests beyond its
// share wait in that key's own queue, in order. A freed slot goes to the next waiting key in turn (round
// robin, a key that just arrived first), so one key flooding the sidecar keeps at most its share of Odoo busy
// and never makes another key's request wait behind its backlog.

interface Waiter {
  start(): void;
}

interface Owner {
  readonly id: string;
  active: number;
  readonly waiting: Waiter[];
}

export class FairSlots {
  private active = 0;
  /** Keys with a request open or waiting; a key with neither is forgotten. */
  private readonly owners = new Map<string, Owner>();
  /** Keys with waiting requests, in turn order from `cursor` (wrapping around). */
  private readonly turns: Owner[] = [];
  private cursor = 0;

  constructor(readonly total: number, readonly perKey: number) {}

  /**
   * Runs `task` once `owner` (a key's hash) may have one more request open at Odoo. A `signal` that aborts while
   * the task waits removes it from the queue (it never runs) and rejects with the signal's reason.
   */
  run<T>(owner: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const o = this.ownerOf(owner);
    if (this.active < this.total && o.active < this.perKey && o.waiting.length === 0) return this.start(o, task);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.withdraw(o, waiter);
        reject(signal!.reason as Error);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.start(o, task).then(resolve, reject);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      o.waiting.push(waiter);
      // A key that was not waiting takes the next turn: it has had none in this round.
      if (o.waiting.length === 1) this.turns.splice(this.cursor, 0, o);
    });
  }

  /** Requests open at Odoo now (all keys), and waiting ones. */
  get size(): { active: number; waiting: number; keys: number } {
    let waiting = 0;
    for (const o of this.turns) waiting += o.waiting.length;
    return { active: this.active, waiting, keys: this.owners.size };
  }

  private ownerOf(id: string): Owner {
    let o = this.owners.get(id);
    if (!o) {
      o = { id, active: 0, waiting: [] };
      this.owners.set(id, o);
    }
    return o;
  }

  private start<T>(o: Owner, task: () => Promise<T>): Promise<T> {
    this.active += 1;
    o.active += 1;
    let running: Promise<T>;
    try {
      running = task();
    } catch (err) {
      running = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return running.finally(() => {
      this.active -= 1;
      o.active -= 1;
      this.forgetIfIdle(o);
      this.dispatch();
    });
  }

  /** Gives free slots to waiting requests, one per key in turn, skipping keys at their share. */
  private dispatch(): void {
    while (this.active < this.total) {
      const next = this.nextTurn();
      if (next === undefined) return;
      const o = this.turns[next]!;
      const waiter = o.waiting.shift()!;
      if (o.waiting.length === 0) {
        this.turns.splice(next, 1);
        this.cursor = this.turns.length === 0 ? 0 : next % this.turns.length;
      } else {
        this.cursor = (next + 1) % this.turns.length;
      }
      waiter.start(); // takes its slot at once
    }
  }

  /** The index in `turns` of the next key below its share, from the cursor on. */
  private nextTurn(): number | undefined {
    for (let i = 0; i < this.turns.length; i++) {
      const index = (this.cursor + i) % this.turns.length;
      if (this.turns[index]!.active < this.perKey) return index;
    }
    return undefined;
  }

  private withdraw(o: Owner, waiter: Waiter): void {
    const at = o.waiting.indexOf(waiter);
    if (at >= 0) o.waiting.splice(at, 1);
    if (o.waiting.length === 0) {
      const index = this.turns.indexOf(o);
      if (index >= 0) {
        this.turns.splice(index, 1);
        if (index < this.cursor) this.cursor -= 1;
        if (this.cursor >= this.turns.length) this.cursor = 0;
      }
    }
    this.forgetIfIdle(o);
  }

  private forgetIfIdle(o: Owner): void {
    if (o.active === 0 && o.waiting.length === 0) this.owners.delete(o.id);
  }
}
