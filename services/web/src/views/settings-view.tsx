import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import {
  ApiError,
  api,
  type ProviderInfo,
  type ProviderKind,
  type ProviderList,
  type ProviderTest,
} from '../lib/api';
import { getApiKey, setApiKey, useApiKey } from '../lib/api-key';

function KeyForm() {
  const { t } = useI18n();
  const toast = useToast();
  const [value, setValue] = useState(getApiKey());
  const [visible, setVisible] = useState(false);
  return (
    <form
      class="card form"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(value);
        toast(value.trim() ? t('settings.keySaved') : t('settings.keyCleared'));
      }}
    >
      <h2>{t('settings.key')}</h2>
      <p class="hint" id="key-hint">
        {t('settings.keyHint')}
      </p>
      <div class="field">
        <label class="label" for="api-key">
          {t('settings.key')}
        </label>
        <div class="input-row">
          <input
            id="api-key"
            type={visible ? 'text' : 'password'}
            autocomplete="off"
            spellcheck={false}
            aria-describedby="key-hint"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
          <button
            type="button"
            class="icon-btn"
            aria-label={visible ? t('settings.keyHide') : t('settings.keyShow')}
            aria-pressed={visible}
            onClick={() => setVisible(!visible)}
          >
            <Icon name="eye" />
          </button>
        </div>
      </div>
      <div class="actions">
        <button type="submit" class="btn btn-primary">
          {t('settings.keySave')}
        </button>
        <button
          type="button"
          class="btn btn-ghost"
          onClick={() => {
            setValue('');
            setApiKey('');
            toast(t('settings.keyCleared'));
          }}
        >
          {t('settings.keyClear')}
        </button>
      </div>
    </form>
  );
}

function ProviderRow({ kind, provider }: { kind: ProviderKind; provider: ProviderInfo }) {
  const { t } = useI18n();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<ProviderTest | { error: string } | null>(null);
  async function test() {
    setTesting(true);
    setResult(null);
    try {
      setResult(await api.testProvider(kind, provider.name));
    } catch (err) {
      setResult({ error: (err as Error).message });
    } finally {
      setTesting(false);
    }
  }
  const limits = [
    provider.concurrency !== null ? t('settings.concurrency', { n: provider.concurrency }) : null,
    provider.rateLimitPerMinute !== null ? t('settings.rate', { n: provider.rateLimitPerMinute }) : null,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <li class="provider card" data-testid="provider">
      <div class="provider-head">
        <strong>{provider.name}</strong>
        <span class="pill pill-soft">{provider.type}</span>
        {provider.active && <span class="pill pill-accent">{t('settings.active')}</span>}
      </div>
      <dl class="provider-facts">
        <dt>{t('settings.model')}</dt>
        <dd>{provider.model ?? '–'}</dd>
        {provider.endpoint && (
          <>
            <dt>{t('settings.endpoint')}</dt>
            <dd class="mono">{provider.endpoint}</dd>
          </>
        )}
        <dt>{t('settings.maskedKey')}</dt>
        <dd class={provider.apiKey ? 'mono' : 'muted'}>{provider.apiKey ?? t('settings.noKey')}</dd>
        {limits && (
          <>
            <dt>{t('settings.limits')}</dt>
            <dd>{limits}</dd>
          </>
        )}
      </dl>
      <div class="provider-test">
        <button
          type="button"
          class="btn btn-ghost btn-small"
          aria-label={t('settings.testProvider', { name: provider.name })}
          disabled={testing}
          onClick={test}
        >
          <Icon name="plug" size={16} /> {testing ? t('settings.testing') : t('settings.test')}
        </button>
        <div class="test-result" aria-live="polite" data-testid="test-result">
          {result && 'error' in result && <span class="bad">{result.error}</span>}
          {result && 'ok' in result && (
            <span class={result.ok ? 'good' : 'bad'}>
              <strong>
                {result.ok
                  ? t('settings.testOk', { ms: result.latencyMs })
                  : t('settings.testFailed', { ms: result.latencyMs })}
              </strong>{' '}
              {result.message}
            </span>
          )}
        </div>
      </div>
    </li>
  );
}

function Providers() {
  const { t } = useI18n();
  const key = useApiKey();
  const [list, setList] = useState<ProviderList | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    api.providers().then(setList, (err: Error) => {
      setList(null);
      setError(err instanceof ApiError && err.status === 401 ? t('common.unauthorized') : err.message);
    });
  }, [key]);
  return (
    <section class="providers">
      <h2>{t('settings.providers')}</h2>
      <p class="hint">{t('settings.providersHint')}</p>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {!list && !error && <p class="loading">{t('common.loading')}</p>}
      {list &&
        (['text', 'image'] as const).map((kind) => (
          <div key={kind}>
            <h3>{kind === 'text' ? t('settings.textProviders') : t('settings.imageProviders')}</h3>
            <ul class="provider-list">
              {list[kind].map((p) => (
                <ProviderRow key={p.name} kind={kind} provider={p} />
              ))}
            </ul>
          </div>
        ))}
    </section>
  );
}

export function SettingsView() {
  const { t } = useI18n();
  return (
    <section class="page-narrow">
      <h1 class="page-title">{t('settings.title')}</h1>
      <KeyForm />
      <Providers />
    </section>
  );
}
