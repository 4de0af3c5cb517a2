import { describe, expect, it } from 'vitest';
import { compareEventIds } from './post-store.js';

const sign = (a: string, b: string) => Math.sign(compareEventIds(a, b));

describe('compareEventIds', () => {
  it('orders by the ms part, then by the seq part, as numbers', () => {
    expect(sign('1700000000000-12', '1700000000000-3')).toBe(1);
    expect(sign('1700000000000-3', '1700000000000-12')).toBe(-1);
    expect(sign('1700000000000-0', '1700000000000-0')).toBe(0);
    expect(sign('1700000000001-0', '1700000000000-99')).toBe(1);
    expect(sign('999999999999-5', '1000000000000-0')).toBe(-1);
    expect(sign('1700000000000-9', '1700000000001-10')).toBe(-1);
  });

  it("puts '0-0' before every event", () => {
    expect(sign('0-0', '0-0')).toBe(0);
    expect(sign('0-0', '0-1')).toBe(-1);
    expect(sign('1700000000000-0', '0-0')).toBe(1);
  });

  it('reads leading zeros and a missing seq as numbers would', () => {
    expect(sign('0001-02', '1-2')).toBe(0);
    expect(sign('5', '5-0')).toBe(0);
    expect(sign('5', '5-1')).toBe(-1);
    expect(sign('00-00', '0-0')).toBe(0);
  });

  it('stays exact beyond what a JS number holds (Redis ids are 64-bit)', () => {
    expect(sign('18446744073709551615-1', '18446744073709551614-1')).toBe(1);
    expect(sign('1-18446744073709551615', '1-18446744073709551614')).toBe(1);
  });

  it('agrees with comparing the parts as numbers', () => {
    const ids = ['0-0', '0-1', '1-0', '9-9', '10-0', '10-10', '123-4', '1700000000000-3', '1700000000000-12'];
    for (const a of ids) {
      for (const b of ids) {
        const [am, as] = a.split('-').map(Number) as [number, number];
        const [bm, bs] = b.split('-').map(Number) as [number, number];
        expect(sign(a, b), `${a} vs ${b}`).toBe(Math.sign(am - bm || as - bs));
      }
    }
  });
});
