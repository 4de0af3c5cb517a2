import type { PostView } from '@inkpost/shared/contract';
import { useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { useToast } from '../components/toast';
import { useI18n } from '../i18n/i18n';
import { archiveUrl } from '../lib/api';
import { useApiKey } from '../lib/api-key';
import { downloadWithKey } from '../lib/download';

/** The post's ZIP: a plain download link on open servers, fetched with the key otherwise. */
export function ZipButton({ post, compact = false }: { post: Pick<PostView, 'id'>; compact?: boolean }) {
  const { t } = useI18n();
  const toast = useToast();
  const key = useApiKey();
  const [busy, setBusy] = useState(false);
  const url = archiveUrl(post.id);
  const label = t('common.downloadZip');
  const cls = compact ? 'btn btn-ghost btn-small' : 'btn btn-ghost';
  if (!key)
    return (
      <a class={cls} href={url} download={`${post.id}.zip`}>
        <Icon name="download" /> {label}
      </a>
    );
  return (
    <button
      type="button"
      class={cls}
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await downloadWithKey(url, `${post.id}.zip`);
        } catch (err) {
          toast((err as Error).message, 'error');
        } finally {
          setBusy(false);
        }
      }}
    >
      <Icon name="download" /> {label}
    </button>
  );
}
