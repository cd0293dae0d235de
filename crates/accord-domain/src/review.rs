//! The rules of review: what a version's name and note, and a comment's
//! body, may hold.

use crate::text::{plain, Lines, TextError};

pub const VERSION_NAME_MAX: usize = 200;
pub const VERSION_NOTE_MAX: usize = 2_000;
pub const COMMENT_MAX: usize = 4_000;

/// A version's name: one line, trimmed, 1..=200 characters.
pub fn version_name(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty");
    }
    if t.chars().count() > VERSION_NAME_MAX {
        return Err("is too long (at most 200 characters)");
    }
    Ok(plain(t, Lines::One)
        .map_err(TextError::message)?
        .into_owned())
}

/// A version's note: several lines, at most 2,000 characters; blank means none.
pub fn version_note(raw: &str) -> Result<Option<String>, &'static str> {
    let n = plain(raw.trim(), Lines::Many).map_err(TextError::message)?;
    if n.chars().count() > VERSION_NOTE_MAX {
        return Err("is too long (at most 2000 characters)");
    }
    Ok((!n.is_empty()).then(|| n.into_owned()))
}

/// A comment or reply: plain text with line breaks, 1..=4,000 characters.
pub fn comment_body(raw: &str) -> Result<String, &'static str> {
    let b = plain(raw.trim(), Lines::Many).map_err(TextError::message)?;
    if b.is_empty() {
        return Err("must not be empty");
    }
    if b.chars().count() > COMMENT_MAX {
        return Err("is too long (at most 4000 characters)");
    }
    Ok(b.into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_keeps_its_line_breaks_and_refuses_control_characters() {
        assert_eq!(
            comment_body(" line one\r\nline two ").unwrap(),
            "line one\nline two"
        );
        assert!(comment_body("bell\u{7}").is_err());
        assert!(comment_body("   ").is_err());
        assert!(comment_body(&"x".repeat(COMMENT_MAX)).is_ok());
        assert!(comment_body(&"x".repeat(COMMENT_MAX + 1)).is_err());
    }

    #[test]
    fn a_version_name_is_one_line_and_a_blank_note_is_none() {
        assert_eq!(
            version_name("  Draft for the union  ").unwrap(),
            "Draft for the union"
        );
        assert!(version_name("two\nlines").is_err());
        assert!(version_name("").is_err());
        assert_eq!(version_note("  ").unwrap(), None);
        assert_eq!(version_note("a\nb").unwrap().as_deref(), Some("a\nb"));
    }
}
