// How busy the machine was during a phase, and how much of that was not this bench: on a shared machine other
// people's builds and tests take CPU from the services, and the numbers are only comparable when that is small.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { cpuMs } from './proc.mjs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function machineBusyMs() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  void idle;
  void iowait;
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU of this process, its reaped children, and every live descendant. */
function ownTreeMs() {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(statFields(entry)[1]));
    } catch {
      // exited meanwhile
    }
  }
  const isDescendant = (pid) => {
    for (let p = parents.get(pid), hops = 0; p && hops < 50; p = parents.get(p), hops++)
      if (p === process.pid) return true;
    return false;
  };
  const self = statFields(process.pid);
  let total = (Number(self[11]) + Number(self[12]) + Number(self[13]) + Number(self[14])) * TICK_MS;
  for (const pid of parents.keys()) {
    if (!isDescendant(pid)) continue;
    try {
      total += cpuMs(pid);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Starts measuring; `stop()` returns cores used by the bench and by everything else, on average. */
export function machineMeter() {
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const own0 = ownTreeMs();
  return {
    stop() {
      const wall = performance.now() - t0;
      const busy = machineBusyMs() - busy0;
      const own = ownTreeMs() - own0;
      return {
        cores: cpus().length,
        benchCores: Math.round((own / wall) * 100) / 100,
        otherCores: Math.max(0, Math.round(((busy - own) / wall) * 100) / 100),
        loadavg1: Math.round(loadavg()[0] * 100) / 100,
      };
    },
  };
}
