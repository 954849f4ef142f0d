import { ServiceUnavailableException } from '@nestjs/common';
import { loadConfig } from '@app/common';
import type { SqlService, SqlTransaction } from '@app/database';
import { DeliveryQueue } from './delivery-queue';

// The queue's own decisions, with pg-boss's calls replaced: what pg-boss does in PostgreSQL is tested end to end
// (test/webhook-startup.e2e-spec.ts and the webhook e2e suites).

const config = loadConfig({ JWT_SECRET: 'unit-test-secret-0123456789abcdef0123456789', NODE_ENV: 'test' });
const noDatabase = { query: () => Promise.reject(new Error('no database in this test')) } as unknown as SqlService;
const untouchedTransaction = { query: jest.fn() } as unknown as SqlTransaction & { query: jest.Mock };

interface BossCalls {
  start: jest.Mock;
  getQueue: jest.Mock;
  createQueue: jest.Mock;
  insert: jest.Mock;
}

function queueWith(boss: Partial<BossCalls>): DeliveryQueue {
  const queue = new DeliveryQueue(noDatabase, config);
  Object.assign((queue as unknown as { boss: object }).boss, { start: jest.fn().mockResolvedValue(undefined), insert: jest.fn().mockResolvedValue(undefined), ...boss });
  return queue;
}

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('DeliveryQueue', () => {
  it('refuses to enqueue (503) before its queue is known to exist: pg-boss would insert nothing and say nothing', async () => {
    const insert = jest.fn();
    const queue = queueWith({ insert });
    expect(queue.ready).toBe(false);
    await expect(queue.enqueue(untouchedTransaction, ['1'])).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(insert).not.toHaveBeenCalled();
  });

  it('enqueues once started, one job per delivery, in the caller transaction', async () => {
    const insert = jest.fn().mockResolvedValue(undefined);
    const queue = queueWith({ getQueue: jest.fn().mockResolvedValue({ name: 'webhook-delivery' }), createQueue: jest.fn(), insert });
    await queue.start();
    expect(queue.ready).toBe(true);
    const ids = await queue.enqueue(untouchedTransaction, ['7', '8']);
    expect(ids).toHaveLength(2);
    expect(insert).toHaveBeenCalledTimes(1);
    const [jobs] = insert.mock.calls[0] as [{ id: string; data: unknown }[]];
    expect(jobs.map((job) => [job.id, job.data])).toEqual([
      [ids[0], { deliveryId: '7' }],
      [ids[1], { deliveryId: '8' }],
    ]);
  });

  it('does not create a queue that exists', async () => {
    const createQueue = jest.fn();
    const queue = queueWith({ getQueue: jest.fn().mockResolvedValue({ name: 'webhook-delivery' }), createQueue });
    await queue.start();
    expect(createQueue).not.toHaveBeenCalled();
  });

  it('after losing a deadlock to another instance creating the queue, looks again and finds it', async () => {
    const getQueue = jest.fn().mockResolvedValueOnce(null).mockResolvedValueOnce({ name: 'webhook-delivery' });
    const createQueue = jest.fn().mockRejectedValueOnce(deadlock());
    const queue = queueWith({ getQueue, createQueue });
    await queue.start();
    expect(createQueue).toHaveBeenCalledTimes(1);
    expect(getQueue).toHaveBeenCalledTimes(2);
    expect(queue.ready).toBe(true);
  });

  it('gives up (and stays not ready) on any other error, or after five deadlocks', async () => {
    const other = queueWith({ getQueue: jest.fn().mockResolvedValue(null), createQueue: jest.fn().mockRejectedValue(new Error('permission denied')) });
    await expect(other.start()).rejects.toThrow('permission denied');
    expect(other.ready).toBe(false);
    const createQueue = jest.fn().mockRejectedValue(deadlock());
    const unlucky = queueWith({ getQueue: jest.fn().mockResolvedValue(null), createQueue });
    await expect(unlucky.start()).rejects.toThrow('deadlock detected');
    expect(createQueue).toHaveBeenCalledTimes(5);
    expect(unlucky.ready).toBe(false);
  });
});
