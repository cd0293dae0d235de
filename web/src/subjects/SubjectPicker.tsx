/**
 * The roundtable poll form's optional "Decides" picker: nothing in particular, or a version of one
 * of the roundtable's documents (named versions, newest first; a document with none offers its
 * newest automatic one). Read when the form first shows; a failed read leaves "nothing" only.
 */
import { useEffect, useState } from 'react';
import { api, listVersions } from '../api';
import { SelectField } from '../components';
import { useI18n } from '../i18n';
import type { AccordDocument, PollSubject, Version } from '../types';
import { versionTitle } from '../agreements/logic';
import { groupVersions } from '../pages/history';
import { subjectFromKey, subjectKey } from './logic';

/** How many versions of one document the picker lists. */
const PER_DOCUMENT = 20;

type Choices = { document: AccordDocument; versions: Version[] }[];

export function SubjectPicker({
  roundtableId,
  value,
  error,
  onChange,
}: {
  roundtableId: string;
  value: PollSubject | null;
  error?: string;
  onChange: (s: PollSubject | null) => void;
}) {
  const { t } = useI18n();
  const [choices, setChoices] = useState<Choices | null>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const docs = (await api<AccordDocument[]>('GET', `/roundtables/${encodeURIComponent(roundtableId)}/documents`)).filter((d) => !d.archived);
      const lists = await Promise.all(docs.map((d) => listVersions(d.id).catch(() => [] as Version[])));
      return docs
        .map((document, i) => {
          const { named, auto } = groupVersions(lists[i]);
          return { document, versions: (named.length > 0 ? named : auto.slice(0, 1)).slice(0, PER_DOCUMENT) };
        })
        .filter((c) => c.versions.length > 0);
    })()
      .then((c) => !cancelled && setChoices(c))
      .catch(() => !cancelled && setChoices([]));
    return () => {
      cancelled = true;
    };
  }, [roundtableId]);

  const hint = choices && choices.length === 0 ? t('subject.pickerNone') : t('subject.pickerHint');
  return (
    <SelectField
      label={t('subject.picker')}
      hint={hint}
      value={value ? subjectKey(value) : ''}
      onChange={(e) => onChange(subjectFromKey(e.target.value))}
      error={error}
      data-testid="subject-picker"
    >
      <option value="">{t('subject.pickerNothing')}</option>
      {(choices ?? []).map(({ document, versions }) => (
        <optgroup key={document.id} label={document.title}>
          {versions.map((v) => (
            <option key={v.id} value={subjectKey({ version_id: v.id })}>
              {t('subject.pickerVersion', { document: document.title, version: versionTitle(v, t) })}
            </option>
          ))}
        </optgroup>
      ))}
    </SelectField>
  );
}
