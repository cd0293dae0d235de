import { useRef, useState, type FormEvent } from 'react';
import { api, safeNext } from '../api';
import { useAuth } from '../auth';
import { Alert, PageHeading, TextField, focusFirstInvalid, useTitle } from '../components';
import { isEmail, useFormState, type FieldErrors } from '../forms';
import { useI18n } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import type { User } from '../types';

export function SignUp() {
  const { t } = useI18n();
  const { setUser } = useAuth();
  const { search } = useLocation();
  const next = safeNext(search.get('next'));
  useTitle(t('signup.title'));
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    const errs: FieldErrors = {};
    if (!email.trim()) errs.email = t('validation.required');
    else if (!isEmail(email)) errs.email = t('validation.email');
    if (!displayName.trim()) errs.display_name = t('validation.required');
    if (!password) errs.password = t('validation.required');
    else if (password.length < 10) errs.password = t('validation.passwordLength');
    if (!form.validate(errs)) return focusFirstInvalid(formRef.current);
    const ok = await form.run(async () => {
      const user = await api<User>('POST', '/auth/register', {
        email: email.trim(),
        password,
        display_name: displayName.trim(),
      });
      setUser(user);
    });
    if (ok) navigate(next, { replace: true });
    else focusFirstInvalid(formRef.current);
  }

  const signinHref = search.get('next') ? `/signin?next=${encodeURIComponent(next)}` : '/signin';
  return (
    <div className="narrow">
      <PageHeading>{t('signup.title')}</PageHeading>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Alert message={form.formError} />
        <TextField
          label={t('signup.email')}
          type="email"
          name="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.fieldErrors.email}
          required
        />
        <TextField
          label={t('signup.displayName')}
          name="display_name"
          autoComplete="name"
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
          error={form.fieldErrors.display_name}
          required
        />
        <TextField
          label={t('signup.password')}
          hint={t('signup.passwordHint')}
          type="password"
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.fieldErrors.password}
          required
        />
        <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
          {t('signup.submit')}
        </button>
      </form>
      <p>
        {t('signup.haveAccount')} <Link to={signinHref}>{t('signup.signinLink')}</Link>
      </p>
    </div>
  );
}
