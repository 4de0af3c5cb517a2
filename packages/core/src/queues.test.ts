import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { isFinalFailure } from './queues.js';

describe('isFinalFailure', () => {
  it('is final when the attempts are spent, not before', () => {
    expect(isFinalFailure({ attemptsMade: 3, opts: { attempts: 3 } }, new Error('boom'))).toBe(true);
    expect(isFinalFailure({ attemptsMade: 1, opts: { attempts: 3 } }, new Error('boom'))).toBe(false);
    expect(isFinalFailure({ attemptsMade: 1, opts: {} }, new Error('boom'))).toBe(true);
  });

  it('is final for a job BullMQ failed as unrecoverable (stalled more than allowed) with attempts left', () => {
    const stalled = new UnrecoverableError('job stalled more than allowable limit');
    expect(isFinalFailure({ attemptsMade: 0, opts: { attempts: 3 } }, stalled)).toBe(true);
  });
});
