/**
 * The poll form written by hand: question, kind, options, secret ballot, audience, results. On the
 * roundtable page it has an optional "Decides" picker; in a version view or a comment thread it
 * comes with its subject fixed (an indicative vote on a version, a poll on a passage). A poll that
 * names a subject is for participants only, so the audience box is then unticked and disabled,
 * with the reason beside it; the server's 422 on `subject` is said in the reader's language.
 * After a create it starts over from the defaults (nothing ticked), so the next poll inherits
 * nothing by accident. Given a draft (`editing`), it edits that draft instead (PATCH).
 */
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../api';
import { Alert, SelectField, TextAreaField, TextField, focusFirstInvalid } from '../components';
import { useFormState, type FieldErrors } from '../forms';
import { useI18n } from '../i18n';
import { POLL_KINDS, RESULTS_VISIBILITY, type Poll, type PollKind, type ResultsVisibility } from '../live/types';
import type { PollSubject } from '../types';
import { audienceFor, subjectError } from '../subjects/logic';
import { FORM_DEFAULTS, formValuesOf } from '../agenda/logic';
import { SubjectPicker } from '../subjects/SubjectPicker';
import '../subjects/subjects.css';

const withOptions = (k: PollKind) => k === 'single' || k === 'multiple' || k === 'ranking';

export interface PollFormProps {
  roundtableId: string;
  /** The secret ballot's minimum group, for its guarantees. */
  minGroup: number;
  onCreated: (p: Poll) => void;
  heading: string;
  /** The heading's level: h4 in the roundtable's new-poll panel, h3 in a version view, h4 in a thread. */
  headingLevel?: 3 | 4;
  /** A subject fixed by where the form is (a version, a passage); the picker is not shown. */
  subject?: PollSubject;
  /** What the fixed subject is, in words, above the question. */
  subjectNote?: ReactNode;
  /** The roundtable page's optional "Decides" picker. */
  picker?: boolean;
  /** What the question and options start as (an indicative vote: Yes / No / Abstain). */
  initial?: { question: string; options: string[] };
  /** Shows Cancel (Escape does the same). */
  onCancel?: () => void;
  /** The heading takes focus when the form appears (opened by a button). */
  focusOnOpen?: boolean;
  testId?: string;
  /** A draft to edit: the form starts from it and saves with PATCH, calling `onCreated` with the result. */
  editing?: Poll;
}

