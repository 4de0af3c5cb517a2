import type { Redis } from 'ioredis';
import { keySpace } from './redis.js';

/** Messages every worker process listens to. */
export type ControlMessage = { type: 'cancel'; jobIds: string[] };

export function controlChannel(prefix: string): string {
  return `${keySpace(prefix)}:control`;
}

/** Tells every worker process to abort these jobs if it is running them (BullMQ can only cancel locally). */
export async function publishCancel(redis: Redis, prefix: string, jobIds: string[]): Promise<void> {
  if (jobIds.length === 0) return;
  const message: ControlMessage = { type: 'cancel', jobIds };
  await redis.publish(controlChannel(prefix), JSON.stringify(message));
}

/** Subscribes a dedicated connection to the control channel; returns once subscribed. */
export async function subscribeControl(
  subscriber: Redis,
  prefix: string,
  onMessage: (message: ControlMessage) => void,
): Promise<void> {
  subscriber.on('message', (channel: string, raw: string) => {
    if (channel !== controlChannel(prefix)) return;
    try {
      const message = JSON.parse(raw) as ControlMessage;
      if (message.type === 'cancel' && Array.isArray(message.jobIds)) onMessage(message);
    } catch {
      // not ours; ignore
    }
  });
  await subscriber.subscribe(controlChannel(prefix));
}
