import { ModelError, type Model, type ModelHooks, type ModelReply, type ModelRequest } from "./model";
import { budgetRefusal, type DailyLimits } from "./usage-budget";
import type { UsageStore } from "./usage-store";

/**
 * A device's model with spending kept: before each request the day's limits are checked
 * (over one, the request is not sent and a ModelError of kind "budget" carries the sentence
 * the room reads); after each reply its usage — the API's own numbers — is added to the
 * device's day. A request that fails is not counted (the API bills no failed request).
 */
export class MeteredModel implements Model {
  constructor(
    private readonly inner: Model,
    private readonly meter: { store: UsageStore; limits: DailyLimits; model: string },
    private readonly device: string,
  ) {}

  async create(request: ModelRequest, hooks?: ModelHooks): Promise<ModelReply> {
    const refusal = budgetRefusal(this.meter.store, this.meter.limits, this.device);
    if (refusal !== undefined) throw new ModelError("budget", refusal, 0);
    const reply = await this.inner.create(request, hooks);
    this.meter.store.record(this.device, this.meter.model, reply.usage);
    return reply;
  }
}