export function PollForm({
  roundtableId,
  minGroup,
  onCreated,
  heading,
  headingLevel = 4,
  subject: fixedSubject,
  subjectNote,
  picker = false,
  initial,
  onCancel,
  focusOnOpen = false,
  testId,
  editing,
}: PollFormProps) {
  const { t } = useI18n();
  const uid = useId();
  const secretHintId = `${uid}-secret-hint`;
  const audienceHintId = `${uid}-audience-hint`;
  const headingId = `${uid}-heading`;
  const nextKey = useRef(1);
  const fresh = (labels: string[]) => labels.map((label) => ({ key: nextKey.current++, label }));
  const start = editing ? formValuesOf(editing) : null;
  const [question, setQuestion] = useState(start?.question ?? initial?.question ?? '');
  const [kind, setKind] = useState<PollKind>(start?.kind ?? FORM_DEFAULTS.kind);
  const [options, setOptions] = useState<{ key: number; label: string }[]>(() =>
    fresh(start && start.options.length >= 2 ? start.options : initial?.options ?? ['', '']),
  );
  const [maxChoices, setMaxChoices] = useState<string>(start?.maxChoices ?? FORM_DEFAULTS.maxChoices);
  const [scaleMin, setScaleMin] = useState<string>(start?.scaleMin ?? FORM_DEFAULTS.scaleMin);
  const [scaleMax, setScaleMax] = useState<string>(start?.scaleMax ?? FORM_DEFAULTS.scaleMax);
  const [secret, setSecret] = useState<boolean>(start?.secret ?? FORM_DEFAULTS.secret);
  const [audience, setAudience] = useState<boolean>(start?.audience ?? FORM_DEFAULTS.audience);
  const [picked, setPicked] = useState<PollSubject | null>(editing?.subject ?? null);
  const [results, setResults] = useState<ResultsVisibility>(start?.results ?? FORM_DEFAULTS.results);
  const form = useFormState(t);
  const formRef = useRef<HTMLFormElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const focusOption = useRef<number | 'add' | null>(null);
  const addRef = useRef<HTMLButtonElement>(null);
  const subject = fixedSubject ?? picked;
  // A form beside the text (a version view, a thread) is narrow: the guarantees show once asked for.
  const showGuarantees = !onCancel || secret;
  const audienceLocked = !!subject;

  useEffect(() => {
    if (focusOnOpen) headingRef.current?.focus();
    // Only when the form appears.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const f = focusOption.current;
    focusOption.current = null;
    if (f === 'add') addRef.current?.focus();
    else if (f !== null) formRef.current?.querySelector<HTMLInputElement>(`[data-option-key="${f}"]`)?.focus();
  }, [options]);

  function addOption() {
    const key = nextKey.current++;
    focusOption.current = key;
    setOptions((o) => [...o, { key, label: '' }]);
  }

  function removeOption(i: number) {
    if (options.length <= 2) return;
    focusOption.current = options[i - 1]?.key ?? options[i + 1]?.key ?? 'add';
    setOptions((o) => o.filter((_, j) => j !== i));
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (form.busy) return;
    const errs: FieldErrors = {};
    const labels = options.map((o) => o.label.trim());
    if (!question.trim()) errs.question = t('validation.required');
    if (withOptions(kind)) {
      labels.forEach((l, i) => {
        if (!l) errs[`options.${i}`] = t('validation.required');
      });
    }
    const max = Number(maxChoices);
    if (kind === 'multiple' && (!Number.isInteger(max) || max < 1 || max > labels.length)) {
      errs.max_choices = t('polls.maxChoicesInvalid', { count: labels.length });
    }
    const lo = Number(scaleMin);
    const hi = Number(scaleMax);
    if (kind === 'rating' && (!Number.isInteger(lo) || !Number.isInteger(hi) || lo >= hi || hi - lo > 10)) {
      errs.scale_max = t('polls.scaleInvalid');
    }
    if (!form.validate(errs)) return focusFirstInvalid(formRef.current);
    const sentAudience = audienceFor(subject, audience);
    const body: Record<string, unknown> = {
      question: question.trim(),
      kind,
      options: withOptions(kind) ? labels : [],
      secret,
      audience: sentAudience,
      results,
    };
    if (subject) body.subject = subject;
    else if (editing) body.subject = null;
    if (kind === 'multiple') body.max_choices = max;
    if (kind === 'rating') {
      body.scale_min = lo;
      body.scale_max = hi;
    }
    let created: Poll | null = null;
    const ok = await form.run(async () => {
      try {
        created = editing
          ? await api<Poll>('PATCH', `/polls/${encodeURIComponent(editing.id)}`, body)
          : await api<Poll>('POST', `/roundtables/${encodeURIComponent(roundtableId)}/polls`, body);
      } catch (err) {
        // The subject names nothing of this roundtable (deleted since?), or an audience poll named one.
        const said = subjectError(err, sentAudience, t);
        if (said && err instanceof ApiError)
          throw new ApiError(422, { ...err.problem, detail: said, errors: [{ field: 'subject', message: said }] }, null, said);
        throw err;
      }
    });
    if (ok && created) {
      onCreated(created);
      if (editing) return;
      // Start over: the next poll inherits no setting from this one.
      setQuestion(initial?.question ?? '');
      setOptions(fresh(initial?.options ?? ['', '']));
      setKind(FORM_DEFAULTS.kind);
      setMaxChoices(FORM_DEFAULTS.maxChoices);
      setScaleMin(FORM_DEFAULTS.scaleMin);
      setScaleMax(FORM_DEFAULTS.scaleMax);
      setSecret(FORM_DEFAULTS.secret);
      setAudience(FORM_DEFAULTS.audience);
      setResults(FORM_DEFAULTS.results);
      setPicked(null);
    } else focusFirstInvalid(formRef.current);
  }

  const fe = form.fieldErrors;
  const Heading = headingLevel === 3 ? 'h3' : 'h4';
  return (
    <form
      ref={formRef}
      onSubmit={onSubmit}
      noValidate
      className={`poll-form${onCancel ? ' poll-form--subject' : ''}`}
      aria-labelledby={headingId}
      data-testid={testId}
      onKeyDown={(e) => {
        if (onCancel && e.key === 'Escape' && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey) {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <Heading id={headingId} ref={headingRef} tabIndex={-1}>
        {heading}
      </Heading>
      {subjectNote}
      <Alert message={form.formError} />
      {picker && (
        <SubjectPicker
          roundtableId={roundtableId}
          value={picked}
          error={fe.subject}
          onChange={(s) => {
            setPicked(s);
            if (s) setAudience(false);
          }}
        />
      )}
      <TextAreaField label={t('polls.question')} rows={2} value={question} onChange={(e) => setQuestion(e.target.value)} error={fe.question} required />
      <SelectField label={t('polls.type')} value={kind} onChange={(e) => setKind(e.target.value as PollKind)} error={fe.kind}>
        {POLL_KINDS.map((k) => (
          <option key={k} value={k}>
            {t(`pollKind.${k}`)}
          </option>
        ))}
      </SelectField>
      {withOptions(kind) && (
        <fieldset className="options-editor">
          <legend>{t('polls.options')}</legend>
          {fe.options && <p className="field-error">{fe.options}</p>}
          <ol>
            {options.map((o, i) => (
              <li key={o.key} className="option-row">
                <TextField
                  data-option-key={o.key}
                  label={t('polls.optionN', { n: i + 1 })}
                  value={o.label}
                  onChange={(e) => setOptions((list) => list.map((x) => (x.key === o.key ? { ...x, label: e.target.value } : x)))}
                  error={fe[`options.${i}`]}
                />
                <button
                  type="button"
                  onClick={() => removeOption(i)}
                  aria-disabled={options.length <= 2 || undefined}
                  aria-label={t('polls.removeOptionN', { n: i + 1 })}
                >
                  {t('polls.removeOption')}
                </button>
              </li>
            ))}
          </ol>
          <button type="button" ref={addRef} onClick={addOption}>
            {t('polls.addOption')}
          </button>
        </fieldset>
      )}
      {kind === 'multiple' && (
        <TextField label={t('polls.maxChoices')} type="number" min={1} max={options.length} inputMode="numeric" value={maxChoices} onChange={(e) => setMaxChoices(e.target.value)} error={fe.max_choices} />
      )}
      {kind === 'rating' && (
        <div className="scale-fields">
          <TextField label={t('polls.scaleMin')} type="number" inputMode="numeric" value={scaleMin} onChange={(e) => setScaleMin(e.target.value)} error={fe.scale_min} />
          <TextField label={t('polls.scaleMax')} type="number" inputMode="numeric" value={scaleMax} onChange={(e) => setScaleMax(e.target.value)} error={fe.scale_max} />
        </div>
      )}
      <div className="checks">
        <label className="choice">
          <input type="checkbox" checked={secret} onChange={(e) => setSecret(e.target.checked)} aria-describedby={showGuarantees ? secretHintId : undefined} />{' '}
          <span>{t('polls.secret')}</span>
        </label>
        {showGuarantees && (
          <div id={secretHintId} className="hint secret-hint" data-testid="secret-guarantee">
            <p>{t('polls.secretGuarantees')}</p>
            <ul>
              <li>{t('polls.secretNobody')}</li>
              <li>{t('polls.secretSides', { k: minGroup })}</li>
              <li>{t('polls.secretSteps', { k: minGroup })}</li>
              <li>{t('polls.secretFinal')}</li>
            </ul>
          </div>
        )}
        <label className={`choice${audienceLocked ? ' choice--locked' : ''}`}>
          <input
            type="checkbox"
            checked={audienceLocked ? false : audience}
            // aria-disabled rather than disabled: it stays reachable by Tab, so the reason is heard.
            aria-disabled={audienceLocked || undefined}
            onClick={(e) => audienceLocked && e.preventDefault()}
            onChange={(e) => !audienceLocked && setAudience(e.target.checked)}
            aria-describedby={audienceLocked ? audienceHintId : undefined}
            data-testid="audience-box"
          />{' '}
          <span>{t('polls.audience')}</span>
        </label>
        {audienceLocked && (
          <p id={audienceHintId} className="hint" data-testid="audience-locked">
            {t('subject.audienceLocked')}
          </p>
        )}
      </div>
      <SelectField label={t('polls.resultsVisibility')} value={results} onChange={(e) => setResults(e.target.value as ResultsVisibility)} error={fe.results}>
        {RESULTS_VISIBILITY.map((r) => (
          <option key={r} value={r}>
            {t(`visibility.${r}`)}
          </option>
        ))}
      </SelectField>
      <div className="actions">
        <button type="submit" className="primary" aria-disabled={form.busy || undefined}>
          {editing ? t('polls.save') : t('polls.create')}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('subject.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
