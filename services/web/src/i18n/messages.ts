import { en, type MessageKey } from './en';
import { zh } from './zh';

export { en, type MessageKey, zh };

export const messages = { en, zh } as const;
export type Lang = keyof typeof messages;

/** Fills `{name}` placeholders. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The browser's language decides, unless the user picked one: Chinese for any `zh*`, English otherwise. */
export function detectLang(stored: string | null, languages: readonly string[]): Lang {
  if (stored === 'zh' || stored === 'en') return stored;
  const first = languages.find(Boolean) ?? 'en';
  return first.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}
