import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/common';
import { DeliveryQueue } from './delivery/delivery-queue';
import { DeliveryWorker } from './delivery/delivery-worker';
import { WebhookRelay } from './webhook-relay';

/**
 * Starts the queue, the worker and the relay once the application is up, and stops them, in reverse, before
 * the pools close. A database that is away at startup does not stop the service (it answers 503 meanwhile):
 * the webhooks start when it is back.
 */
@Injectable()
export class WebhooksLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private stopping = false;
  private started = false;
  private starting?: Promise<void>;
  private wakeUp?: () => void;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
    private readonly relay: WebhookRelay,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.starting = this.startWhenPossible();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.starting;
    // Also after a start that failed half-way (the database went away between pg-boss's start and the relay's):
    // whatever did start is stopped, or its timers would keep the process alive.
    await this.relay.stop();
    if (this.started) await this.worker.stop();
    await this.queue.stop(this.config.webhooks.timeoutMs);
  }

  private async startWhenPossible(): Promise<void> {
    let warned = false;
    while (!this.stopping) {
      try {
        // The queue and the relay on every instance, the sending only on workers (WEBHOOK_WORKER).
        await this.queue.start();
        await this.relay.placeStartPosition();
        this.relay.start();
        if (this.config.webhooks.worker) this.worker.start();
        this.started = true;
        return;
      } catch (error) {
        if (!warned) this.logger.warn(`webhooks not started yet: ${(error as Error).message} (retrying every 5 s)`);
        warned = true;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5_000).unref();
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }
}
