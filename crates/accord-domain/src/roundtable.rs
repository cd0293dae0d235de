//! Roundtables: themes, the sides of social dialogue and participants' roles.

use crate::text::{plain, Lines, TextError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Error returned when a stored or submitted value names no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}: {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable wire and storage name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { kind: $kind, value: s.to_owned() }),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// The side a participant speaks for. Fixed when they join.
    Side, "side", {
        Employer => "employer",
        Union => "union",
        Neutral => "neutral",
    }
);

string_enum!(
    /// What a participant may do within a roundtable.
    Role, "role", {
        Facilitator => "facilitator",
        Member => "member",
        Observer => "observer",
    }
);

string_enum!(
    /// Themes from the DUFA report, plus `Other`.
    Theme, "theme", {
        GenderDiversity => "gender_diversity",
        AgeingWorkforce => "ageing_workforce",
        TechnologicalUpskilling => "technological_upskilling",
        EthnicityAndRefugees => "ethnicity_and_refugees",
        DisabilityAndNeurodiversity => "disability_and_neurodiversity",
        Lgbtq => "lgbtq",
        Other => "other",
    }
);

/// Limits on roundtable text fields, in characters.
pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const ORGANISATION_MAX: usize = 200;

/// Validates and normalises a roundtable title (trimmed, 1..=TITLE_MAX chars).
pub fn title(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty");
    }
    if t.chars().count() > TITLE_MAX {
        return Err("is too long (at most 200 characters)");
    }
    Ok(plain(t, Lines::One)
        .map_err(TextError::message)?
        .into_owned())
}

/// Validates a description (may be empty, at most DESCRIPTION_MAX chars,
/// several lines).
pub fn description(raw: &str) -> Result<String, &'static str> {
    let d = plain(raw.trim(), Lines::Many).map_err(TextError::message)?;
    if d.chars().count() > DESCRIPTION_MAX {
        return Err("is too long (at most 5000 characters)");
    }
    Ok(d.into_owned())
}

/// Validates the organisation a participant represents (1..=ORGANISATION_MAX chars).
pub fn organisation(raw: &str) -> Result<String, &'static str> {
    let o = raw.trim();
    if o.is_empty() {
        return Err("must not be empty");
    }
    if o.chars().count() > ORGANISATION_MAX {
        return Err("is too long (at most 200 characters)");
    }
    Ok(plain(o, Lines::One)
        .map_err(TextError::message)?
        .into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Side::ALL {
            assert_eq!(s.as_str().parse::<Side>(), Ok(*s));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
        }
        for t in Theme::ALL {
            assert_eq!(t.as_str().parse::<Theme>(), Ok(*t));
        }
        assert!("Employer".parse::<Side>().is_err());
    }

    #[test]
    fn serde_uses_wire_names() {
        assert_eq!(
            serde_json_like(Theme::EthnicityAndRefugees),
            "ethnicity_and_refugees"
        );
        assert_eq!(serde_json_like(Side::Union), "union");
    }

    fn serde_json_like<T: fmt::Display>(v: T) -> String {
        v.to_string()
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  Gender  "), Ok("Gender".into()));
        assert!(title("   ").is_err());
        assert!(title(&"x".repeat(201)).is_err());
        assert!(title(&"æ".repeat(200)).is_ok());
        assert!(title("a\u{0}b").is_err());
        assert!(title("a\nb").is_err());
    }

    #[test]
    fn descriptions_keep_lines_but_not_controls() {
        assert_eq!(description(" a\r\n\tb "), Ok("a\n\tb".into()));
        assert!(description("a\u{0}b").is_err());
        assert!(description("a\u{1b}[2Jb").is_err());
    }

    #[test]
    fn organisation_required() {
        assert!(organisation("").is_err());
        assert_eq!(organisation(" 3F "), Ok("3F".into()));
    }
}
