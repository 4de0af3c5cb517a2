import { describe, expect, it } from 'vitest';
import { ApiEnv, CommonEnv, ImageWorkerEnv, OutlineWorkerEnv, parseApiKeys, parseEnv } from './env.js';
import { ConfigError } from './errors.js';

/** The ConfigError a call throws; fails the test when it throws anything else or nothing. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('\n');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('parseEnv', () => {
  it('fills the documented defaults of the API from an empty environment', () => {
    const env = parseEnv(ApiEnv, {});
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      KEY_PREFIX: 'inkpost',
      PORT: 3000,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      S3_BUCKET: 'inkpost',
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: true,
      HIGH_CONCURRENCY_DEFAULT: 4,
      BODY_LIMIT_MB: 30,
    });
    expect(env.API_KEYS).toBeUndefined();
    expect(env.TEXT_PROVIDERS_FILE).toBeUndefined();
    expect(env.S3_ENDPOINT).toBeUndefined();
  });

  it('treats empty variables as unset', () => {
    const env = parseEnv(ApiEnv, { REDIS_URL: '', KEY_PREFIX: '', PORT: '', TEXT_PROVIDERS_FILE: '' });
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.KEY_PREFIX).toBe('inkpost');
    expect(env.PORT).toBe(3000);
    expect(env.TEXT_PROVIDERS_FILE).toBeUndefined();
  });

  it('reads the values that are set, coercing numbers and booleans', () => {
    const env = parseEnv(ApiEnv, {
      REDIS_URL: 'rediss://user:pw@redis.example.com:6380/2',
      KEY_PREFIX: 'tenant_a-1',
      PORT: '8080',
      S3_FORCE_PATH_STYLE: 'false',
      HIGH_CONCURRENCY_DEFAULT: '16',
    });
    expect(env).toMatchObject({
      REDIS_URL: 'rediss://user:pw@redis.example.com:6380/2',
      KEY_PREFIX: 'tenant_a-1',
      PORT: 8080,
      S3_FORCE_PATH_STYLE: false,
      HIGH_CONCURRENCY_DEFAULT: 16,
    });
  });

  it('gives every worker the common defaults and the outline worker its concurrency', () => {
    expect(parseEnv(OutlineWorkerEnv, {})).toMatchObject({ KEY_PREFIX: 'inkpost', OUTLINE_CONCURRENCY: 4 });
    expect(parseEnv(ImageWorkerEnv, {})).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      KEY_PREFIX: 'inkpost',
    });
    expect(parseEnv(CommonEnv, {}).SHUTDOWN_TIMEOUT_MS).toBe(25_000);
  });

  it('rejects a KEY_PREFIX containing a colon, naming the field', () => {
    const err = configError(() => parseEnv(ApiEnv, { KEY_PREFIX: 'ink:post' }));
    expect(err.message).toBe(
      'Invalid configuration: environment KEY_PREFIX: must be 1-48 characters of letters, digits, - or _',
    );
  });

  it('rejects a REDIS_URL that is not a redis:// URL, naming the field', () => {
    const err = configError(() => parseEnv(ImageWorkerEnv, { REDIS_URL: 'http://127.0.0.1:6379' }));
    expect(err.message).toBe(
      'Invalid configuration: environment REDIS_URL: must be a redis:// or rediss:// URL',
    );
  });

  it('rejects a PORT that is not a port number, naming the field', () => {
    expect(configError(() => parseEnv(ApiEnv, { PORT: 'eighty' })).message).toMatch(
      /^Invalid configuration: environment PORT: /,
    );
    expect(configError(() => parseEnv(ApiEnv, { PORT: '70000' })).message).toMatch(
      /^Invalid configuration: environment PORT: /,
    );
  });

  it('rejects a boolean it does not understand, naming the field', () => {
    const err = configError(() => parseEnv(ApiEnv, { S3_FORCE_PATH_STYLE: 'maybe' }));
    expect(err.message).toBe('Invalid configuration: environment S3_FORCE_PATH_STYLE: must be true or false');
  });

  it('counts the further problems on the same line', () => {
    const err = configError(() => parseEnv(ApiEnv, { KEY_PREFIX: 'a:b', REDIS_URL: 'nope', PORT: '-1' }));
    expect(err.message).toMatch(/^Invalid configuration: environment \w+: .+ \(and 2 more\)$/);
  });
});

describe('parseApiKeys', () => {
  it('maps each key to its tenant, ignoring spaces and empty entries', () => {
    const keys = parseApiKeys(' tenantA:key-1 , tenantB : key_2,,');
    expect([...keys]).toEqual([
      ['key-1', 'tenantA'],
      ['key_2', 'tenantB'],
    ]);
  });

  it('gives no keys for an unset or empty value', () => {
    expect(parseApiKeys(undefined).size).toBe(0);
    expect(parseApiKeys('').size).toBe(0);
  });

  it('keeps colons after the first one as part of the key', () => {
    expect(parseApiKeys('acme:abc:def').get('abc:def')).toBe('acme');
  });

  it.each(['justakey', ':key', 'tenant:', 'bad tenant:key', 'a:k1,broken'])(
    'rejects %j naming API_KEYS',
    (value) => {
      const err = configError(() => parseApiKeys(value));
      expect(err.message).toBe(
        'Invalid configuration: environment API_KEYS: must be tenant:key pairs separated by commas',
      );
    },
  );
});
