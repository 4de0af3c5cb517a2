import type { PostView } from '@inkpost/shared/contract';
import { useEffect, useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import { ApiError, api } from '../lib/api';
import {
  type Draft,
  draftOf,
  draftProblems,
  MAX_PAGES,
  MAX_TOPIC_CHARS,
  patchBodyOf,
  signature,
} from '../lib/outline';
import { isEditable } from '../lib/post-events';
import { OutlinePages } from './outline-pages';
import type { useAction } from './post-page';

interface Props {
  post: PostView;
  accept: (post: PostView) => void;
  act: ReturnType<typeof useAction>;
  onGenerated: () => void;
}

interface Base {
  revision: number;
  sig: string;
}

function ConflictBanner({ onReload, onOverwrite }: { onReload: () => void; onOverwrite: () => void }) {
  const { t } = useI18n();
  return (
    <div class="alert alert-conflict" role="alert" data-testid="conflict">
      <strong>{t('outline.conflictTitle')}</strong>
      <p>{t('outline.conflictBody')}</p>
      <div class="actions">
        <button type="button" class="btn btn-primary" onClick={onReload}>
          {t('outline.conflictReload')}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onOverwrite}>
          {t('outline.conflictOverwrite')}
        </button>
      </div>
    </div>
  );
}

/** The draft, and the outline (and its revision) it was started from: what If-Match protects. */
function useDraft(post: PostView) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(post));
  const [base, setBase] = useState<Base>(() => ({ revision: post.revision, sig: signature(draftOf(post)) }));
  const [remoteChanged, setRemoteChanged] = useState(false);
  const dirty = signature(draft) !== base.sig;

  const reset = (next: PostView) => {
    const fresh = draftOf(next);
    setDraft(fresh);
    setBase({ revision: next.revision, sig: signature(fresh) });
    setRemoteChanged(false);
  };

  // The post moves on (events, other tabs). Same outline: nothing to do. A clean draft follows the server; a
  // dirty one is kept, and saving it will meet the 412 that says someone else changed it.
  useEffect(() => {
    const sig = signature(draftOf(post));
    if (sig === base.sig) setRemoteChanged(false);
    else if (!dirty) reset(post);
    else setRemoteChanged(true);
  }, [post]);

  return { draft, setDraft, base, dirty, remoteChanged, reset };
}

export function OutlineEditor({ post, accept, act, onGenerated }: Props) {
  const { t } = useI18n();
  const toast = useToast();
  const { draft, setDraft, base, dirty, remoteChanged, reset } = useDraft(post);
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState(false);
  const editable = isEditable(post);
  const problems = draftProblems(draft);

  async function save(force = false): Promise<PostView | null> {
    setSaving(true);
    try {
      const fresh = await api.getPost(post.id);
      // Only changes to the outline itself are conflicts; images finishing meanwhile are not.
      const unchanged = signature(draftOf(fresh)) === base.sig;
      const saved = await api.patchPost(
        post.id,
        patchBodyOf(draft),
        force || unchanged ? fresh.revision : base.revision,
      );
      reset(saved);
      accept(saved);
      setConflict(false);
      toast(t('outline.saved'));
      return saved;
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else toast((err as Error).message, 'error');
      return null;
    } finally {
      setSaving(false);
    }
  }

  async function reload() {
    const fresh = await act(() => api.getPost(post.id));
    if (fresh) reset(fresh);
    setConflict(false);
  }

  async function generate() {
    if (dirty && !(await save())) return;
    if (await act(() => api.generate(post.id))) onGenerated();
  }

  if (post.status === 'outlining')
    return (
      <div class="card outlining" aria-busy="true">
        <span class="spinner" aria-hidden="true" />
        <p>{t('post.outlining')}</p>
        <div class="skeleton" />
        <div class="skeleton short" />
      </div>
    );

  const todo = post.pages.filter((p) => p.image.status !== 'completed').length;
  const estimate = post.estimate;
  return (
    <div class="outline">
      {post.error && post.pages.length === 0 && (
        <div class="alert alert-error" role="alert">
          {t('post.outlineFailed', { message: post.error.message })}
        </div>
      )}
      {conflict && <ConflictBanner onReload={reload} onOverwrite={() => save(true)} />}
      {!conflict && remoteChanged && <div class="alert alert-info">{t('outline.remoteChanged')}</div>}
      {!editable && <div class="alert alert-info">{t('outline.busy')}</div>}
      <div class="card field">
        <label class="label" for="outline-topic">
          {t('outline.topic')}
        </label>
        <input
          id="outline-topic"
          type="text"
          maxLength={MAX_TOPIC_CHARS}
          value={draft.topic}
          disabled={!editable}
          onInput={(e) => setDraft({ ...draft, topic: e.currentTarget.value })}
        />
      </div>
      <OutlinePages
        pages={draft.pages}
        disabled={!editable}
        onChange={(pages) => setDraft({ ...draft, pages })}
      />
      <div class="outline-bar card">
        <div class="outline-bar-info">
          {dirty && <span class="unsaved">{t('outline.unsaved')}</span>}
          {problems.map((p) => (
            <span key={p} class="problem">
              {t(`outline.problem.${p}`)}
            </span>
          ))}
          {!dirty && todo === 0 && post.pages.length > 0 && <span class="muted">{t('outline.allDone')}</span>}
          {estimate?.cost != null && todo > 0 && (
            <span class="muted">
              {t('outline.estimate', { cost: estimate.cost.toFixed(2), currency: estimate.currency ?? '' })}
            </span>
          )}
        </div>
        <div class="actions">
          {dirty && (
            <button type="button" class="btn btn-ghost" disabled={saving} onClick={() => reset(post)}>
              {t('outline.discard')}
            </button>
          )}
          <button
            type="button"
            class="btn btn-ghost"
            disabled={!editable || !dirty || saving || problems.length > 0}
            onClick={() => save()}
          >
            {saving ? t('outline.saving') : t('outline.save')}
          </button>
          <button
            type="button"
            class="btn btn-primary"
            disabled={
              !editable ||
              saving ||
              problems.length > 0 ||
              (!dirty && todo === 0) ||
              draft.pages.length > MAX_PAGES
            }
            onClick={generate}
          >
            <Icon name="spark" />{' '}
            {todo > 0 && !dirty ? t('outline.generateN', { n: todo }) : t('outline.generate')}
          </button>
        </div>
      </div>
    </div>
  );
}
