import type { PostStatus, PostView } from '@inkpost/shared/contract';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AuthImage } from '../components/auth-image';
import { Icon } from '../components/icons';
import { StatusPill } from '../components/status-pill';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import { ApiError, api } from '../lib/api';
import { useApiKey } from '../lib/api-key';
import { hrefOf } from '../lib/router';
import { ZipButton } from './zip-button';

const STATUSES: readonly PostStatus[] = [
  'outlining',
  'outlined',
  'generating',
  'completed',
  'partial',
  'failed',
  'cancelled',
];
const PAGE_SIZE = 24;

function cover(post: PostView): string | null {
  const page = post.pages.find((p) => p.image.url) ?? null;
  return page ? (page.image.thumbnailUrl ?? page.image.url) : null;
}

function PostCard({ post, onDeleted }: { post: PostView; onDeleted: (id: string) => void }) {
  const { t, formatDate } = useI18n();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const thumb = cover(post);
  const hasImages = post.pages.some((p) => p.image.url);
  async function remove() {
    try {
      await api.remove(post.id);
      toast(t('history.deleted'));
      onDeleted(post.id);
    } catch (err) {
      toast((err as Error).message, 'error');
    }
  }
  return (
    <li class="history-card card" data-testid="history-item">
      <div class="history-thumb">
        {thumb ? (
          <AuthImage src={thumb} alt="" />
        ) : (
          <span class="tile-placeholder">
            <Icon name="image" size={28} />
          </span>
        )}
      </div>
      <div class="history-body">
        <a class="history-title" href={hrefOf.post(post.id)}>
          {post.topic}
        </a>
        <div class="history-meta">
          <StatusPill status={post.status} />
          <span>{t('common.pages', { n: post.pages.length })}</span>
        </div>
        <p class="muted small">{t('history.updated', { date: formatDate(post.updatedAt) })}</p>
        <div class="actions">
          {hasImages && <ZipButton post={post} compact />}
          {confirming ? (
            <>
              <span class="confirm-text">{t('history.confirmDelete')}</span>
              <button type="button" class="btn btn-danger btn-small" onClick={remove}>
                {t('common.delete')}
              </button>
              <button type="button" class="btn btn-ghost btn-small" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </button>
            </>
          ) : (
            <button
              type="button"
              class="btn btn-ghost btn-small"
              aria-label={`${t('common.delete')} · ${post.topic}`}
              onClick={() => setConfirming(true)}
            >
              <Icon name="trash" size={16} /> {t('common.delete')}
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

export function HistoryView() {
  const { t } = useI18n();
  const key = useApiKey();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<PostStatus | ''>('');
  const [items, setItems] = useState<PostView[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const request = useRef(0);

  async function load(more: boolean) {
    const mine = ++request.current;
    try {
      const page = await api.list({
        q: q.trim() || undefined,
        status: status || undefined,
        limit: PAGE_SIZE,
        cursor: more ? (cursor ?? undefined) : undefined,
      });
      if (mine !== request.current) return;
      setItems((old) => (more && old ? [...old, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (mine !== request.current) return;
      setError(
        err instanceof ApiError && err.status === 401 ? t('common.unauthorized') : (err as Error).message,
      );
    }
  }

  // Typing settles for a moment before the search runs.
  useEffect(() => {
    const timer = setTimeout(() => void load(false), 250);
    return () => clearTimeout(timer);
  }, [q, status, key]);

  return (
    <section class="page">
      <h1 class="page-title">{t('history.title')}</h1>
      <search class="card filters">
        <label class="search">
          <Icon name="search" />
          <span class="visually-hidden">{t('history.search')}</span>
          <input
            type="search"
            placeholder={t('history.search')}
            value={q}
            onInput={(e) => setQ(e.currentTarget.value)}
          />
        </label>
        <label class="filter">
          <span class="label-inline">{t('history.status')}</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as PostStatus | '')}>
            <option value="">{t('history.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </search>
      {error && (
        <div class="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {items === null && !error && <p class="loading">{t('common.loading')}</p>}
      {items?.length === 0 && (
        <p class="card empty-hint">{q || status ? t('history.noMatch') : t('history.empty')}</p>
      )}
      {items && items.length > 0 && (
        <ul class="history-list" aria-live="polite">
          {items.map((post) => (
            <PostCard
              key={post.id}
              post={post}
              onDeleted={(id) => setItems((all) => all?.filter((p) => p.id !== id) ?? null)}
            />
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="btn btn-ghost btn-block" onClick={() => load(true)}>
          {t('history.more')}
        </button>
      )}
    </section>
  );
}
