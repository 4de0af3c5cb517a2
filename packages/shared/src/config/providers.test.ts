import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import {
  expandEnv,
  joinEndpoint,
  LOCAL_TEXT_PROVIDER,
  loadImageProviders,
  loadTextProviders,
  maskSecret,
  TEXT_CARD_PROVIDER,
} from './providers.js';

const CONFIG_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../config');
const dir = mkdtempSync(join(tmpdir(), 'inkpost-providers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function yamlFile(text: string): string {
  const file = join(dir, `providers-${++files}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** The ConfigError a call throws; fails the test when it throws anything else or nothing. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^Invalid configuration: /);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

const TEXT_QWEN = `
active_provider: qwen
providers:
  qwen:
    type: openai_compatible
    api_key: sk-text-123456
    base_url: https://dashscope.aliyuncs.com/compatible-mode
    model: qwen3-14b
`;

const IMAGE_API = (extra = '') => `
providers:
  relay:
    type: image_api
    api_key: img-key-123456
    base_url: https://images.example.com
    model: gpt-image-1
${extra}`;

describe('the example provider files', () => {
  it('loads config/text_providers.example.yaml with DASHSCOPE_API_KEY set', () => {
    const config = loadTextProviders(join(CONFIG_DIR, 'text_providers.example.yaml'), {
      DASHSCOPE_API_KEY: 'sk-dashscope-0001',
    });
    expect(config.active).toBe('qwen');
    expect(config.providers.get('qwen')).toMatchObject({
      name: 'qwen',
      type: 'openai_compatible',
      apiKey: 'sk-dashscope-0001',
      endpointUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions',
      model: 'qwen3-14b',
      stream: true,
      timeoutMs: 300_000,
    });
    expect([...config.providers.keys()].sort()).toEqual([LOCAL_TEXT_PROVIDER, 'qwen']);
  });

  it('loads config/image_providers.example.yaml with IMAGE_API_KEY set', () => {
    const config = loadImageProviders(
      join(CONFIG_DIR, 'image_providers.example.yaml'),
      { IMAGE_API_KEY: 'img-secret-0002' },
      4,
    );
    const provider = config.providers.get(config.active);
    expect(config.active).toBe('image_api');
    expect(provider).toMatchObject({
      type: 'image_api',
      apiKey: 'img-secret-0002',
      endpointType: '/v1/images/edits',
      shortPrompt: false,
      concurrency: 1,
      imageSize: null,
      responseFormat: null,
    });
    expect(provider?.endpointUrl).toMatch(/^https:\/\/[^/]+\/v1\/images\/edits$/);
    expect(provider?.baseUrl).not.toMatch(/\/v1\/?$/);
  });

  it('names the missing key variable when the text example is loaded without it', () => {
    const err = configError(() => loadTextProviders(join(CONFIG_DIR, 'text_providers.example.yaml'), {}));
    expect(err.message).toBe(
      'Invalid configuration: TEXT_PROVIDERS_FILE providers.qwen.api_key: environment variable DASHSCOPE_API_KEY is not set',
    );
  });
});

describe('joinEndpoint', () => {
  it.each([
    ['https://api.example.com', '/v1/chat/completions', 'https://api.example.com/v1/chat/completions'],
    ['https://api.example.com/', '/v1/chat/completions', 'https://api.example.com/v1/chat/completions'],
    ['https://api.example.com/v1', '/v1/chat/completions', 'https://api.example.com/v1/chat/completions'],
    ['https://api.example.com/v1/', '/v1/images/edits', 'https://api.example.com/v1/images/edits'],
    ['https://api.example.com/v1', '/chat/completions', 'https://api.example.com/v1/chat/completions'],
    [
      'https://dashscope.aliyuncs.com/compatible-mode',
      '/v1/chat/completions',
      'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions',
    ],
    [
      'https://dashscope.aliyuncs.com/compatible-mode/v1',
      '/v1/chat/completions',
      'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions',
    ],
    [
      'https://ark.example.com/api/v3',
      '/api/v3/chat/completions',
      'https://ark.example.com/api/v3/chat/completions',
    ],
    [
      'https://ark.example.com/api/v3/',
      '/chat/completions',
      'https://ark.example.com/api/v3/chat/completions',
    ],
    ['http://127.0.0.1:8080/v1', '/v1/images/generations', 'http://127.0.0.1:8080/v1/images/generations'],
  ])('joins %s and %s into %s', (base, endpoint, expected) => {
    expect(joinEndpoint(base, endpoint)).toBe(expected);
  });

  it('never produces /v1/v1 for any combination of slashes', () => {
    for (const base of ['https://h', 'https://h/', 'https://h/v1', 'https://h/v1/']) {
      for (const endpoint of ['/v1/images/edits', 'v1/images/edits', '/v1/images/edits/']) {
        const url = joinEndpoint(base, endpoint);
        expect(url).toBe('https://h/v1/images/edits');
        expect(url).not.toContain('/v1/v1');
      }
    }
  });
});

describe('expandEnv', () => {
  it('replaces ${VAR} in nested strings and leaves other values alone', () => {
    const value = { a: 'Bearer ${TOKEN}', list: ['${HOST}:${PORT}', 3], flag: true, none: null };
    expect(expandEnv(value, { TOKEN: 't0k', HOST: 'h', PORT: '80' })).toEqual({
      a: 'Bearer t0k',
      list: ['h:80', 3],
      flag: true,
      none: null,
    });
  });

  it('leaves text that is not a ${VAR} reference untouched', () => {
    expect(expandEnv('$HOME and ${lower-case} and $', {})).toBe('$HOME and ${lower-case} and $');
  });

  it('accepts an empty variable as set', () => {
    expect(expandEnv('x${EMPTY}y', { EMPTY: '' })).toBe('xy');
  });
});

describe('loadTextProviders', () => {
  it('offers only the built-in local writer, active, when no file is given', () => {
    const config = loadTextProviders(undefined, {});
    expect(config.active).toBe(LOCAL_TEXT_PROVIDER);
    expect([...config.providers.keys()]).toEqual([LOCAL_TEXT_PROVIDER]);
    expect(config.providers.get(LOCAL_TEXT_PROVIDER)).toMatchObject({
      type: 'local',
      apiKey: null,
      endpointUrl: null,
    });
  });

  it('keeps the built-in local writer next to the providers of a file', () => {
    const config = loadTextProviders(yamlFile(TEXT_QWEN), {});
    expect([...config.providers.keys()].sort()).toEqual([LOCAL_TEXT_PROVIDER, 'qwen']);
    expect(config.active).toBe('qwen');
  });

  it('makes the first listed provider active when active_provider is absent', () => {
    const file = yamlFile(`
providers:
  first:
    type: openai_compatible
    api_key: k1
    base_url: https://one.example.com/v1
    model: m1
  second:
    type: openai_compatible
    api_key: k2
    base_url: https://two.example.com/v1
    model: m2
`);
    expect(loadTextProviders(file, {}).active).toBe('first');
  });

  it('lets active_provider pick the built-in local writer', () => {
    const file = yamlFile(TEXT_QWEN.replace('active_provider: qwen', 'active_provider: local'));
    expect(loadTextProviders(file, {}).active).toBe(LOCAL_TEXT_PROVIDER);
  });

  it('fills the documented defaults of an openai_compatible provider', () => {
    const qwen = loadTextProviders(yamlFile(TEXT_QWEN), {}).providers.get('qwen');
    expect(qwen).toEqual({
      name: 'qwen',
      type: 'openai_compatible',
      apiKey: 'sk-text-123456',
      endpointUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions',
      model: 'qwen3-14b',
      temperature: null,
      maxTokens: null,
      stream: true,
      timeoutMs: 300_000,
      raw: {
        type: 'openai_compatible',
        api_key: 'sk-text-123456',
        base_url: 'https://dashscope.aliyuncs.com/compatible-mode',
        model: 'qwen3-14b',
      },
    });
  });

  it('reads temperature, max_tokens, stream and timeout_seconds', () => {
    const file = yamlFile(
      `${TEXT_QWEN}    temperature: 0.3\n    max_tokens: 2048\n    stream: false\n    timeout_seconds: 12.5\n`,
    );
    expect(loadTextProviders(file, {}).providers.get('qwen')).toMatchObject({
      temperature: 0.3,
      maxTokens: 2048,
      stream: false,
      timeoutMs: 12_500,
    });
  });

  it('keeps unknown extra fields in raw', () => {
    const file = yamlFile(`${TEXT_QWEN}    enable_thinking: false\n    extra_body:\n      top_k: 20\n`);
    const raw = loadTextProviders(file, {}).providers.get('qwen')?.raw;
    expect(raw).toMatchObject({ enable_thinking: false, extra_body: { top_k: 20 } });
  });

  it('expands ${VAR} in every field, base_url included', () => {
    const file = yamlFile(`
providers:
  relay:
    type: openai_compatible
    api_key: \${RELAY_KEY}
    base_url: \${RELAY_URL}
    model: \${RELAY_MODEL}
    note: key ends in \${RELAY_KEY}
`);
    const relay = loadTextProviders(file, {
      RELAY_KEY: 'sk-relay-9999',
      RELAY_URL: 'https://relay.example.com/v1',
      RELAY_MODEL: 'deepseek-chat',
    }).providers.get('relay');
    expect(relay).toMatchObject({
      apiKey: 'sk-relay-9999',
      endpointUrl: 'https://relay.example.com/v1/chat/completions',
      model: 'deepseek-chat',
      raw: { note: 'key ends in sk-relay-9999' },
    });
  });

  it('names the field and the variable when a ${VAR} is not set', () => {
    const file = yamlFile(TEXT_QWEN.replace('sk-text-123456', '${QWEN_KEY}'));
    const err = configError(() => loadTextProviders(file, { OTHER: 'x' }));
    expect(err.message).toBe(
      'Invalid configuration: TEXT_PROVIDERS_FILE providers.qwen.api_key: environment variable QWEN_KEY is not set',
    );
  });

  it('rejects an unknown type with a one-line error naming providers.<name>.type', () => {
    const file = yamlFile(TEXT_QWEN.replace('openai_compatible', 'gemini'));
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toBe(
      'Invalid configuration: TEXT_PROVIDERS_FILE providers.qwen.type: type must be openai_compatible or local',
    );
  });

  it.each(['base_url', 'api_key', 'model'])('names providers.<name>.%s when it is missing', (field) => {
    const file = yamlFile(
      TEXT_QWEN.split('\n')
        .filter((line) => !line.trim().startsWith(`${field}:`))
        .join('\n'),
    );
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toBe(
      `Invalid configuration: TEXT_PROVIDERS_FILE providers.qwen.${field}: required for this type`,
    );
  });

  it('names base_url when it is not a URL', () => {
    const file = yamlFile(TEXT_QWEN.replace('https://dashscope.aliyuncs.com/compatible-mode', 'dashscope'));
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toMatch(/^Invalid configuration: TEXT_PROVIDERS_FILE providers\.qwen\.base_url: /);
  });

  it('rejects an endpoint_type that is not a chat completions path', () => {
    const file = yamlFile(`${TEXT_QWEN}    endpoint_type: /v1/completions\n`);
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toBe(
      'Invalid configuration: TEXT_PROVIDERS_FILE providers.qwen.endpoint_type: must end with /chat/completions',
    );
  });

  it('rejects an active_provider that is not among the providers', () => {
    const file = yamlFile(TEXT_QWEN.replace('active_provider: qwen', 'active_provider: openai'));
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toBe(
      'Invalid configuration: TEXT_PROVIDERS_FILE active_provider: "openai" is not among providers',
    );
  });

  it('reports invalid YAML on one line naming the file', () => {
    const file = yamlFile('providers:\n  qwen: [unclosed\n    type: x\n');
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toContain(`Invalid configuration: TEXT_PROVIDERS_FILE: ${file} is not valid YAML (`);
  });

  it('reports a file that does not exist', () => {
    const file = join(dir, 'missing.yaml');
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toBe(`Invalid configuration: TEXT_PROVIDERS_FILE: cannot read ${file} (ENOENT)`);
  });

  it('reports a directory given as the file', () => {
    const err = configError(() => loadTextProviders(dir, {}));
    expect(err.message).toBe(`Invalid configuration: TEXT_PROVIDERS_FILE: cannot read ${dir} (EISDIR)`);
  });

  it.skipIf(process.getuid?.() === 0)('reports a file it may not read', () => {
    const file = yamlFile(TEXT_QWEN);
    chmodSync(file, 0o000);
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toBe(`Invalid configuration: TEXT_PROVIDERS_FILE: cannot read ${file} (EACCES)`);
  });

  it('treats an empty file as no providers', () => {
    const config = loadTextProviders(yamlFile(''), {});
    expect(config.active).toBe(LOCAL_TEXT_PROVIDER);
    expect([...config.providers.keys()]).toEqual([LOCAL_TEXT_PROVIDER]);
  });

  it('rejects a provider name with characters outside letters, digits, - and _', () => {
    const file = yamlFile(
      TEXT_QWEN.replace('  qwen:', '  "qwen max":').replace('active_provider: qwen\n', ''),
    );
    const err = configError(() => loadTextProviders(file, {}));
    expect(err.message).toContain('TEXT_PROVIDERS_FILE providers');
    expect(err.message).toContain('provider names may use letters, digits, - and _');
  });
});

describe('loadImageProviders', () => {
  it('offers only the built-in text_card provider, active, when no file is given', () => {
    const config = loadImageProviders(undefined, {}, 4);
    expect(config.active).toBe(TEXT_CARD_PROVIDER);
    expect([...config.providers.keys()]).toEqual([TEXT_CARD_PROVIDER]);
    expect(config.providers.get(TEXT_CARD_PROVIDER)).toMatchObject({
      type: 'text_card',
      apiKey: null,
      endpointUrl: null,
    });
  });

  it('keeps the built-in text_card provider next to the providers of a file', () => {
    const config = loadImageProviders(yamlFile(IMAGE_API()), {}, 4);
    expect([...config.providers.keys()].sort()).toEqual(['relay', TEXT_CARD_PROVIDER]);
    expect(config.active).toBe('relay');
  });

  it('defaults to the generations endpoint and documented limits', () => {
    const relay = loadImageProviders(yamlFile(IMAGE_API()), {}, 4).providers.get('relay');
    expect(relay).toMatchObject({
      endpointType: '/v1/images/generations',
      endpointUrl: 'https://images.example.com/v1/images/generations',
      baseUrl: 'https://images.example.com',
      model: 'gpt-image-1',
      concurrency: 1,
      rateLimitPerMinute: null,
      timeoutMs: 300_000,
      maxAttempts: 3,
      shortPrompt: false,
      imageSize: null,
      responseFormat: null,
    });
  });

  it('gives high_concurrency: true the default concurrency', () => {
    const file = yamlFile(IMAGE_API('    high_concurrency: true\n'));
    expect(loadImageProviders(file, {}, 7).providers.get('relay')?.concurrency).toBe(7);
  });

  it('gives high_concurrency: false a concurrency of 1', () => {
    const file = yamlFile(IMAGE_API('    high_concurrency: false\n'));
    expect(loadImageProviders(file, {}, 7).providers.get('relay')?.concurrency).toBe(1);
  });

  it('lets an explicit concurrency win over high_concurrency', () => {
    const high = yamlFile(IMAGE_API('    high_concurrency: true\n    concurrency: 3\n'));
    const low = yamlFile(IMAGE_API('    high_concurrency: false\n    concurrency: 5\n'));
    expect(loadImageProviders(high, {}, 7).providers.get('relay')?.concurrency).toBe(3);
    expect(loadImageProviders(low, {}, 7).providers.get('relay')?.concurrency).toBe(5);
  });

  it('reads the optional fields', () => {
    const file = yamlFile(
      IMAGE_API(
        [
          '    endpoint_type: /v1/images/edits',
          '    short_prompt: true',
          '    rate_limit: 30',
          '    timeout_seconds: 90',
          '    max_attempts: 5',
          '    image_size: 1024x1536',
          '    response_format: url',
          '',
        ].join('\n'),
      ),
    );
    expect(loadImageProviders(file, {}, 4).providers.get('relay')).toMatchObject({
      endpointType: '/v1/images/edits',
      endpointUrl: 'https://images.example.com/v1/images/edits',
      shortPrompt: true,
      rateLimitPerMinute: 30,
      timeoutMs: 90_000,
      maxAttempts: 5,
      imageSize: '1024x1536',
      responseFormat: 'url',
    });
  });

  it('keeps unknown extra fields in raw', () => {
    const file = yamlFile(IMAGE_API('    quality: high\n    watermark: false\n'));
    expect(loadImageProviders(file, {}, 4).providers.get('relay')?.raw).toMatchObject({
      type: 'image_api',
      quality: 'high',
      watermark: false,
    });
  });

  it('loads a text_card entry of the file with its own concurrency', () => {
    const file = yamlFile(
      'active_provider: cards\nproviders:\n  cards:\n    type: text_card\n    concurrency: 6\n',
    );
    const config = loadImageProviders(file, {}, 4);
    expect(config.active).toBe('cards');
    expect(config.providers.get('cards')).toMatchObject({ name: 'cards', type: 'text_card', concurrency: 6 });
  });

  it('rejects an unknown type with a one-line error naming providers.<name>.type', () => {
    const file = yamlFile(IMAGE_API().replace('type: image_api', 'type: dalle'));
    const err = configError(() => loadImageProviders(file, {}, 4));
    expect(err.message).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.relay.type: type must be image_api or text_card',
    );
  });

  it.each(['base_url', 'api_key', 'model'])('names providers.<name>.%s when it is missing', (field) => {
    const file = yamlFile(
      IMAGE_API()
        .split('\n')
        .filter((line) => !line.trim().startsWith(`${field}:`))
        .join('\n'),
    );
    const err = configError(() => loadImageProviders(file, {}, 4));
    expect(err.message).toBe(
      `Invalid configuration: IMAGE_PROVIDERS_FILE providers.relay.${field}: required for this type`,
    );
  });

  it('names a field of the wrong type', () => {
    const file = yamlFile(IMAGE_API('    high_concurrency: "sometimes"\n'));
    const err = configError(() => loadImageProviders(file, {}, 4));
    expect(err.message).toMatch(
      /^Invalid configuration: IMAGE_PROVIDERS_FILE providers\.relay\.high_concurrency: /,
    );
  });

  it('names the field and the variable when a ${VAR} is not set', () => {
    const file = yamlFile(IMAGE_API().replace('img-key-123456', '${IMAGE_API_KEY}'));
    const err = configError(() => loadImageProviders(file, {}, 4));
    expect(err.message).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.relay.api_key: environment variable IMAGE_API_KEY is not set',
    );
  });

  it('rejects an active_provider that is not among the providers', () => {
    const file = yamlFile(`active_provider: midjourney\n${IMAGE_API()}`);
    const err = configError(() => loadImageProviders(file, {}, 4));
    expect(err.message).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE active_provider: "midjourney" is not among providers',
    );
  });
});

describe('maskSecret', () => {
  it('shows only the last four characters of a key', () => {
    expect(maskSecret('sk-abcdefgh1234')).toBe('****1234');
  });

  it('hides a short key completely and passes through a missing one', () => {
    expect(maskSecret('abcd')).toBe('****');
    expect(maskSecret(null)).toBeNull();
    expect(maskSecret('')).toBeNull();
  });
});
