/** Small agreement parts of the history panel: a version's "Agreed" badge and the document's open proposal. */
import { useI18n } from '../i18n';
import type { Action, Agreement } from '../types';
import { canTakePosition, openAgreementOf, progressText, versionStanding, versionTitle } from './logic';
import './agreements.css';

/** "Agreed" (a check mark and the word, not colour alone) or "Proposed for agreement" on a version of the history list. */
export function AgreementBadge({ agreements, versionId }: { agreements: readonly Agreement[]; versionId: string }) {
  const { t } = useI18n();
  const standing = versionStanding(agreements, versionId);
  if (!standing) return null;
  return (
    <p className="version-agreement">
      <span className={`agreement-badge agreement-badge--${standing}`} data-testid={standing === 'agreed' ? 'agreed-badge' : 'proposed-badge'}>
        {standing === 'agreed' && <span aria-hidden="true">✓ </span>}
        {t(`agreement.badge.${standing}`)}
      </span>
    </p>
  );
}

/** The document's open proposal, at the top of its history, with a way to the version (where positions are taken). */
export function OpenAgreementNotice({
  agreements,
  documentId,
  userId,
  actions,
  onOpen,
}: {
  agreements: readonly Agreement[] | null;
  documentId: string;
  userId: string | undefined;
  actions: readonly Action[];
  onOpen: (a: Agreement) => void;
}) {
  const { t } = useI18n();
  const open = agreements ? openAgreementOf(agreements, documentId) : undefined;
  if (!open) return null;
  const version = versionTitle({ number: open.version_number, name: open.version_name }, t);
  return (
    <div className="agreement-notice" data-testid="open-agreement">
      <p>
        <strong>{t('agreement.openNotice', { version })}</strong>
      </p>
      <p data-testid="open-agreement-progress">{progressText(open.progress, t)}</p>
      <button type="button" className={canTakePosition(open, userId, actions) ? 'primary' : undefined} onClick={() => onOpen(open)}>
        {canTakePosition(open, userId, actions) ? t('agreement.review', { version }) : t('agreement.viewOpen', { version })}
      </button>
    </div>
  );
}
