import dns, { type LookupAddress } from 'node:dns';
import { forbiddenRange } from '@inkpost/core';
import { Agent, fetch as undiciFetch } from 'undici';

/** Raised at connect time when a name resolves to an address webhooks may not reach. */
export const FORBIDDEN_AT_CONNECT = 'EINKPOST_FORBIDDEN_ADDRESS';

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * The address check at the moment of connecting: the resolver answer the socket will actually use is checked, so
 * a name cannot resolve to a public address for the check and to a private one for the connection (DNS rebinding).
 */
function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options }, (err, address, family) => {
    if (err) return callback(err, address as string, family);
    const addresses = Array.isArray(address)
      ? address
      : [{ address: address as string, family: family ?? 4 }];
    const bad = addresses
      .map((a) => ({ a: a.address, range: forbiddenRange(a.address) }))
      .find((x) => x.range);
    if (bad) {
      const refused = Object.assign(
        new Error(`${hostname} resolves to ${bad.a} (${bad.range}) at connect time`),
        {
          code: FORBIDDEN_AT_CONNECT,
        },
      );
      return callback(refused, '', 0);
    }
    callback(null, address as string | LookupAddress[], family);
  });
}

let agent: Agent | null = null;

/** fetch whose connections only ever reach public addresses (checked on the address actually connected to). */
export const publicOnlyFetch = ((url: string, init?: RequestInit) => {
  agent ??= new Agent({ connect: { lookup: guardedLookup as never } });
  return undiciFetch(url, { ...(init as object), dispatcher: agent } as never);
}) as unknown as typeof fetch;
