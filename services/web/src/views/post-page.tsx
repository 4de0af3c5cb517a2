import type { PostView } from '@inkpost/shared/contract';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { StatusPill } from '../components/status-pill';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import { ApiError, api } from '../lib/api';
import { isActive, progress } from '../lib/post-events';
import { hrefOf } from '../lib/router';
import { CopyPanel } from './copy-panel';
import { OutlineEditor } from './outline-editor';
import { PageGrid } from './page-grid';
import { usePostStream } from './use-post-stream';
import { ZipButton } from './zip-button';

type Tab = 'outline' | 'pages' | 'copy';
const TABS: readonly Tab[] = ['outline', 'pages', 'copy'];

function firstTab(post: PostView): Tab {
  return post.status === 'outlining' || post.status === 'outlined' ? 'outline' : 'pages';
}

/** Runs an action that answers with the Post; its errors become a toast. */
export function useAction(accept: (post: PostView) => void) {
  const toast = useToast();
  const { t } = useI18n();
  return async (run: () => Promise<PostView>): Promise<PostView | null> => {
    try {
      const post = await run();
      accept(post);
      return post;
    } catch (err) {
      const unauthorized = err instanceof ApiError && err.status === 401;
      toast(unauthorized ? t('common.unauthorized') : (err as Error).message, 'error');
      return null;
    }
  };
}

function PostHeader({
  post,
  live,
  act,
}: {
  post: PostView;
  live: boolean;
  act: ReturnType<typeof useAction>;
}) {
  const { t } = useI18n();
  const toast = useToast();
  const { done, failed, total } = progress(post);
  const active = isActive(post);
  return (
    <div class="post-head card">
      <a class="back" href={hrefOf.history}>
        <Icon name="left" size={16} /> {t('post.back')}
      </a>
      <div class="post-title-row">
        <h1 class="post-title">{post.topic}</h1>
        <StatusPill status={post.status} />
        {live && active && (
          <span class="live" title={t('post.live')}>
            <span class="live-dot" aria-hidden="true" />
            {t('post.live')}
          </span>
        )}
      </div>
      <p class="meta">
        {t('post.meta', { ratio: post.aspectRatio, text: post.textProvider, image: post.imageProvider })}
      </p>
      {total > 0 && post.status !== 'outlined' && (
        <div
          class="progress"
          role="progressbar"
          aria-label={t('post.progress', { done, total })}
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={done}
        >
          <div class="progress-bar" style={{ width: `${(done / total) * 100}%` }} />
          <span>{t('post.progress', { done, total })}</span>
        </div>
      )}
      <div class="actions">
        {active && (
          <button
            type="button"
            class="btn btn-ghost"
            onClick={async () => {
              if (await act(() => api.cancel(post.id))) toast(t('post.cancelled'));
            }}
          >
            <Icon name="stop" /> {t('post.cancel')}
          </button>
        )}
        {!active && failed > 0 && (
          <button type="button" class="btn btn-ghost" onClick={() => act(() => api.retryFailed(post.id))}>
            <Icon name="refresh" /> {t('post.retryFailed')}
          </button>
        )}
        {done > 0 && <ZipButton post={post} />}
      </div>
    </div>
  );
}

export function PostPage({ id }: { id: string }) {
  const { t } = useI18n();
  const { post, error, live, accept } = usePostStream(id);
  const act = useAction(accept);
  const [tab, setTab] = useState<Tab | null>(null);
  const picked = useRef(false);
  const tabRefs = useRef<Record<Tab, HTMLButtonElement | null>>({ outline: null, pages: null, copy: null });

  useEffect(() => {
    if (post && tab === null) setTab(firstTab(post));
    // With autoGenerate the outline turns straight into images: follow them unless the user chose a tab.
    else if (post?.status === 'generating' && tab === 'outline' && !picked.current) setTab('pages');
  }, [post, tab]);

  if (error) {
    const message =
      error.status === 404
        ? t('post.notFound')
        : error.status === 401
          ? t('common.unauthorized')
          : error.message;
    return (
      <section class="page card empty" role="alert">
        <p>{message}</p>
        <a class="btn btn-ghost" href={hrefOf.history}>
          {t('post.back')}
        </a>
      </section>
    );
  }
  if (!post || !tab) return <p class="page loading">{t('common.loading')}</p>;

  const { done, total } = progress(post);
  const labels: Record<Tab, string> = {
    outline: t('post.tabOutline'),
    pages: `${t('post.tabPages')} ${done}/${total}`,
    copy: t('post.tabCopy'),
  };
  function onTabKey(e: KeyboardEvent) {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = TABS[(TABS.indexOf(tab!) + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
    picked.current = true;
    setTab(next);
    tabRefs.current[next]?.focus();
  }

  return (
    <section class="page">
      <PostHeader post={post} live={live} act={act} />
      <div class="tabs" role="tablist" aria-label={t('post.tabs')} onKeyDown={onTabKey}>
        {TABS.map((name) => (
          <button
            key={name}
            ref={(el) => {
              tabRefs.current[name] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={tab === name}
            aria-controls={tab === name ? `panel-${name}` : undefined}
            tabIndex={tab === name ? 0 : -1}
            class="tab"
            onClick={() => {
              picked.current = true;
              setTab(name);
            }}
          >
            {labels[name]}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'outline' && (
          <OutlineEditor post={post} accept={accept} act={act} onGenerated={() => setTab('pages')} />
        )}
        {tab === 'pages' && <PageGrid post={post} act={act} />}
        {tab === 'copy' && <CopyPanel post={post} act={act} />}
      </div>
    </section>
  );
}
