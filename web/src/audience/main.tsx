// The conference audience page (/live, /live/<CODE>): a separate, light entry point. The production
// build compiles it against Preact (see vite.config.ts, mode "audience"), so React is not shipped here.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../i18n';
import { AudienceApp } from './AudienceApp';
import '../styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <AudienceApp />
    </I18nProvider>
  </StrictMode>,
);
