import { describe, expect, it } from 'vitest';
import { ApiError, CURRENT, diffPath, errorMessage, safeNext, versionMarkdownUrl } from './api';
import { translate } from './i18n';

const t = (k: string, v?: Record<string, string | number>) => translate('en', k, v);

describe('api helpers', () => {
  it('safeNext only allows local paths', () => {
    expect(safeNext('/invite/abc')).toBe('/invite/abc');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });

  it('errorMessage prefers problem detail, then title', () => {
    expect(errorMessage(new ApiError(400, { title: 'Bad', detail: 'Title is required' }), t)).toBe('Title is required');
    expect(errorMessage(new ApiError(401, { title: 'Unauthorized' }), t)).toBe('Unauthorized');
    expect(errorMessage(new ApiError(500, null), t)).toBe(t('common.error'));
    expect(errorMessage(new ApiError(0, null), t)).toBe(t('common.network'));
    expect(errorMessage(new ApiError(429, { title: 'x' }, '30'), t)).toBe('Too many attempts. Try again in 30 seconds.');
  });

  it('fieldErrors maps problem errors by field', () => {
    const e = new ApiError(422, { errors: [{ field: 'password', message: 'too short' }] });
    expect(e.fieldErrors()).toEqual({ password: 'too short' });
  });
});

describe('review paths', () => {
  it('builds diff paths with escaped ids, current as a version', () => {
    expect(diffPath('d 1', 'v/1', CURRENT)).toBe('/documents/d%201/diff?from=v%2F1&to=current');
    expect(diffPath('d1', 'a', 'b', 'html')).toBe('/documents/d1/diff.html?from=a&to=b');
    expect(versionMarkdownUrl('v1')).toBe('/api/v1/versions/v1/markdown');
  });
});
