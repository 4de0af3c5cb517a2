import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import {
  expandEnv,
  GEMINI_BASE_URL,
  geminiModelUrl,
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

/**
 * The commented-out providers of an example file, uncommented: a block starts at `  # <name>:` and runs while
 * lines start with `  #   `, so the examples people copy are checked to load.
 */
function commentedExamples(file: string): string {
  const lines = readFileSync(join(CONFIG_DIR, file), 'utf8').split('\n');
  const out = ['providers:'];
  let inBlock = false;
  for (const line of lines) {
    if (/^ {2}# [a-z_]+:$/.test(line)) inBlock = true;
    else if (!line.startsWith('  #   ')) inBlock = false;
    if (inBlock) out.push(line.replace(/^ {2}# /, '  '));
  }
  return `${out.join('\n')}\n`;
}

describe('the commented examples of the provider files', () => {
  it('load as text providers of every type', () => {
    const config = loadTextProviders(yamlFile(commentedExamples('text_providers.example.yaml')), {
      DEEPSEEK_API_KEY: 'sk-deepseek-0003',
      GEMINI_API_KEY: 'AIza-gemini-0004',
    });
    expect(config.providers.get('deepseek')?.type).toBe('openai_compatible');
    expect(config.providers.get('gemini')).toMatchObject({
      type: 'google_gemini',
      endpointUrl: `${GEMINI_BASE_URL}/v1beta/models/gemini-2.5-flash:generateContent`,
      extraBody: { thinkingConfig: { thinkingBudget: 0 } },
      pricing: { per1kInputTokens: 0.0003, per1kOutputTokens: 0.0025, currency: 'USD' },
    });
  });

  it('load as image providers of every type', () => {
    const yaml = commentedExamples('image_providers.example.yaml');
    const config = loadImageProviders(
      yamlFile(yaml),
      { OPENROUTER_API_KEY: 'k-1', OPENAI_API_KEY: 'k-2', GEMINI_API_KEY: 'k-3' },
      4,
    );
    const types = Object.fromEntries([...config.providers].map(([name, p]) => [name, p.type]));
    expect(types).toEqual({
      text_card: 'text_card',
      chat_images: 'image_api',
      openai: 'openai_compatible',
      gemini_image: 'google_genai',
      cards: 'text_card',
    });
    expect(config.providers.get('chat_images')?.endpointUrl).toBe(
      'https://openrouter.ai/api/v1/chat/completions',
    );
    expect(config.providers.get('gemini_image')?.pricing?.perImage).toBe(0.039);
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
      pricing: null,
      extraBody: {},
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
      'Invalid configuration: TEXT_PROVIDERS_FILE providers.qwen.type: type must be openai_compatible, google_gemini or local',
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
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.relay.type: type must be image_api, openai_compatible, google_genai or text_card',
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

const GEMINI_TEXT = (extra = '') => `
providers:
  gemini:
    type: google_gemini
    api_key: AIza-test-key-0001
    model: gemini-2.5-flash
${extra}`;

const IMAGE_OF = (type: string, extra = '') => `
providers:
  p:
    type: ${type}
    api_key: key-123456
    base_url: https://images.example.com
    model: m-1
${extra}`;

const loadText = (yaml: string) => loadTextProviders(yamlFile(yaml), {});
const loadImage = (yaml: string) => loadImageProviders(yamlFile(yaml), {}, 4);
const textError = (yaml: string) => configError(() => loadText(yaml)).message;
const imageError = (yaml: string) => configError(() => loadImage(yaml)).message;

describe('google_gemini text providers', () => {
  it('defaults base_url to Google and points at the model generateContent URL', () => {
    const gemini = loadText(GEMINI_TEXT()).providers.get('gemini');
    expect(gemini).toMatchObject({
      type: 'google_gemini',
      apiKey: 'AIza-test-key-0001',
      model: 'gemini-2.5-flash',
      endpointUrl: `${GEMINI_BASE_URL}/v1beta/models/gemini-2.5-flash:generateContent`,
      stream: false,
      timeoutMs: 300_000,
      pricing: null,
      extraBody: {},
    });
  });

  it.each([
    ['http://127.0.0.1:9/', 'http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:generateContent'],
    ['http://127.0.0.1:9/v1beta', 'http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:generateContent'],
    [
      'https://proxy.example.com/google',
      'https://proxy.example.com/google/v1beta/models/gemini-2.5-flash:generateContent',
    ],
  ])('joins base_url %s without doubling /v1beta', (base, url) => {
    const gemini = loadText(GEMINI_TEXT(`    base_url: ${base}\n`)).providers.get('gemini');
    expect(gemini?.endpointUrl).toBe(url);
  });

  it('accepts the model as models/<id> and ignores endpoint_type', () => {
    const yaml = GEMINI_TEXT('    endpoint_type: /v1/chat/completions\n').replace(
      'model: gemini-2.5-flash',
      'model: models/gemini-2.5-pro',
    );
    expect(loadText(yaml).providers.get('gemini')?.endpointUrl).toBe(
      `${GEMINI_BASE_URL}/v1beta/models/gemini-2.5-pro:generateContent`,
    );
  });

  it('reads temperature, max_tokens and timeout_seconds', () => {
    const yaml = GEMINI_TEXT('    temperature: 1.1\n    max_tokens: 900\n    timeout_seconds: 20\n');
    expect(loadText(yaml).providers.get('gemini')).toMatchObject({
      temperature: 1.1,
      maxTokens: 900,
      timeoutMs: 20_000,
    });
  });

  it.each(['api_key', 'model'])('names providers.gemini.%s when it is missing', (field) => {
    const yaml = GEMINI_TEXT()
      .split('\n')
      .filter((line) => !line.trim().startsWith(`${field}:`))
      .join('\n');
    expect(textError(yaml)).toBe(
      `Invalid configuration: TEXT_PROVIDERS_FILE providers.gemini.${field}: required for this type`,
    );
  });

  it('builds model URLs for other methods too', () => {
    expect(geminiModelUrl('https://g.example.com', 'gemini-2.5-flash-image')).toBe(
      'https://g.example.com/v1beta/models/gemini-2.5-flash-image',
    );
  });
});

describe('pricing', () => {
  it('is null when no price is set, even with a currency', () => {
    expect(loadText(GEMINI_TEXT('    currency: CNY\n')).providers.get('gemini')?.pricing).toBeNull();
    expect(loadImage(IMAGE_API()).providers.get('relay')?.pricing).toBeNull();
  });

  it('defaults the currency to USD when one price is set', () => {
    const relay = loadImage(IMAGE_API('    price_per_image: 0.04\n')).providers.get('relay');
    expect(relay?.pricing).toEqual({
      perImage: 0.04,
      per1kInputTokens: null,
      per1kOutputTokens: null,
      currency: 'USD',
    });
  });

  it('reads token prices and the currency (upper-cased) of a text provider', () => {
    const yaml = `${TEXT_QWEN}    price_per_1k_input_tokens: 0.0008\n    price_per_1k_output_tokens: 0.002\n    currency: cny\n`;
    expect(loadText(yaml).providers.get('qwen')?.pricing).toEqual({
      perImage: null,
      per1kInputTokens: 0.0008,
      per1kOutputTokens: 0.002,
      currency: 'CNY',
    });
  });

  it('accepts a price of 0 (free tiers)', () => {
    expect(loadImage(IMAGE_API('    price_per_image: 0\n')).providers.get('relay')?.pricing?.perImage).toBe(
      0,
    );
  });

  it.each([
    ['price_per_image: -1', 'price_per_image: must be a price of 0 or more'],
    ['price_per_1k_input_tokens: cheap', 'price_per_1k_input_tokens: '],
    ['currency: dollars', 'currency: must be a 3-letter currency code such as USD or CNY'],
  ])('rejects %s on one line naming the field', (line, expected) => {
    expect(imageError(IMAGE_API(`    ${line}\n`))).toContain(
      `IMAGE_PROVIDERS_FILE providers.relay.${expected}`,
    );
  });
});

describe('extra_body', () => {
  it('is {} by default and the mapping as written when set', () => {
    expect(loadImage(IMAGE_API()).providers.get('relay')?.extraBody).toEqual({});
    const yaml = IMAGE_API('    extra_body:\n      quality: high\n      moderation: low\n      n_steps: 4\n');
    expect(loadImage(yaml).providers.get('relay')?.extraBody).toEqual({
      quality: 'high',
      moderation: 'low',
      n_steps: 4,
    });
    const text = `${TEXT_QWEN}    extra_body:\n      enable_thinking: false\n`;
    expect(loadText(text).providers.get('qwen')?.extraBody).toEqual({ enable_thinking: false });
  });

  it.each(['extra_body: [1, 2]', 'extra_body: quality=high'])('rejects %s naming the field', (line) => {
    expect(imageError(IMAGE_API(`    ${line}\n`))).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.relay.extra_body: must be a mapping of extra request fields',
    );
  });
});

describe('shared optional settings', () => {
  it.each([
    ['concurrency: 0', 'concurrency'],
    ['rate_limit: -5', 'rate_limit'],
    ['timeout_seconds: 0', 'timeout_seconds'],
    ['max_attempts: 1.5', 'max_attempts'],
  ])('validates %s on text providers too', (line, field) => {
    expect(textError(`${TEXT_QWEN}    ${line}\n`)).toMatch(
      new RegExp(`^Invalid configuration: TEXT_PROVIDERS_FILE providers\\.qwen\\.${field}: `),
    );
  });

  it.each([
    ['aspect_ratio: tall', 'aspect_ratio: must be a ratio such as 3:4'],
    ['response_format: png', 'response_format: '],
    ['image_size: ""', 'image_size: '],
    ['short_prompt: 1', 'short_prompt: '],
  ])('rejects image %s on one line naming the field', (line, expected) => {
    expect(imageError(IMAGE_API(`    ${line}\n`))).toContain(
      `IMAGE_PROVIDERS_FILE providers.relay.${expected}`,
    );
  });

  it('reads aspect_ratio, and keeps it null by default', () => {
    expect(loadImage(IMAGE_API()).providers.get('relay')?.aspectRatio).toBeNull();
    expect(loadImage(IMAGE_API('    aspect_ratio: "9:16"\n')).providers.get('relay')?.aspectRatio).toBe(
      '9:16',
    );
  });

  it('keeps fields only the YAML knows in raw for every new type', () => {
    const text = loadText(GEMINI_TEXT('    safety_profile: strict\n')).providers.get('gemini');
    expect(text?.raw).toMatchObject({ type: 'google_gemini', safety_profile: 'strict' });
    for (const type of ['openai_compatible', 'google_genai']) {
      const image = loadImage(IMAGE_OF(type, '    quality: hd\n    watermark: false\n')).providers.get('p');
      expect(image?.raw).toMatchObject({ type, quality: 'hd', watermark: false });
    }
  });
});

describe('image provider types', () => {
  it('loads openai_compatible with the generations endpoint by default', () => {
    const p = loadImage(IMAGE_OF('openai_compatible', '    image_size: 1024x1536\n')).providers.get('p');
    expect(p).toMatchObject({
      type: 'openai_compatible',
      endpointType: '/v1/images/generations',
      endpointUrl: 'https://images.example.com/v1/images/generations',
      baseUrl: 'https://images.example.com',
      imageSize: '1024x1536',
      concurrency: 1,
      maxAttempts: 3,
    });
  });

  it('rejects an openai_compatible image_size that is not WIDTHxHEIGHT or auto', () => {
    expect(imageError(IMAGE_OF('openai_compatible', '    image_size: 2K\n'))).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.p.image_size: must be WIDTHxHEIGHT (e.g. 1024x1536) or auto',
    );
  });

  it('rejects a chat endpoint for openai_compatible, which speaks only the images API', () => {
    expect(imageError(IMAGE_OF('openai_compatible', '    endpoint_type: /v1/chat/completions\n'))).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.p.endpoint_type: must end with /images/generations or /images/edits',
    );
  });

  it('accepts /v1/chat/completions for image_api and rejects other paths', () => {
    const chat = loadImage(IMAGE_API('    endpoint_type: /v1/chat/completions\n')).providers.get('relay');
    expect(chat?.endpointUrl).toBe('https://images.example.com/v1/chat/completions');
    expect(imageError(IMAGE_API('    endpoint_type: /v1/images/variations\n'))).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.relay.endpoint_type: must end with /images/generations, /images/edits or /chat/completions',
    );
  });

  it('loads google_genai with Google as the default base_url', () => {
    const yaml = IMAGE_OF('google_genai', '    aspect_ratio: "3:4"\n    image_size: 2K\n')
      .replace('    base_url: https://images.example.com\n', '')
      .replace('model: m-1', 'model: gemini-2.5-flash-image');
    expect(loadImage(yaml).providers.get('p')).toMatchObject({
      type: 'google_genai',
      endpointType: null,
      baseUrl: GEMINI_BASE_URL,
      endpointUrl: `${GEMINI_BASE_URL}/v1beta/models/gemini-2.5-flash-image:generateContent`,
      aspectRatio: '3:4',
      imageSize: '2K',
    });
  });

  it('rejects a google_genai image_size other than 1K, 2K or 4K', () => {
    expect(imageError(IMAGE_OF('google_genai', '    image_size: 1024x1024\n'))).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.p.image_size: must be 1K, 2K or 4K',
    );
  });

  it('still requires api_key and model for google_genai', () => {
    const yaml = IMAGE_OF('google_genai').replace('    api_key: key-123456\n', '');
    expect(imageError(yaml)).toBe(
      'Invalid configuration: IMAGE_PROVIDERS_FILE providers.p.api_key: required for this type',
    );
  });

  it('gives text_card its pricing, aspect_ratio and defaults', () => {
    const yaml =
      'providers:\n  cards:\n    type: text_card\n    aspect_ratio: "1:1"\n    price_per_image: 0\n';
    expect(loadImage(yaml).providers.get('cards')).toMatchObject({
      type: 'text_card',
      aspectRatio: '1:1',
      pricing: { perImage: 0, currency: 'USD' },
      extraBody: {},
    });
    expect(loadImage(yaml).providers.get(TEXT_CARD_PROVIDER)?.pricing).toBeNull();
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
