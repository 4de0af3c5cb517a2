import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { detectLang, format, type Lang, type MessageKey, messages } from './messages';

const STORAGE_KEY = 'inkpost.lang';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  t: Translate;
  setLang: (lang: Lang) => void;
  formatDate: (iso: string) => string;
}

const I18nContext = createContext<I18n | null>(null);

function storedLang(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function I18nProvider({ children }: { children: ComponentChildren }) {
  const [lang, setLangState] = useState<Lang>(() => detectLang(storedLang(), [navigator.language]));
  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = lang === 'zh' ? 'Inkpost 图文工作室' : 'Inkpost Studio';
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // the choice lasts for this page only
    }
  }, []);
  const value = useMemo<I18n>(() => {
    const dates = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', {
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    return {
      lang,
      setLang,
      t: (key, params) => format(messages[lang][key], params),
      formatDate: (iso) => dates.format(new Date(iso)),
    };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
