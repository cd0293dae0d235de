import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api';
import { Alert, SelectField, TextField, focusFirstInvalid } from '../components';
import { useFormState, type FieldErrors } from '../forms';
import { useI18n } from '../i18n';
import { Link, navigate } from '../router';
import { DOC_KINDS, type AccordDocument, type DocKind, type DocumentListItem } from '../types';

export function documentPath(id: string) {
  return `/documents/${encodeURIComponent(id)}`;
}

/** The roundtable's documents, and for those who can edit, a form that creates one and opens it. */
export function DocumentsSection({ roundtableId, canCreate }: { roundtableId: string; canCreate: boolean }) {
  const { t, formatDate } = useI18n();
  const [docs, setDocs] = useState<DocumentListItem[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api<DocumentListItem[]>('GET', `/roundtables/${encodeURIComponent(roundtableId)}/documents`)
      .then((list) => !cancelled && setDocs(list))
      .catch((e) => {
        if (cancelled) return;
        setLoadError(`${t('docs.loadFailed')} ${errorMessage(e, t)}`);
        setDocs([]);
      });
    return () => {
      cancelled = true;
    };
    // t only changes with the language; the list does not need reloading then.
  }, [roundtableId]);

  return (
    <section id="documents" aria-labelledby="documents-heading" className="rt-section">
      <h2 id="documents-heading">{t('docs.heading')}</h2>
      <Alert message={loadError} />
      {!docs ? (
        <p>{t('common.loading')}</p>
      ) : docs.length === 0 ? (
        !loadError && <p className="muted">{t('docs.empty')}</p>
      ) : (
        <ul className="documents" data-testid="documents">
          {docs.map((d) => (
            <li key={d.id} className="document-item">
              <Link to={documentPath(d.id)} className="document-title">
                {d.title}
              </Link>
              <span className="document-meta">
                <span className="visually-hidden">{t('docs.kind')}: </span>
                {t(`docKind.${d.kind}`)}
                {' · '}
                <span className="visually-hidden">{t('docs.created')}: </span>
                <time dateTime={d.created_at}>{formatDate(d.created_at)}</time>
                {d.archived && <> · {t('docs.archived')}</>}
                {!!d.open_comments && (
                  <>
                    {' · '}
                    <span data-testid="open-comments">
                      {d.open_comments === 1 ? t('docs.openComments.one') : t('docs.openComments.other', { count: d.open_comments })}
                    </span>
                  </>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {canCreate && <NewDocumentForm roundtableId={roundtableId} />}
    </section>
  );
}

function NewDocumentForm({ roundtableId }: { roundtableId: string }) {
  const { t, lang } = useI18n();
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<DocKind>('programme');
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    const errs: FieldErrors = {};
    if (!title.trim()) errs.title = t('validation.required');
    if (!form.validate(errs)) return focusFirstInvalid(formRef.current);
    let created: AccordDocument | null = null;
    const ok = await form.run(async () => {
      created = await api<AccordDocument>('POST', `/roundtables/${encodeURIComponent(roundtableId)}/documents`, {
        title: title.trim(),
        kind,
        // The template's headings come in the creator's language.
        lang,
      });
    });
    if (ok && created) navigate(documentPath((created as AccordDocument).id));
    else focusFirstInvalid(formRef.current);
  }

  return (
    <div className="panel">
      <h3 id="new-document-heading">{t('docs.new')}</h3>
      <form ref={formRef} onSubmit={onSubmit} noValidate className="inline-form" aria-labelledby="new-document-heading">
        <Alert message={form.formError} />
        <TextField
          label={t('docs.title')}
          name="title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          error={form.fieldErrors.title}
          required
        />
        <SelectField
          label={t('docs.kind')}
          name="kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as DocKind)}
          error={form.fieldErrors.kind}
        >
          {DOC_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`docKind.${k}`)}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
          {t('docs.create')}
        </button>
      </form>
    </div>
  );
}
