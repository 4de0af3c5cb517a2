import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../components/icons';
import { useI18n } from '../i18n/i18n';

export const MAX_REFERENCES = 6;
const MAX_BYTES = 10 * 1024 * 1024;
const TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

export interface Reference {
  file: File;
  url: string;
}

interface Props {
  value: Reference[];
  onChange: (next: Reference[]) => void;
  onProblem: (message: string) => void;
}

/** Drag and drop or a file picker; previews with a remove button each. */
export function ReferencePicker({ value, onChange, onProblem }: Props) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const latest = useRef(value);
  latest.current = value;

  // Object URLs of previews are released when the picker goes away.
  useEffect(
    () => () => {
      for (const ref of latest.current) URL.revokeObjectURL(ref.url);
    },
    [],
  );

  function add(files: File[]) {
    const accepted: Reference[] = [];
    for (const file of files) {
      if (!TYPES.includes(file.type)) onProblem(t('create.refBadType', { name: file.name }));
      else if (file.size > MAX_BYTES) onProblem(t('create.refTooBig', { name: file.name }));
      else if (value.length + accepted.length >= MAX_REFERENCES)
        onProblem(t('create.refTooMany', { max: MAX_REFERENCES }));
      else accepted.push({ file, url: URL.createObjectURL(file) });
    }
    if (accepted.length) onChange([...value, ...accepted]);
  }

  function remove(index: number) {
    const gone = value[index];
    if (gone) URL.revokeObjectURL(gone.url);
    onChange(value.filter((_, i) => i !== index));
  }

  return (
    <div class="field">
      <span class="label" id="refs-label">
        {t('create.refs')}
      </span>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is a mouse shortcut; the button below is the keyboard way */}
      <div
        class={`dropzone${over ? ' is-over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          add([...(e.dataTransfer?.files ?? [])]);
        }}
      >
        <Icon name="image" size={28} />
        <p>
          {t('create.drop')} <span class="muted">{t('create.or')}</span>
        </p>
        <button type="button" class="btn btn-ghost" onClick={() => input.current?.click()}>
          {t('create.pick')}
        </button>
        <input
          ref={input}
          class="visually-hidden"
          type="file"
          multiple
          accept={TYPES.join(',')}
          aria-label={t('create.filesLabel')}
          tabIndex={-1}
          onChange={(e) => {
            const el = e.currentTarget;
            add([...(el.files ?? [])]);
            el.value = '';
          }}
        />
        <p class="hint">{t('create.refsHint', { max: MAX_REFERENCES })}</p>
      </div>
      {value.length > 0 && (
        <ul class="ref-list" aria-labelledby="refs-label">
          {value.map((ref, i) => (
            <li key={ref.url} class="ref-item">
              <img src={ref.url} alt={ref.file.name} />
              <button
                type="button"
                class="ref-remove"
                aria-label={t('create.removeRef', { n: i + 1 })}
                onClick={() => remove(i)}
              >
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
