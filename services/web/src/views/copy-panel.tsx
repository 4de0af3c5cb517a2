import type { Copy, PostView } from '@inkpost/shared/contract';
import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import { api } from '../lib/api';
import { copyText } from '../lib/clipboard';
import type { useAction } from './post-page';

const storageKey = (id: string) => `inkpost.copy.${id}`;

/** Local edits of the copy, kept per post until the server writes new copy. */
function useLocalCopy(post: PostView): [Copy | null, (c: Copy | null) => void] {
  const server = post.copy;
  const base = JSON.stringify(server);
  const [edited, setEdited] = useState<Copy | null>(null);
  useEffect(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey(post.id)) ?? 'null') as {
        base: string;
        copy: Copy;
      } | null;
      setEdited(saved && saved.base === base ? saved.copy : null);
    } catch {
      setEdited(null);
    }
  }, [post.id, base]);
  const save = (copy: Copy | null) => {
    setEdited(copy);
    try {
      if (copy) localStorage.setItem(storageKey(post.id), JSON.stringify({ base, copy }));
      else localStorage.removeItem(storageKey(post.id));
    } catch {
      // edits last for this page only
    }
  };
  return [edited ?? server, (c) => save(c)];
}

const parseTags = (text: string) => text.split(/\s+/).filter(Boolean);

const hashTags = (tags: string[]) =>
  tags
    .filter(Boolean)
    .map((tag) => (tag.startsWith('#') ? tag : `#${tag}`))
    .join(' ');

function CopyButton({ text, label, visible }: { text: string; label: string; visible?: string }) {
  const { t } = useI18n();
  const toast = useToast();
  return (
    <button
      type="button"
      class="btn btn-ghost btn-small"
      aria-label={label}
      title={label}
      onClick={async () => toast((await copyText(text)) ? t('common.copied') : t('common.copyFailed'))}
    >
      <Icon name="copy" size={16} /> {visible ?? t('common.copy')}
    </button>
  );
}

function CopyEditor({ copy, onChange }: { copy: Copy; onChange: (c: Copy) => void }) {
  const { t } = useI18n();
  const [tagText, setTagText] = useState(copy.tags.join(' '));
  // Follow tags that change from outside (new copy, undo), not the ones being typed (spaces would vanish).
  useEffect(
    () =>
      setTagText((text) => (parseTags(text).join(' ') === copy.tags.join(' ') ? text : copy.tags.join(' '))),
    [copy.tags],
  );
  return (
    <>
      <section class="card copy-section">
        <h3>{t('copy.titles')}</h3>
        {copy.titles.map((title, i) => (
          <div key={i} class="copy-row">
            <input
              type="text"
              aria-label={t('copy.title', { n: i + 1 })}
              value={title}
              onInput={(e) =>
                onChange({
                  ...copy,
                  titles: copy.titles.map((x, j) => (j === i ? e.currentTarget.value : x)),
                })
              }
            />
            <CopyButton text={title} label={t('copy.copyTitle', { n: i + 1 })} />
          </div>
        ))}
      </section>
      <section class="card copy-section">
        <div class="section-head">
          <h3>{t('copy.body')}</h3>
          <CopyButton text={copy.body} label={t('copy.copyBody')} />
        </div>
        <textarea
          aria-label={t('copy.body')}
          rows={10}
          value={copy.body}
          onInput={(e) => onChange({ ...copy, body: e.currentTarget.value })}
        />
      </section>
      <section class="card copy-section">
        <div class="section-head">
          <h3>{t('copy.tags')}</h3>
          <CopyButton text={hashTags(copy.tags)} label={t('copy.copyTags')} />
        </div>
        <input
          type="text"
          aria-label={t('copy.tags')}
          aria-describedby="tags-hint"
          value={tagText}
          onInput={(e) => {
            setTagText(e.currentTarget.value);
            onChange({ ...copy, tags: parseTags(e.currentTarget.value) });
          }}
        />
        <p id="tags-hint" class="hint">
          {t('copy.tagsHint')}
        </p>
        <ul class="chips">
          {copy.tags.map((tag) => (
            <li key={tag} class="chip">
              {tag.startsWith('#') ? tag : `#${tag}`}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

export function CopyPanel({ post, act }: { post: PostView; act: ReturnType<typeof useAction> }) {
  const { t } = useI18n();
  const [copy, setCopy] = useLocalCopy(post);
  const writing = post.copyStatus === 'queued' || post.copyStatus === 'writing';
  const ready = post.pages.length > 0 && post.status !== 'outlining';
  const edited = copy !== post.copy;
  const everything = copy ? `${copy.titles[0] ?? ''}\n\n${copy.body}\n\n${hashTags(copy.tags)}` : '';
  return (
    <div class="copy">
      <div class="card copy-head">
        <p>{t('copy.intro')}</p>
        <div class="actions">
          {copy && <CopyButton text={everything} label={t('copy.copyAll')} visible={t('copy.copyAll')} />}
          {edited && (
            <button type="button" class="btn btn-ghost btn-small" onClick={() => setCopy(null)}>
              {t('copy.reset')}
            </button>
          )}
          <button
            type="button"
            class="btn btn-primary"
            disabled={writing || !ready}
            onClick={() => act(() => api.writeCopy(post.id))}
          >
            <Icon name="spark" /> {post.copy ? t('copy.regenerate') : t('copy.generate')}
          </button>
        </div>
        {!ready && <p class="muted">{t('copy.needOutline')}</p>}
        {writing && (
          <p class="writing" aria-live="polite">
            <span class="spinner spinner-small" aria-hidden="true" /> {t('copy.writing')}
          </p>
        )}
        {post.copyStatus === 'failed' && post.copyError && (
          <div class="alert alert-error" role="alert">
            {t('copy.failed', { message: post.copyError.message })}
          </div>
        )}
        {copy && <p class="hint">{t('copy.localNote')}</p>}
      </div>
      {copy && <CopyEditor copy={copy} onChange={setCopy} />}
    </div>
  );
}
