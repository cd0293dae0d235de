import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { Alert, TextAreaField } from '../components';
import { useFormState } from '../forms';
import { useI18n } from '../i18n';
import { QUESTION_MAX, type Question } from './types';

/** Ask a question (≤ 280 characters); server errors such as rate limiting are shown. */
export function AskForm({ roundtableId, onAsked }: { roundtableId: string; onAsked: (q: Question) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  const form = useFormState(t);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    if (!form.validate(text.trim() ? {} : { text: t('validation.required') })) return;
    const ok = await form.run(async () => {
      const q = await api<Question>('POST', `/roundtables/${encodeURIComponent(roundtableId)}/questions`, { text: text.trim() });
      onAsked(q);
    });
    if (ok) {
      setText('');
      setStatus(t('qa.sent'));
    }
  }
  return (
    <form onSubmit={submit} noValidate className="ask-form">
      <Alert message={form.formError} />
      <TextAreaField
        label={t('qa.ask')}
        hint={t('qa.askHint', { count: [...text].length, limit: QUESTION_MAX })}
        rows={2}
        maxLength={QUESTION_MAX}
        value={text}
        onChange={(e) => setText(e.target.value)}
        error={form.fieldErrors.text}
      />
      <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
        {t('qa.send')}
      </button>
      <p role="status" className="copy-status">
        {status}
      </p>
    </form>
  );
}
