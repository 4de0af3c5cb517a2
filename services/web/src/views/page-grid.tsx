import type { PageView, PostView } from '@inkpost/shared/contract';
import { useState } from 'preact/hooks';
import { AuthImage } from '../components/auth-image';
import { Icon } from '../components/icons';
import { PageStatusLabel } from '../components/status-pill';
import { useI18n } from '../i18n/i18n';
import { PageDialog } from './page-dialog';
import type { useAction } from './post-page';

export const ratioStyle = (ratio: string) => ({ aspectRatio: ratio.replace(':', ' / ') });

function TileMedia({ page }: { page: PageView }) {
  const { t } = useI18n();
  const { status, url, thumbnailUrl, error } = page.image;
  const running = status === 'queued' || status === 'generating';
  return (
    <>
      {url ? (
        <AuthImage src={thumbnailUrl ?? url} fallback={url} alt="" class={running ? 'is-stale' : ''} />
      ) : (
        <span class="tile-placeholder">
          <Icon name={status === 'failed' ? 'close' : 'image'} size={28} />
        </span>
      )}
      {running && (
        <span class={`tile-shimmer${status === 'generating' ? ' is-on' : ''}`} aria-hidden="true" />
      )}
      {status !== 'completed' && (
        <span class="tile-state">
          {status === 'generating' && <span class="spinner spinner-small" aria-hidden="true" />}
          <PageStatusLabel status={status} />
        </span>
      )}
      {status === 'failed' && error && (
        <span class="visually-hidden">{t('pages.reason', { message: error.message })}</span>
      )}
    </>
  );
}

export function PageGrid({ post, act }: { post: PostView; act: ReturnType<typeof useAction> }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<number | null>(null);
  const started = post.pages.some((p) => p.image.status !== 'pending');
  return (
    <div>
      {!started && <p class="card empty-hint">{t('pages.empty')}</p>}
      <ol class="grid">
        {post.pages.map((page, i) => {
          const n = i + 1;
          const status = page.image.status;
          return (
            <li key={page.id} class={`tile tile-${status}`} data-testid="page-tile" data-status={status}>
              <button
                type="button"
                class="tile-media"
                style={ratioStyle(post.aspectRatio)}
                aria-label={`${t('pages.open', { n })} · ${t(`page.${status}`)}`}
                onClick={() => setOpen(i)}
              >
                <TileMedia page={page} />
                <span class="tile-badge">{n}</span>
              </button>
              <div class="tile-caption">
                <span class="tile-type">{t(`type.${page.type}`)}</span>
                <span class="tile-text">{page.content.split('\n')[0]}</span>
              </div>
              {status === 'failed' && page.image.error && (
                <p class="tile-error" data-testid="page-error" title={page.image.error.message}>
                  {t('pages.reason', { message: page.image.error.message })}
                </p>
              )}
            </li>
          );
        })}
      </ol>
      {open !== null && post.pages[open] && (
        <PageDialog post={post} index={open} act={act} onIndex={setOpen} onClose={() => setOpen(null)} />
      )}
    </div>
  );
}
