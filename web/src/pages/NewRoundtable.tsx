import { useRef, useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, PageHeading, SelectField, TextAreaField, TextField, focusFirstInvalid, useTitle } from '../components';
import { useFormState, type FieldErrors } from '../forms';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';
import { THEMES, type Roundtable } from '../types';

export function NewRoundtable() {
  const { t } = useI18n();
  useTitle(t('new.title'));
  const [title, setTitle] = useState('');
  const [theme, setTheme] = useState('');
  const [description, setDescription] = useState('');
  const [organisation, setOrganisation] = useState('');
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    const errs: FieldErrors = {};
    if (!title.trim()) errs.title = t('validation.required');
    if (!theme) errs.theme = t('validation.required');
    if (!form.validate(errs)) return focusFirstInvalid(formRef.current);
    let created: Roundtable | null = null;
    const ok = await form.run(async () => {
      created = await api<Roundtable>('POST', '/roundtables', {
        title: title.trim(),
        theme,
        description: description.trim(),
        organisation: organisation.trim(),
      });
    });
    if (ok && created) navigate(`/roundtables/${encodeURIComponent((created as Roundtable).id)}`);
    else focusFirstInvalid(formRef.current);
  }

  return (
    <div className="narrow">
      <PageHeading>{t('new.title')}</PageHeading>
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <Alert message={form.formError} />
        <TextField
          label={t('new.titleField')}
          name="title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          error={form.fieldErrors.title}
          required
        />
        <SelectField
          label={t('new.theme')}
          name="theme"
          value={theme}
          onChange={(e) => setTheme(e.target.value)}
          error={form.fieldErrors.theme}
          required
        >
          <option value="">{t('new.themePlaceholder')}</option>
          {THEMES.map((th) => (
            <option key={th} value={th}>
              {t(`theme.${th}`)}
            </option>
          ))}
        </SelectField>
        <TextAreaField
          label={t('new.description')}
          hint={t('new.descriptionHint')}
          name="description"
          rows={5}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={form.fieldErrors.description}
        />
        <TextField
          label={t('new.organisation')}
          hint={t('new.organisationHint')}
          name="organisation"
          autoComplete="organization"
          value={organisation}
          onChange={(e) => setOrganisation(e.target.value)}
          error={form.fieldErrors.organisation}
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
            {t('new.submit')}
          </button>
          <Link to="/">{t('new.cancel')}</Link>
        </div>
      </form>
    </div>
  );
}
