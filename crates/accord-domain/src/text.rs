//! The one rule for control characters in text that users type.
//!
//! Every text field that is stored or shown to others passes through
//! [`plain`]: titles, descriptions, names, organisations, poll questions and
//! options, open-text answers, Q&A questions. Control characters have no
//! business in any of them, and some do harm: PostgreSQL refuses NUL in a
//! `text` column (so SQLite stored what PostgreSQL could not), ESC starts a
//! terminal escape sequence in whoever reads a log or an export, BEL and
//! backspace hide or rewrite what a reader sees.
//!
//! Multi-line fields keep tab and newline, the two a person types. A CR is
//! accepted only as part of CRLF, which is turned into LF: a browser's
//! `textarea.value` already uses LF, but text pasted from Windows or sent by
//! scripts there arrives as CRLF, and refusing it would only make such
//! clients strip it themselves. Normalising keeps one newline convention in
//! the store, so Markdown, HTML and CSV renderings do not depend on who
//! typed. A lone CR is refused: no one types it, and in a terminal it
//! rewinds the line, so it can make a line read as something else.
//!
//! One-line fields (titles, names, poll options, open-text answers) refuse
//! every line break and tab as well: they are shown on one line, in lists,
//! CSV cells and page titles, where a tab or newline is a paste accident at
//! best and a way to forge a second line at worst.

use std::borrow::Cow;

/// How many lines a field may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not contain control characters")]
    Control(char),
    #[error("must be a single line")]
    LineBreak,
}

impl TextError {
    /// The message, completing "<field> …", for validators whose errors are
    /// static text.
    pub fn message(self) -> &'static str {
        match self {
            TextError::Control(_) => "must not contain control characters",
            TextError::LineBreak => "must be a single line",
        }
    }
}

/// Line breaks other than the C0/C1 controls; refused in one-line fields only.
fn is_unicode_line_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Checks `raw` against the rule; returns it unchanged, or with CRLF turned
/// into LF in a multi-line field. Does not trim: callers trim first, since
/// which whitespace is significant is theirs to say.
pub fn plain(raw: &str, lines: Lines) -> Result<Cow<'_, str>, TextError> {
    let mut crlf = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match (lines, c) {
            (Lines::One, '\n' | '\r' | '\u{85}') => return Err(TextError::LineBreak),
            (Lines::One, c) if is_unicode_line_break(c) => return Err(TextError::LineBreak),
            (Lines::Many, '\n' | '\t') => {}
            (Lines::Many, '\r') if chars.peek() == Some(&'\n') => crlf = true,
            (_, c) if c.is_control() => return Err(TextError::Control(c)),
            _ => {}
        }
    }
    Ok(if crlf {
        Cow::Owned(raw.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(raw)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordinary_text_passes_unchanged() {
        for s in [
            "",
            "Ligestilling på arbejdspladsen",
            "3F · ETNO",
            "🙂 naïve",
            "a\u{200D}b",
        ] {
            assert!(matches!(plain(s, Lines::One), Ok(Cow::Borrowed(t)) if t == s));
            assert!(matches!(plain(s, Lines::Many), Ok(Cow::Borrowed(t)) if t == s));
        }
    }

    #[test]
    fn controls_are_refused_everywhere() {
        for c in [
            '\0', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{9b}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(plain(&s, Lines::One), Err(TextError::Control(c)), "{c:?}");
            assert_eq!(plain(&s, Lines::Many), Err(TextError::Control(c)), "{c:?}");
        }
        assert_eq!(
            TextError::Control('\0').to_string(),
            TextError::Control('\0').message()
        );
    }

    #[test]
    fn many_lines_keep_tab_and_newline_and_fold_crlf() {
        assert_eq!(plain("a\n\tb", Lines::Many).unwrap(), "a\n\tb");
        let folded = plain("one\r\ntwo\r\n", Lines::Many).unwrap();
        assert!(matches!(folded, Cow::Owned(_)));
        assert_eq!(folded, "one\ntwo\n");
        assert_eq!(plain("a\rb", Lines::Many), Err(TextError::Control('\r')));
        assert_eq!(plain("a\r", Lines::Many), Err(TextError::Control('\r')));
        assert_eq!(plain("a\r\rb", Lines::Many), Err(TextError::Control('\r')));
        assert_eq!(
            plain("a\u{85}b", Lines::Many),
            Err(TextError::Control('\u{85}'))
        );
        assert_eq!(plain("a\u{2028}b", Lines::Many).unwrap(), "a\u{2028}b");
    }

    #[test]
    fn one_line_refuses_every_break_and_tab() {
        for s in [
            "a\nb",
            "a\r\nb",
            "a\rb",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{2029}b",
        ] {
            assert_eq!(plain(s, Lines::One), Err(TextError::LineBreak), "{s:?}");
        }
        assert_eq!(plain("a\tb", Lines::One), Err(TextError::Control('\t')));
    }

    const BREAKS: [char; 5] = ['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'];

    fn any_text() -> impl Strategy<Value = String> {
        // Mostly ordinary characters, with controls and line breaks mixed in.
        prop::collection::vec(
            prop_oneof![
                6 => any::<char>(),
                2 => prop::sample::select(vec!['\n', '\r', '\t', '\0', '\u{1b}', '\u{7}', '\u{85}', '\u{2028}']),
            ],
            0..40,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        /// What passes holds no control character but tab and LF (and those
        /// only in multi-line fields), and differs from the input at most by
        /// CRLF → LF; what is refused held a character the rule forbids.
        #[test]
        fn accepted_text_is_clean_and_refusals_are_explained(s in any_text()) {
            for lines in [Lines::One, Lines::Many] {
                match plain(&s, lines) {
                    Ok(out) => {
                        prop_assert_eq!(out.as_ref(), s.replace("\r\n", "\n"));
                        for c in out.chars() {
                            let allowed = lines == Lines::Many && (c == '\n' || c == '\t');
                            prop_assert!(!c.is_control() || allowed, "{:?} kept", c);
                            prop_assert!(lines == Lines::Many || !is_unicode_line_break(c));
                        }
                    }
                    Err(TextError::Control(c)) => {
                        prop_assert!(c.is_control());
                        prop_assert!(s.contains(c));
                    }
                    Err(TextError::LineBreak) => {
                        prop_assert_eq!(lines, Lines::One);
                        prop_assert!(s.contains(BREAKS), "no break in {:?}", s);
                    }
                }
            }
        }

        /// A one-line field accepts exactly what a multi-line field accepts
        /// without any break or tab.
        #[test]
        fn one_line_is_many_without_breaks(s in any_text()) {
            let breaks = s.contains(BREAKS) || s.contains('\t');
            prop_assert_eq!(plain(&s, Lines::One).is_ok(), !breaks && plain(&s, Lines::Many).is_ok());
        }
    }
}
