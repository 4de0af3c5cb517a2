import type { PageType } from '@inkpost/shared/contract';
import { useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { useI18n } from '../i18n/i18n';
import { addPage, type DraftPage, MAX_PAGE_CHARS, MAX_PAGES, movePage, PAGE_TYPES } from '../lib/outline';

interface Props {
  pages: DraftPage[];
  disabled: boolean;
  onChange: (pages: DraftPage[]) => void;
}

/** Keeps keyboard focus on the control that was used, on the page it moved with. */
function refocus(key: string, preferred: string, other: string) {
  requestAnimationFrame(() => {
    const item = document.querySelector(`[data-key="${key}"]`);
    const target = item?.querySelector<HTMLButtonElement>(`.${preferred}:not(:disabled)`);
    (target ?? item?.querySelector<HTMLButtonElement>(`.${other}:not(:disabled)`))?.focus();
  });
}

export function OutlinePages({ pages, disabled, onChange }: Props) {
  const { t } = useI18n();
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<number | null>(null);

  const update = (index: number, change: Partial<DraftPage>) =>
    onChange(pages.map((p, i) => (i === index ? { ...p, ...change } : p)));
  const move = (from: number, to: number, key: string, dir: 'up' | 'down') => {
    onChange(movePage(pages, from, to));
    refocus(key, `move-${dir}`, `move-${dir === 'up' ? 'down' : 'up'}`);
  };
  const add = () => {
    const next = addPage(pages);
    onChange(next);
    const added = next.find((p) => !pages.includes(p));
    if (added)
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>(`[data-key="${added.key}"] textarea`)?.focus(),
      );
  };
  const endDrag = () => {
    setDragging(null);
    setOver(null);
  };

  return (
    <>
      <ol class="outline-list">
        {pages.map((page, i) => {
          const n = i + 1;
          return (
            <li
              key={page.key}
              data-key={page.key}
              data-testid="outline-page"
              class={`outline-item card${dragging === i ? ' is-dragging' : ''}${over === i && dragging !== i ? ' is-over' : ''}`}
              onDragOver={(e) => {
                if (dragging === null) return;
                e.preventDefault();
                setOver(i);
              }}
              onDrop={(e) => {
                e.preventDefault();
                if (dragging !== null) onChange(movePage(pages, dragging, i));
                endDrag();
              }}
            >
              <div class="outline-item-head">
                <span
                  class="drag-handle"
                  draggable={!disabled}
                  title={t('outline.drag', { n })}
                  aria-hidden="true"
                  onDragStart={(e) => {
                    setDragging(i);
                    e.dataTransfer?.setData('text/plain', String(i));
                    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
                    const card = (e.currentTarget as HTMLElement).closest('li');
                    if (card && e.dataTransfer) e.dataTransfer.setDragImage(card, 24, 24);
                  }}
                  onDragEnd={endDrag}
                >
                  <Icon name="grip" />
                </span>
                <span class="page-no">{t('outline.page', { n })}</span>
                <select
                  class="type-select"
                  aria-label={`${t('outline.page', { n })} · ${t('outline.type')}`}
                  value={page.type}
                  disabled={disabled}
                  onChange={(e) => update(i, { type: e.currentTarget.value as PageType })}
                >
                  {PAGE_TYPES.map((type) => (
                    <option key={type} value={type}>
                      {t(`type.${type}`)}
                    </option>
                  ))}
                </select>
                <span class="spacer" />
                <button
                  type="button"
                  class="icon-btn move-up"
                  aria-label={t('outline.up', { n })}
                  title={t('outline.up', { n })}
                  disabled={disabled || i === 0}
                  onClick={() => move(i, i - 1, page.key, 'up')}
                >
                  <Icon name="up" />
                </button>
                <button
                  type="button"
                  class="icon-btn move-down"
                  aria-label={t('outline.down', { n })}
                  title={t('outline.down', { n })}
                  disabled={disabled || i === pages.length - 1}
                  onClick={() => move(i, i + 1, page.key, 'down')}
                >
                  <Icon name="down" />
                </button>
                <button
                  type="button"
                  class="icon-btn danger"
                  aria-label={t('outline.remove', { n })}
                  title={t('outline.remove', { n })}
                  disabled={disabled || pages.length <= 1}
                  onClick={() => onChange(pages.filter((_, j) => j !== i))}
                >
                  <Icon name="trash" />
                </button>
              </div>
              <textarea
                aria-label={t('outline.text', { n })}
                value={page.content}
                maxLength={MAX_PAGE_CHARS}
                disabled={disabled}
                rows={Math.min(12, Math.max(3, page.content.split('\n').length + 1))}
                onInput={(e) => update(i, { content: e.currentTarget.value })}
              />
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        class="btn btn-dashed btn-block"
        disabled={disabled || pages.length >= MAX_PAGES}
        onClick={add}
      >
        <Icon name="plus" /> {t('outline.add')}
      </button>
    </>
  );
}
