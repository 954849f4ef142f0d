import { Logger } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import type { ChangeFeedService } from './change-feed/change-feed.service';
import type { IdempotencyService } from './idempotency/idempotency.service';
import { RETENTION_PURGE_JOB, RetentionPurgeJob } from './retention-purge.job';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RetentionPurgeJob', () => {
  const purges = () => ({ changeFeed: { purgeExpired: jest.fn(() => Promise.resolve()) }, idempotency: { purgeExpired: jest.fn(() => Promise.resolve()) } });
  const jobFor = ({ changeFeed, idempotency }: ReturnType<typeof purges>) =>
    new RetentionPurgeJob(changeFeed as unknown as ChangeFeedService, idempotency as unknown as IdempotencyService);

  afterEach(() => jest.restoreAllMocks());

  it('purges the change feed and the idempotency keys', async () => {
    const fakes = purges();
    await jobFor(fakes).run();
    expect(fakes.changeFeed.purgeExpired).toHaveBeenCalledTimes(1);
    expect(fakes.idempotency.purgeExpired).toHaveBeenCalledTimes(1);
  });

  it('logs a failed purge as a warning, still runs the other, and never rejects', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const fakes = purges();
    fakes.changeFeed.purgeExpired.mockRejectedValueOnce(new Error('connection lost'));
    await expect(jobFor(fakes).run()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('Change feed purge failed: Error: connection lost');
    expect(fakes.idempotency.purgeExpired).toHaveBeenCalledTimes(1);
  });

  it('does not start a run while the previous one is still going', async () => {
    const fakes = purges();
    const slow = deferred();
    fakes.changeFeed.purgeExpired.mockReturnValueOnce(slow.promise);
    const job = jobFor(fakes);
    const first = job.run();
    const second = job.run();
    slow.resolve();
    await Promise.all([first, second]);
    expect(fakes.changeFeed.purgeExpired).toHaveBeenCalledTimes(1);
    await job.run();
    expect(fakes.changeFeed.purgeExpired).toHaveBeenCalledTimes(2);
  });

  it('runs once at startup, every hour with the scheduler, and stops with the application', async () => {
    const fakes = purges();
    const app = await Test.createTestingModule({ imports: [ScheduleModule.forRoot()], providers: [{ provide: RetentionPurgeJob, useValue: jobFor(fakes) }] }).compile();
    await app.init();
    expect(fakes.changeFeed.purgeExpired).toHaveBeenCalledTimes(1);
    const registry = app.get(SchedulerRegistry);
    expect(registry.getIntervals()).toEqual([RETENTION_PURGE_JOB]);
    await app.close();
    expect(registry.getIntervals()).toEqual([]);
    // After the modules are destroyed, a tick that slipped through starts nothing on a closed pool.
    await app.get(RetentionPurgeJob).run();
    expect(fakes.changeFeed.purgeExpired).toHaveBeenCalledTimes(1);
  });
});
