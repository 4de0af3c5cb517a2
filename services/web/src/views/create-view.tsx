import type { AspectRatio } from '@inkpost/shared/contract';
import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n';
import { ApiError, api, type ProviderList } from '../lib/api';
import { useApiKey } from '../lib/api-key';
import { MAX_TOPIC_CHARS } from '../lib/outline';
import { hrefOf, navigate } from '../lib/router';
import { type Reference, ReferencePicker } from './reference-picker';

const RATIOS: readonly AspectRatio[] = ['3:4', '1:1', '4:3', '9:16', '16:9'];
const PAGE_COUNTS = Array.from({ length: 13 }, (_, i) => i + 3);

function RatioPicker({ value, onChange }: { value: AspectRatio; onChange: (r: AspectRatio) => void }) {
  const { t } = useI18n();
  return (
    <fieldset class="field ratio-field">
      <legend class="label">{t('create.ratio')}</legend>
      <div class="segmented">
        {RATIOS.map((ratio) => {
          const [w, h] = ratio.split(':').map(Number) as [number, number];
          const scale = 18 / Math.max(w, h);
          return (
            <label key={ratio} class={`segment${value === ratio ? ' is-on' : ''}`}>
              <input
                type="radio"
                name="ratio"
                value={ratio}
                checked={value === ratio}
                onChange={() => onChange(ratio)}
              />
              <span class="ratio-shape" style={{ width: `${w * scale}px`, height: `${h * scale}px` }} />
              {ratio}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

function useOptions() {
  const key = useApiKey();
  const [styles, setStyles] = useState<string[]>([]);
  const [providers, setProviders] = useState<ProviderList | null>(null);
  useEffect(() => {
    api.styles().then(setStyles, () => setStyles([]));
    api.providers().then(setProviders, () => setProviders(null));
  }, [key]);
  return { styles, providers };
}

function ProviderSelect(props: {
  id: string;
  label: string;
  options: { name: string; active: boolean; model: string | null }[];
  value: string;
  onChange: (v: string) => void;
}) {
  const { t } = useI18n();
  return (
    <div class="field">
      <label class="label" for={props.id}>
        {props.label}
      </label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{t('create.providerDefault')}</option>
        {props.options.map((p) => (
          <option key={p.name} value={p.name}>
            {p.model ? `${p.name} · ${p.model}` : p.name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function CreateView() {
  const { t } = useI18n();
  const { styles, providers } = useOptions();
  const [topic, setTopic] = useState('');
  const [refs, setRefs] = useState<Reference[]>([]);
  const [style, setStyle] = useState('');
  const [ratio, setRatio] = useState<AspectRatio>('3:4');
  const [pageCount, setPageCount] = useState('');
  const [textProvider, setTextProvider] = useState('');
  const [imageProvider, setImageProvider] = useState('');
  const [autoGenerate, setAutoGenerate] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);

  async function submit(e: Event) {
    e.preventDefault();
    if (!topic.trim()) return;
    const form = new FormData();
    form.set('topic', topic.trim());
    form.set('aspectRatio', ratio);
    if (style) form.set('style', style);
    if (pageCount) form.set('pageCount', pageCount);
    if (textProvider) form.set('textProvider', textProvider);
    if (imageProvider) form.set('imageProvider', imageProvider);
    if (autoGenerate) form.set('autoGenerate', 'true');
    for (const ref of refs) form.append('images', ref.file, ref.file.name);
    setBusy(true);
    setProblems([]);
    try {
      const post = await api.createPost(form);
      navigate(hrefOf.post(post.id));
    } catch (err) {
      const unauthorized = err instanceof ApiError && err.status === 401;
      setProblems([unauthorized ? t('common.unauthorized') : (err as Error).message]);
      setBusy(false);
    }
  }

  return (
    <section class="page-narrow">
      <div class="hero">
        <h1>{t('create.title')}</h1>
        <p>{t('create.subtitle')}</p>
      </div>
      <form class="card form" onSubmit={submit}>
        <div class="field">
          <label class="label" for="topic">
            {t('create.topic')}
          </label>
          <textarea
            id="topic"
            rows={3}
            maxLength={MAX_TOPIC_CHARS}
            placeholder={t('create.topicPlaceholder')}
            value={topic}
            onInput={(e) => setTopic(e.currentTarget.value)}
            required
          />
          <span class="counter">
            {topic.length}/{MAX_TOPIC_CHARS}
          </span>
        </div>
        <ReferencePicker
          value={refs}
          onChange={setRefs}
          onProblem={(m) => setProblems((all) => [...all.slice(-2), m])}
        />
        <div class="grid-2">
          <div class="field">
            <label class="label" for="style">
              {t('create.style')}
            </label>
            <select id="style" value={style} onChange={(e) => setStyle(e.currentTarget.value)}>
              <option value="">{t('create.styleDefault')}</option>
              {styles.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label class="label" for="page-count">
              {t('create.pageCount')}
            </label>
            <select id="page-count" value={pageCount} onChange={(e) => setPageCount(e.currentTarget.value)}>
              <option value="">{t('create.pageCountAuto')}</option>
              {PAGE_COUNTS.map((n) => (
                <option key={n} value={String(n)}>
                  {t('common.pages', { n })}
                </option>
              ))}
            </select>
          </div>
        </div>
        <RatioPicker value={ratio} onChange={setRatio} />
        <details class="advanced">
          <summary>{t('create.advanced')}</summary>
          <div class="grid-2">
            <ProviderSelect
              id="text-provider"
              label={t('create.textProvider')}
              options={providers?.text ?? []}
              value={textProvider}
              onChange={setTextProvider}
            />
            <ProviderSelect
              id="image-provider"
              label={t('create.imageProvider')}
              options={providers?.image ?? []}
              value={imageProvider}
              onChange={setImageProvider}
            />
          </div>
          <label class="check">
            <input
              type="checkbox"
              checked={autoGenerate}
              onChange={(e) => setAutoGenerate(e.currentTarget.checked)}
            />
            {t('create.autoGenerate')}
          </label>
        </details>
        {problems.length > 0 && (
          <div class="alert alert-error" role="alert">
            {problems.map((p) => (
              <p key={p}>{p}</p>
            ))}
          </div>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || !topic.trim()}>
          {busy ? t('create.submitting') : autoGenerate ? t('create.submitAuto') : t('create.submit')}
        </button>
      </form>
    </section>
  );
}
