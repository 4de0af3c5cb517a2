import { ToastProvider } from './components/toast';
import { I18nProvider, useI18n } from './i18n/i18n';
import { hrefOf, type Route, useRoute } from './lib/router';
import { CreateView } from './views/create-view';
import { HistoryView } from './views/history-view';
import { PostPage } from './views/post-page';
import { SettingsView } from './views/settings-view';

function Header({ route }: { route: Route }) {
  const { t, lang, setLang } = useI18n();
  const links = [
    { name: 'create', href: hrefOf.create, label: t('nav.create') },
    { name: 'history', href: hrefOf.history, label: t('nav.history') },
    { name: 'settings', href: hrefOf.settings, label: t('nav.settings') },
  ] as const;
  return (
    <header class="topbar">
      <a class="brand" href={hrefOf.create}>
        <span class="brand-mark" aria-hidden="true">
          I
        </span>
        <span class="brand-name">{t('app.name')}</span>
        <span class="brand-tag">{t('app.tagline')}</span>
      </a>
      <nav class="nav" aria-label={t('nav.main')}>
        {links.map((link) => (
          <a
            key={link.name}
            href={link.href}
            class="nav-link"
            aria-current={route.name === link.name ? 'page' : undefined}
          >
            {link.label}
          </a>
        ))}
      </nav>
      <button
        type="button"
        class="lang-switch"
        aria-label={t('lang.switch')}
        title={t('lang.switch')}
        onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
      >
        {t('lang.short')}
      </button>
    </header>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'post':
      return <PostPage key={route.id} id={route.id} />;
    case 'history':
      return <HistoryView />;
    case 'settings':
      return <SettingsView />;
    default:
      return <CreateView />;
  }
}

export function App() {
  const route = useRoute();
  return (
    <I18nProvider>
      <ToastProvider>
        <Header route={route} />
        <main class="main" id="main">
          <Screen route={route} />
        </main>
      </ToastProvider>
    </I18nProvider>
  );
}
