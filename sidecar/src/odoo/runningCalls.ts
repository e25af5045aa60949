// The calls one user runs at once at Odoo, held to the cap Odoo names in its identity answer (docs/contract.md,
// "Calls running at once": the settings' `running_calls_per_user`, bounded by Odoo's workers). Odoo refuses a
// call over that cap with a 429; a model that runs two tools side by side would meet that refusal on every
// default install (2 workers: a cap of 1), so this replica holds the user's calls beyond the cap in a queue of
// the user's own, first come first served, and relays each when one of theirs ends. Several replicas each hold
// their own: Odoo's count stays the authority, and the rare excess is still refused and relayed as a 429.
//
// Its own module, not a part of FairSlots: FairSlots shares the sidecar's slots at Odoo between keys (a total,
// a share per key, turns between keys), where this bounds one user over all their keys by a cap that comes with
// each call (from the identity, which may change while calls wait). A call waits here before it asks FairSlots
// for a slot, so a call held for its user's turn takes none of its key's share. No dependency of the project
// does this (no p-limit), and one that did would still need the per-user map and the leave-on-abort.

interface Waiter {
  readonly cap: number;
  start(): void;
}

interface UserCalls {
  running: number;
  readonly waiting: Waiter[];
}

export class RunningCalls {
  /** Users with a call running or waiting; a user with neither is forgotten. */
  private readonly users = new Map<number, UserCalls>();

  /**
   * Runs `task` once user `userId` runs fewer than `cap` calls through here (0: no cap, runs at once, uncounted).
   * A `signal` that aborts while the task waits removes it from the queue (it never runs) and rejects with the
   * signal's reason; once the task runs, the signal is no business of this gate's.
   */
  run<T>(userId: number, cap: number, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (cap <= 0) return task();
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const user = this.userOf(userId);
    if (user.waiting.length === 0 && user.running < cap) return this.start(userId, user, task);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const at = user.waiting.indexOf(waiter);
        if (at >= 0) user.waiting.splice(at, 1);
        // the next one may fit now (a call behind this one under a higher cap)
        this.dispatch(user);
        this.forgetIfIdle(userId, user);
        reject(signal!.reason as Error);
      };
      const waiter: Waiter = {
        cap,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          this.start(userId, user, task).then(resolve, reject);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      user.waiting.push(waiter);
    });
  }

  /** Calls running through here now and waiting, over all users. */
  get size(): { running: number; waiting: number; users: number } {
    let running = 0;
    let waiting = 0;
    for (const user of this.users.values()) {
      running += user.running;
      waiting += user.waiting.length;
    }
    return { running, waiting, users: this.users.size };
  }

  private userOf(userId: number): UserCalls {
    let user = this.users.get(userId);
    if (!user) {
      user = { running: 0, waiting: [] };
      this.users.set(userId, user);
    }
    return user;
  }

  private start<T>(userId: number, user: UserCalls, task: () => Promise<T>): Promise<T> {
    user.running += 1;
    let running: Promise<T>;
    try {
      running = task();
    } catch (err) {
      running = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return running.finally(() => {
      user.running -= 1;
      this.dispatch(user);
      this.forgetIfIdle(userId, user);
    });
  }

  /** Starts the user's waiting calls in order while the first one fits under its cap. */
  private dispatch(user: UserCalls): void {
    while (user.waiting.length > 0 && user.running < user.waiting[0]!.cap) user.waiting.shift()!.start();
  }

  /** Nothing refers to a user with no call running or waiting any more: the next call starts afresh. */
  private forgetIfIdle(userId: number, user: UserCalls): void {
    if (user.running === 0 && user.waiting.length === 0) this.users.delete(userId);
  }
}
