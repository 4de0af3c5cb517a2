import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiEnv, ImageWorkerEnv, OutlineWorkerEnv } from '@inkpost/shared';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// Docker has no engine where this is built and tested: compose and the manifests are checked statically against
// the code (service names, every environment name a known setting, probes on real routes, queue keys for KEDA).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const known = {
  api: new Set(Object.keys(ApiEnv.shape)),
  'outline-worker': new Set(Object.keys(OutlineWorkerEnv.shape)),
  'image-worker': new Set(Object.keys(ImageWorkerEnv.shape)),
};
const EXTRA = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ']);

type Service = {
  environment?: Record<string, unknown>;
  ports?: unknown;
  container_name?: string;
  command?: string[];
  healthcheck?: unknown;
  build?: { target?: string };
};

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, Service>;
    volumes: Record<string, unknown>;
  };

  it('has Redis, MinIO with its bucket, the API and both workers', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['redis', 'minio', 'minio-init', 'api', 'outline-worker', 'image-worker']),
    );
    expect(compose.services.api!.build?.target).toBe('api');
    expect(compose.services['image-worker']!.build?.target).toBe('image-worker');
  });

  it('runs Redis with AOF and noeviction on a volume, with healthchecks', () => {
    const redis = compose.services.redis!;
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command?.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.healthcheck).toBeDefined();
    expect(compose.services.minio!.healthcheck).toBeDefined();
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['redis-data', 'minio-data']));
  });

  it('lets image workers scale: no fixed name, no published port', () => {
    const worker = compose.services['image-worker']!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it.each(['api', 'outline-worker', 'image-worker'] as const)(
    'gives %s only settings its config schema knows',
    (name) => {
      const env = Object.keys(compose.services[name]!.environment ?? {});
      expect(env.length).toBeGreaterThan(5);
      const unknown = env.filter((k) => !known[name].has(k) && !EXTRA.has(k));
      expect(unknown).toEqual([]);
      expect(env).toEqual(expect.arrayContaining(['REDIS_URL', 'S3_ENDPOINT', 'KEY_PREFIX']));
    },
  );
});

describe('Kubernetes manifests', () => {
  const dir = 'deploy/kubernetes';
  const docs = readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.yaml'))
    // biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary YAML, read field by field below
    .flatMap((f) => parseAllDocuments(read(`${dir}/${f}`)).map((d) => d.toJS() as Record<string, any>))
    .filter(Boolean);
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  // The environment ConfigMaps (not the one holding the provider YAML files, mounted as files).
  const envConfigMaps = byKind('ConfigMap').filter(
    (c) => !Object.keys(c.data ?? {}).some((k) => k.endsWith('.yaml')),
  );
  const configMapKeys = new Set(envConfigMaps.flatMap((c) => Object.keys(c.data ?? {})));
  const anyService = new Set([...known.api, ...known['outline-worker'], ...known['image-worker']]);
  const secretKeys = new Set(byKind('Secret').flatMap((s) => Object.keys(s.stringData ?? s.data ?? {})));

  it('deploys the API and both workers', () => {
    const names = byKind('Deployment').map((d) => d.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['api', 'outline-worker', 'image-worker']));
  });

  it.each(['api', 'outline-worker', 'image-worker'] as const)(
    'configures %s only with settings the code knows',
    (name) => {
      const deployment = byKind('Deployment').find((d) => d.metadata.name === name)!;
      const container = deployment.spec.template.spec.containers[0];
      // Variables set on the container itself are this service's settings; the shared ConfigMap serves all three.
      const direct = (container.env ?? []).map((e: { name: string }) => e.name);
      const unknownDirect = direct.filter(
        (k: string) => !known[name].has(k) && !EXTRA.has(k) && !secretKeys.has(k),
      );
      expect(unknownDirect).toEqual([]);
      const unknownShared = [...configMapKeys].filter((k) => !anyService.has(k) && !EXTRA.has(k));
      expect(unknownShared).toEqual([]);
      const secretsForCode = [...secretKeys].filter((k) => !anyService.has(k) && !/_API_KEY$/.test(k));
      expect(secretsForCode).toEqual([]);
    },
  );

  it('probes the API on its real health routes', () => {
    const api = byKind('Deployment').find((d) => d.metadata.name === 'api')!;
    const container = api.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it("autoscales the workers on their queues' BullMQ wait lists under the hash-tagged prefix", () => {
    const lists = byKind('ScaledObject').flatMap((s) =>
      s.spec.triggers.map((t: { metadata: { listName: string } }) => t.metadata.listName),
    );
    expect(lists).toContain('{inkpost}:outline:wait');
    expect(lists.some((l: string) => /^\{inkpost\}:image-[A-Za-z0-9_-]+:wait$/.test(l))).toBe(true);
  });
});
