import type { PostView } from '@inkpost/shared/contract';
import { useEffect, useRef, useState } from 'preact/hooks';
import { AuthImage } from '../components/auth-image';
import { Icon } from '../components/icons';
import { PageStatusLabel } from '../components/status-pill';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import { api } from '../lib/api';
import { ratioStyle } from './page-grid';
import type { useAction } from './post-page';

interface Props {
  post: PostView;
  index: number;
  act: ReturnType<typeof useAction>;
  onIndex: (index: number) => void;
  onClose: () => void;
}

/** One page: its image versions (pick one), regenerate, and the text it is drawn from. */
export function PageDialog({ post, index, act, onIndex, onClose }: Props) {
  const { t, formatDate } = useI18n();
  const toast = useToast();
  const dialog = useRef<HTMLDialogElement>(null);
  const page = post.pages[index]!;
  const { image } = page;
  const [preview, setPreview] = useState(image.version);
  const running = image.status === 'queued' || image.status === 'generating';

  useEffect(() => {
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);
  // A new current version (a regenerate finished, or another tab picked one) is what to look at.
  useEffect(() => setPreview(image.version), [image.version, index]);

  const shown = image.versions.find((v) => v.version === preview) ?? null;
  const n = index + 1;

  async function select(version: number) {
    if (await act(() => api.selectVersion(post.id, index, version)))
      toast(t('pages.versionSelected', { v: version }));
  }

  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop closes; Escape does so natively
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="page-dialog-title"
      onClose={onClose}
      onClick={(e) => {
        if (e.target === dialog.current) dialog.current?.close();
      }}
    >
      <div class="dialog-head">
        <h2 id="page-dialog-title">{t('pages.dialog', { n, type: t(`type.${page.type}`) })}</h2>
        <PageStatusLabel status={image.status} />
        <span class="spacer" />
        <button
          type="button"
          class="icon-btn"
          aria-label={t('common.close')}
          onClick={() => dialog.current?.close()}
        >
          <Icon name="close" />
        </button>
      </div>
      <div class="dialog-body">
        <div class="dialog-media" style={ratioStyle(post.aspectRatio)}>
          {shown ? (
            <AuthImage
              src={shown.url}
              alt={page.content.split('\n')[0] ?? ''}
              loading="eager"
              data-testid="dialog-image"
            />
          ) : (
            <span class="tile-placeholder">{t('pages.noImage')}</span>
          )}
          {running && <span class="tile-shimmer is-on" aria-hidden="true" />}
        </div>
        <div class="dialog-side">
          {image.status === 'failed' && image.error && (
            <div class="alert alert-error" role="alert">
              {t('pages.reason', { message: image.error.message })}
            </div>
          )}
          <button
            type="button"
            class="btn btn-primary"
            disabled={running}
            onClick={() => act(() => api.regenerate(post.id, index))}
          >
            <Icon name="refresh" /> {t('pages.regenerate')}
          </button>
          {running && (
            <p class="muted" aria-live="polite">
              {t('pages.regenerating')}
            </p>
          )}
          {image.versions.length > 0 && (
            <section>
              <h3>{t('pages.versions')}</h3>
              <ul class="versions">
                {image.versions.map((v) => (
                  <li key={v.version}>
                    <button
                      type="button"
                      class={`version${v.version === image.version ? ' is-current' : ''}`}
                      aria-pressed={v.version === preview}
                      aria-label={`${t('pages.version', { v: v.version })}${v.version === image.version ? ` · ${t('pages.current')}` : ''}`}
                      onClick={() => setPreview(v.version)}
                    >
                      <AuthImage src={`${v.url}&size=thumb`} fallback={v.url} alt="" />
                      <span>v{v.version}</span>
                    </button>
                  </li>
                ))}
              </ul>
              {shown && shown.version !== image.version && (
                <button type="button" class="btn btn-ghost" onClick={() => select(shown.version)}>
                  {t('pages.useVersion', { v: shown.version })}
                </button>
              )}
              {shown && (
                <p class="muted small">
                  {t('pages.madeBy', {
                    provider: shown.model ? `${shown.provider} · ${shown.model}` : shown.provider,
                    date: formatDate(shown.createdAt),
                  })}
                </p>
              )}
            </section>
          )}
          <section>
            <h3>{t('pages.text')}</h3>
            <p class="page-text" data-testid="page-text">
              {page.content}
            </p>
          </section>
        </div>
      </div>
      <div class="dialog-foot">
        <button type="button" class="btn btn-ghost" disabled={index === 0} onClick={() => onIndex(index - 1)}>
          <Icon name="left" /> {t('pages.previous')}
        </button>
        <button
          type="button"
          class="btn btn-ghost"
          disabled={index === post.pages.length - 1}
          onClick={() => onIndex(index + 1)}
        >
          {t('pages.next')} <Icon name="right" />
        </button>
      </div>
    </dialog>
  );
}
