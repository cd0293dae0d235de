import { useState } from 'react';
import { ApiError, errorMessage } from './api';
import type { TFunction } from './i18n';

export type FieldErrors = Record<string, string>;

export function isEmail(v: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(v.trim());
}

/** Common state for a form that posts to the API. */
export function useFormState(t: TFunction) {
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  /** Runs `action`; on failure shows the problem detail and any field errors. Returns true on success. */
  async function run(action: () => Promise<void>): Promise<boolean> {
    setBusy(true);
    setFormError(null);
    try {
      await action();
      setFieldErrors({});
      return true;
    } catch (err) {
      const fields = err instanceof ApiError ? err.fieldErrors() : {};
      setFieldErrors(fields);
      setFormError(errorMessage(err, t));
      return false;
    } finally {
      setBusy(false);
    }
  }

  /** Sets client-side validation errors; returns true when there are none. */
  function validate(errors: FieldErrors): boolean {
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) {
      setFormError(t('common.fixErrors'));
      return false;
    }
    setFormError(null);
    return true;
  }

  return { formError, fieldErrors, busy, run, validate, setFormError };
}
