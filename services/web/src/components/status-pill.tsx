import type { PageImageStatus, PostStatus } from '@inkpost/shared/contract';
import { useI18n } from '../i18n/i18n';

export function StatusPill({ status }: { status: PostStatus }) {
  const { t } = useI18n();
  return (
    <span class={`pill pill-${status}`} data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}

export function PageStatusLabel({ status }: { status: PageImageStatus }) {
  const { t } = useI18n();
  return <span class={`pill pill-page-${status}`}>{t(`page.${status}`)}</span>;
}
