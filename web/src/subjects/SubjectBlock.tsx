/**
 * What a poll decides, shown above its options and its results: for a version, "Decides:
 * Programme v1 “Final draft” · 3f9a2c1b7e04" with a link to that version in the document page and
 * its text folded below; for a passage, the quoted passage (marked when it is no longer in the
 * text) with a link to the document. The audience page never draws this: its polls have no subject.
 */
import { Fragment, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Link } from '../router';
import type { PollSubject, Version } from '../types';
import { shortHash, versionTitle } from '../agreements/logic';
import { shortQuote } from '../comments/threads';
import { passageHref, templateParts, versionHref, versionSubjectTitle } from './logic';
import { useSubject, type SubjectInfo } from './useSubject';
import './subjects.css';

/** `template` with each `{name}` replaced by `parts[name]` (a link, a code span). */
function fill(template: string, parts: Record<string, ReactNode>): ReactNode[] {
  return templateParts(template).map((p, i) => <Fragment key={i}>{'text' in p ? p.text : parts[p.name]}</Fragment>);
}

export function SubjectBlock({
  subject,
  showText = true,
  big = false,
}: {
  subject: PollSubject | null | undefined;
  /** Whether a version's text may be unfolded (not on the projector). */
  showText?: boolean;
  big?: boolean;
}) {
  const { t } = useI18n();
  const { info, failed } = useSubject(subject);
  if (!subject) return null;
  const kind = 'version_id' in subject ? 'version' : 'passage';
  return (
    <div className={`poll-subject poll-subject--${kind}${big ? ' poll-subject--big' : ''}`} data-testid="poll-subject" data-kind={kind}>
      {failed ? (
        <p className="poll-subject__label">{t('subject.loadFailed')}</p>
      ) : !info ? (
        <p className="poll-subject__label muted">{t('subject.loading')}</p>
      ) : info.kind === 'version' ? (
        <VersionSubject info={info} showText={showText} />
      ) : (
        <PassageSubject info={info} />
      )}
    </div>
  );
}

/**
 * "Decides: Programme v1 “Final draft” · 3f9a2c1b7e04", the title a link to the version (not in
 * the form that asks for a vote on the version already open).
 */
export function VersionSubjectLabel({
  documentTitle,
  version: v,
  link = true,
}: {
  documentTitle: string;
  version: Pick<Version, 'id' | 'document_id' | 'number' | 'name' | 'sha256'>;
  link?: boolean;
}) {
  const { t } = useI18n();
  const title = versionSubjectTitle(documentTitle, v, t);
  return (
    <p className="poll-subject__label" data-testid="poll-subject-label">
      {fill(t('subject.decidesVersion'), {
        title: link ? (
          <Link to={versionHref(v.document_id, v.id)} className="poll-subject__link" data-testid="poll-subject-link">
            {title}
          </Link>
        ) : (
          title
        ),
        hash: <code className="poll-subject__hash">{shortHash(v.sha256)}</code>,
      })}
    </p>
  );
}

function VersionSubject({ info, showText }: { info: Extract<SubjectInfo, { kind: 'version' }>; showText: boolean }) {
  const { t } = useI18n();
  const v = info.version;
  const title = versionSubjectTitle(info.documentTitle, v, t);
  return (
    <>
      <VersionSubjectLabel documentTitle={info.documentTitle} version={v} />
      {showText && (
        <details className="poll-subject__text">
          <summary>{t('subject.showText', { version: versionTitle(v, t) })}</summary>
          {/* The server renders this HTML from the document tree and escapes every text in it (as in
              the version view): that, and only that, makes dangerouslySetInnerHTML safe here. */}
          <div
            className="version-text poll-subject__body"
            role="region"
            tabIndex={0}
            aria-label={t('subject.textOf', { title })}
            data-testid="poll-subject-text"
            dangerouslySetInnerHTML={{ __html: v.html }}
          />
        </details>
      )}
    </>
  );
}

function PassageSubject({ info }: { info: Extract<SubjectInfo, { kind: 'passage' }> }) {
  const { t } = useI18n();
  return (
    <>
      <p className="poll-subject__label" data-testid="poll-subject-label">
        {fill(t('subject.decidesPassage'), {
          document: (
            <Link to={passageHref(info.documentId, info.commentId)} className="poll-subject__link" data-testid="poll-subject-link">
              {info.documentTitle}
            </Link>
          ),
        })}
      </p>
      {info.quote === null ? (
        <p className="muted">{t('subject.passageGone')}</p>
      ) : (
        <>
          <blockquote className={`poll-subject__quote${info.orphaned ? ' poll-subject__quote--gone' : ''}`} data-testid="poll-subject-quote">
            {shortQuote(info.quote, 600)}
          </blockquote>
          {info.orphaned && (
            <p className="hint" data-testid="poll-subject-orphaned">
              {t('subject.orphaned')}
            </p>
          )}
        </>
      )}
    </>
  );
}
