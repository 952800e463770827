import { UserError } from "../../common/errors";
import type { TargetFacts } from "../targets/types";

/** What the PC posts with its link: its public key (the private key never leaves it) and facts. */
export interface Hello {
  publicKey: string;
  /** SHA-256 of the machine's id (/etc/machine-id, IOPlatformUUID, MachineGuid). */
  machineId: string;
  facts: TargetFacts;
  /** The address the request came from, for the operator and the log. */
  address: string;
}

/** The bot's answer to a hello: the install script, or one sentence for the PC's terminal. */
export type Answer = { ok: true; script: string } | { ok: false; sentence: string };

/** What the PC reports when its install script has finished (or failed and cleaned up). */
export interface Done {
  ok: boolean;
  detail: string;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

class Slot {
  hello?: Hello;
  helloWaiter?: Waiter<Hello>;
  answer?: Answer;
  answerWaiters: ((a: Answer) => void)[] = [];
  done?: Done;
  doneWaiter?: Waiter<Done>;
  /** The agent build the PC may download while its install runs. */
  agentBuild?: string;
  ended?: string;
}

/**
 * Where a pull run (waiting in its steps) meets the enrollment listener (answering the PC's
 * requests). In memory: after a restart the run is rolled back by recovery and the link
 * no longer leads anywhere, which the listener answers like any unknown link.
 */
export class Rendezvous {
  private readonly slots = new Map<string, Slot>();

  /** The run holds the link from here until end(). */
  open(hash: string): void {
    this.slots.set(hash, new Slot());
  }

  isOpen(hash: string): boolean {
    const slot = this.slots.get(hash);
    return slot !== undefined && slot.ended === undefined;
  }

  /** The run's step 3: resolves with the PC's hello, rejects at the deadline or on end(). */
  waitHello(hash: string, deadline: number, what: string): Promise<Hello> {
    const slot = this.slot(hash);
    if (slot.hello) return Promise.resolve(slot.hello);
    return withDeadline(deadline, what, (waiter: Waiter<Hello>) => (slot.helloWaiter = waiter));
  }

  /** The listener: a PC arrived with a claimed link. Undefined when no run is waiting for it. */
  arrive(hash: string, hello: Hello): Promise<Answer> | undefined {
    const slot = this.slots.get(hash);
    if (!slot || slot.ended !== undefined || slot.hello) return undefined;
    slot.hello = hello;
    const answered = new Promise<Answer>((resolve) => slot.answerWaiters.push(resolve));
    slot.helloWaiter?.resolve(hello);
    return answered;
  }

  /** The run answers the waiting PC (once). */
  answer(hash: string, answer: Answer, agentBuild?: string): void {
    const slot = this.slots.get(hash);
    if (!slot || slot.answer) return;
    slot.answer = answer;
    if (agentBuild) slot.agentBuild = agentBuild;
    for (const w of slot.answerWaiters.splice(0)) w(answer);
  }

  waitDone(hash: string, deadline: number, what: string): Promise<Done> {
    const slot = this.slot(hash);
    if (slot.done) return Promise.resolve(slot.done);
    return withDeadline(deadline, what, (waiter: Waiter<Done>) => (slot.doneWaiter = waiter));
  }

  /** The listener: the PC's install finished. False when no run waits for it. */
  report(hash: string, done: Done): boolean {
    const slot = this.slots.get(hash);
    if (!slot || slot.ended !== undefined || !slot.answer?.ok || slot.done) return false;
    slot.done = done;
    slot.doneWaiter?.resolve(done);
    return true;
  }

  /** The build a PC may download now: only between the answer and its report. */
  agentBuild(hash: string): string | undefined {
    const slot = this.slots.get(hash);
    return slot && slot.ended === undefined && slot.answer?.ok && !slot.done ? slot.agentBuild : undefined;
  }

  /** The run is over (or the link was cancelled): every wait fails with `reason`, a waiting PC is told. */
  end(hash: string, reason: string): void {
    const slot = this.slots.get(hash);
    if (!slot || slot.ended !== undefined) return;
    slot.ended = reason;
    const error = new UserError(reason);
    slot.helloWaiter?.reject(error);
    slot.doneWaiter?.reject(error);
    if (!slot.answer) this.answer(hash, { ok: false, sentence: reason });
    this.slots.delete(hash);
  }

  private slot(hash: string): Slot {
    const slot = this.slots.get(hash);
    if (!slot) throw new UserError("the enrollment link is no longer open — ask for a new one");
    return slot;
  }
}

function withDeadline<T>(deadline: number, what: string, register: (w: Waiter<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UserError(what)), Math.max(0, deadline - Date.now()));
    register({
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
  });
}
