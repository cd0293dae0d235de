import { useRef, useState, type FormEvent } from 'react';
import { api, safeNext } from '../api';
import { useAuth } from '../auth';
import { Alert, PageHeading, TextField, focusFirstInvalid, useTitle } from '../components';
import { useFormState, type FieldErrors } from '../forms';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import type { User } from '../types';

export function SignIn() {
  const { t } = useI18n();
  const { setUser } = useAuth();
  const { search } = useLocation();
  const next = safeNext(search.get('next'));
  useTitle(t('signin.title'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    const errs: FieldErrors = {};
    if (!email.trim()) errs.email = t('validation.required');
    if (!password) errs.password = t('validation.required');
    if (!form.validate(errs)) return focusFirstInvalid(formRef.current);
    const ok = await form.run(async () => {
      const user = await api<User>('POST', '/auth/login', { email: email.trim(), password });
      setUser(user);
    });
    if (ok) navigate(next, { replace: true });
    else focusFirstInvalid(formRef.current);
  }

  const signupHref = search.get('next') ? `/signup?next=${encodeURIComponent(next)}` : '/signup';
  return (
    <div className="narrow">
      <PageHeading>{t('signin.title')}</PageHeading>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Alert message={form.formError} />
        <TextField
          label={t('signin.email')}
          type="email"
          name="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.fieldErrors.email}
          required
        />
        <TextField
          label={t('signin.password')}
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.fieldErrors.password}
          required
        />
        <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
          {t('signin.submit')}
        </button>
      </form>
      <p>
        {t('signin.noAccount')} <Link to={signupHref}>{t('signin.signupLink')}</Link>
      </p>
    </div>
  );
}
