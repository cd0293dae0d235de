//! Account rules: email normalisation, password policy, display names.

use crate::text::{plain, Lines, TextError};

/// Minimum password length in characters (NIST SP 800-63B suggests ≥ 8; we ask 10).
pub const PASSWORD_MIN: usize = 10;
/// Upper bound so a hostile client cannot make argon2 hash megabytes.
pub const PASSWORD_MAX: usize = 256;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;

/// Passwords of at least [`PASSWORD_MIN`] characters that appear near the top
/// of public breach-frequency lists. Compared case-insensitively.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "0987654321",
    "12345678910",
    "123456789a",
    "1234567890a",
    "a123456789",
    "qwertyuiop",
    "qwertyuiop1",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "password12",
    "password123",
    "password1234",
    "password1!",
    "password!1",
    "passw0rd123",
    "p@ssw0rd123",
    "p@ssword123",
    "iloveyou12",
    "iloveyou123",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "qwertyuiop123",
    "asdfghjkl1",
    "asdfghjkl123",
    "abcdefghij",
    "abcdefghijk",
    "abc1234567",
    "abcd123456",
    "abcde12345",
    "1111111111",
    "0000000000",
    "2222222222",
    "5555555555",
    "7777777777",
    "9999999999",
    "1212121212",
    "1122334455",
    "1234512345",
    "1234554321",
    "12345qwert",
    "123qweasdzxc",
    "welcome123",
    "welcome1234",
    "letmein123",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "changeme123",
    "administrator",
    "admin12345",
    "admin123456",
    "trustno1234",
    "starwars123",
    "superman123",
    "dragon1234",
    "monkey1234",
    "michael123",
    "jennifer123",
    "computer123",
    "internet123",
    "whatever123",
    "mypassword",
    "mypassword1",
    "mypassword123",
    "passwordpassword",
    "secret1234",
    "qazwsxedcrfv",
    "zxcvbnm123",
    "zxcvbnm1234",
    "1q2w3e4r5t6y7u",
    "password2024",
    "password2025",
    "password2026",
    "summer2024!",
    "winter2024!",
    "liverpool1",
    "chelsea123",
    "arsenal123",
    "manchester",
    "basketball",
    "basketball1",
    "chocolate1",
    "butterfly1",
    "sunflower1",
    "elizabeth1",
    "christopher",
    "jordan2323",
    "pokemon123",
    "minecraft1",
    "minecraft123",
    "adgjmptw123",
    "kodeord123",
    "adgangskode",
    "adgangskode1",
    "hejmeddig1",
    "sommer2024",
];

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least 10 characters")]
    TooShort,
    #[error("must be at most 256 characters")]
    TooLong,
    #[error("is one of the most common passwords; choose another")]
    Common,
}

/// Checks a new password against the policy.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(PasswordError::TooShort);
    }
    if n > PASSWORD_MAX {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(PasswordError::Common);
    }
    // One repeated character (e.g. "aaaaaaaaaa") is as weak as any list entry.
    let mut chars = lower.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err(PasswordError::Common);
        }
    }
    Ok(())
}

/// Normalises an email address for storage and comparison: trimmed and
/// lower-cased, so lookups are case-insensitive. Returns `None` when it is
/// not plausibly an address.
pub fn normalise_email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    if e.len() > EMAIL_MAX || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = e.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.starts_with('.') || domain.ends_with('.') {
        return None;
    }
    Some(e)
}

/// Validates a display name (trimmed, 1..=DISPLAY_NAME_MAX characters).
pub fn display_name(raw: &str) -> Result<String, &'static str> {
    let d = raw.trim();
    if d.is_empty() {
        return Err("must not be empty");
    }
    if d.chars().count() > DISPLAY_NAME_MAX {
        return Err("is too long (at most 100 characters)");
    }
    Ok(plain(d, Lines::One)
        .map_err(TextError::message)?
        .into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert_eq!(check_password("short"), Err(PasswordError::TooShort));
        assert_eq!(check_password("123456789"), Err(PasswordError::TooShort));
        assert_eq!(check_password("1234567890"), Err(PasswordError::Common));
        assert_eq!(check_password("Password123"), Err(PasswordError::Common));
        assert_eq!(check_password("zzzzzzzzzzzz"), Err(PasswordError::Common));
        assert_eq!(
            check_password(&"ab".repeat(200)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(check_password("correct horse battery"), Ok(()));
        // Length counts characters, not bytes.
        assert_eq!(check_password("æøåæøå"), Err(PasswordError::TooShort));
    }

    #[test]
    fn common_list_entries_are_long_enough_to_matter() {
        for p in COMMON_PASSWORDS {
            assert!(
                p.chars().count() >= PASSWORD_MIN,
                "{p} can never be chosen anyway"
            );
            assert_eq!(*p, p.to_lowercase(), "{p} must be lower case");
        }
    }

    #[test]
    fn emails_compare_case_insensitively() {
        assert_eq!(
            normalise_email(" Ann@Example.ORG "),
            Some("ann@example.org".into())
        );
        assert_eq!(normalise_email("nobody"), None);
        assert_eq!(normalise_email("@x.org"), None);
        assert_eq!(normalise_email("a@"), None);
        assert_eq!(normalise_email("a b@x.org"), None);
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name(" Mette "), Ok("Mette".into()));
        assert!(display_name("").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
        assert!(display_name("Ann\u{7}").is_err());
        assert!(display_name("Ann\nBob").is_err());
    }
}
