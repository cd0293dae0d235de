//! Validation of a facilitator's poll definition (the creation request body).

use super::{PollKind, ResultsVisibility};
use crate::text::{plain, Lines};
use serde::Deserialize;

/// Question length bounds, in characters after trimming.
pub const QUESTION_MAX: usize = 500;
/// Bounds on the number of options of single, multiple and ranking polls.
pub const OPTIONS_MIN: usize = 2;
pub const OPTIONS_MAX: usize = 20;
/// Option label length bound, in characters after trimming.
pub const OPTION_LABEL_MAX: usize = 200;
/// Rating scales lie within 0..=10 (a 0–10 scale is the widest in common use).
pub const SCALE_FLOOR: i64 = 0;
pub const SCALE_CEILING: i64 = 10;
/// The scale of a rating poll that names none.
pub const DEFAULT_SCALE: (i32, i32) = (1, 5);

/// A poll definition as submitted: `{question, kind, options, secret,
/// audience, results, max_choices?, scale_min?, scale_max?}`.
///
/// Numbers are wide (`i64`) so that out-of-range input reaches
/// [`validate_spec`] and gets a precise error instead of a parse failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PollSpecInput {
    pub question: String,
    /// Read as optional so that a missing kind gets the validator's own
    /// message; the schema says what is needed.
    #[cfg_attr(feature = "openapi", schema(value_type = PollKind, required = true))]
    pub kind: Option<PollKind>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub max_choices: Option<i64>,
    #[serde(default)]
    pub scale_min: Option<i64>,
    #[serde(default)]
    pub scale_max: Option<i64>,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub audience: bool,
    /// Defaults to `live`, the conference case.
    #[serde(default)]
    pub results: Option<ResultsVisibility>,
}

/// A poll definition that passed [`validate_spec`]: trimmed text, and only
/// the fields that apply to its kind are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSpec {
    pub question: String,
    pub kind: PollKind,
    /// Option labels in display order; empty for rating and text polls.
    pub options: Vec<String>,
    /// Set for (and only for) multiple-choice polls.
    pub max_choices: Option<u32>,
    /// Set for (and only for) rating polls.
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    pub secret: bool,
    pub audience: bool,
    pub results: ResultsVisibility,
}

/// Why a poll definition was refused. Option indexes are 0-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("kind is required (single, multiple, rating, ranking or text)")]
    MissingKind,
    #[error("question must not be empty")]
    EmptyQuestion,
    #[error("question is too long (at most {QUESTION_MAX} characters)")]
    QuestionTooLong,
    #[error("question must not contain control characters")]
    QuestionControlChars,
    #[error("a {kind} poll needs at least {OPTIONS_MIN} options")]
    TooFewOptions { kind: PollKind },
    #[error("a poll has at most {OPTIONS_MAX} options")]
    TooManyOptions,
    #[error("option {index} must not be empty")]
    EmptyOption { index: usize },
    #[error("option {index} is too long (at most {OPTION_LABEL_MAX} characters)")]
    OptionTooLong { index: usize },
    #[error("option {index} must not contain control characters")]
    OptionControlChars { index: usize },
    #[error("option {index} repeats option {first}")]
    DuplicateOption { index: usize, first: usize },
    #[error("a {kind} poll takes no options")]
    OptionsNotAllowed { kind: PollKind },
    #[error("max_choices must be between 1 and the number of options ({options})")]
    MaxChoicesOutOfRange { options: usize },
    #[error("max_choices applies only to multiple-choice polls")]
    MaxChoicesNotAllowed,
    #[error("the scale must satisfy {SCALE_FLOOR} <= scale_min < scale_max <= {SCALE_CEILING}")]
    ScaleOutOfRange,
    #[error("scale_min and scale_max apply only to rating polls")]
    ScaleNotAllowed,
}

impl SpecError {
    /// The request field at fault, as serde names it (`options[2]`).
    pub fn field(&self) -> String {
        match self {
            SpecError::MissingKind => "kind".into(),
            SpecError::EmptyQuestion
            | SpecError::QuestionTooLong
            | SpecError::QuestionControlChars => "question".into(),
            SpecError::EmptyOption { index }
            | SpecError::OptionTooLong { index }
            | SpecError::OptionControlChars { index }
            | SpecError::DuplicateOption { index, .. } => format!("options[{index}]"),
            SpecError::TooFewOptions { .. }
            | SpecError::TooManyOptions
            | SpecError::OptionsNotAllowed { .. } => "options".into(),
            SpecError::MaxChoicesOutOfRange { .. } | SpecError::MaxChoicesNotAllowed => {
                "max_choices".into()
            }
            SpecError::ScaleOutOfRange | SpecError::ScaleNotAllowed => "scale_min".into(),
        }
    }
}

/// Trims and checks one piece of display text against a length bound.
fn text(raw: &str, max: usize) -> Result<String, TextFault> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(TextFault::Empty);
    }
    if t.chars().count() > max {
        return Err(TextFault::TooLong);
    }
    // A line break is refused as a control character: the messages predate the shared rule.
    Ok(plain(t, Lines::One)
        .map_err(|_| TextFault::Control)?
        .into_owned())
}

enum TextFault {
    Empty,
    TooLong,
    Control,
}

/// Validates and normalises a poll definition.
///
/// Options are compared case-insensitively after trimming when checking that
/// they are distinct: "Pilot" and "pilot " on one ballot would split the vote.
/// Fields that do not apply to the kind are refused rather than ignored, so a
/// client bug (e.g. a scale sent with a ranking poll) surfaces at once.
pub fn validate_spec(input: &PollSpecInput) -> Result<PollSpec, SpecError> {
    let kind = input.kind.ok_or(SpecError::MissingKind)?;
    let question = text(&input.question, QUESTION_MAX).map_err(|f| match f {
        TextFault::Empty => SpecError::EmptyQuestion,
        TextFault::TooLong => SpecError::QuestionTooLong,
        TextFault::Control => SpecError::QuestionControlChars,
    })?;

    let mut options = Vec::new();
    if kind.has_options() {
        if input.options.len() < OPTIONS_MIN {
            return Err(SpecError::TooFewOptions { kind });
        }
        if input.options.len() > OPTIONS_MAX {
            return Err(SpecError::TooManyOptions);
        }
        let mut folded: Vec<String> = Vec::with_capacity(input.options.len());
        for (index, raw) in input.options.iter().enumerate() {
            let label = text(raw, OPTION_LABEL_MAX).map_err(|f| match f {
                TextFault::Empty => SpecError::EmptyOption { index },
                TextFault::TooLong => SpecError::OptionTooLong { index },
                TextFault::Control => SpecError::OptionControlChars { index },
            })?;
            let key = label.to_lowercase();
            if let Some(first) = folded.iter().position(|k| *k == key) {
                return Err(SpecError::DuplicateOption { index, first });
            }
            folded.push(key);
            options.push(label);
        }
    } else if !input.options.is_empty() {
        return Err(SpecError::OptionsNotAllowed { kind });
    }

    let max_choices = match (kind, input.max_choices) {
        (PollKind::Multiple, None) => Some(options.len() as u32),
        (PollKind::Multiple, Some(m)) => {
            if m < 1 || m > options.len() as i64 {
                return Err(SpecError::MaxChoicesOutOfRange {
                    options: options.len(),
                });
            }
            Some(m as u32)
        }
        (_, None) => None,
        (_, Some(_)) => return Err(SpecError::MaxChoicesNotAllowed),
    };

    let (scale_min, scale_max) = if kind == PollKind::Rating {
        let min = input.scale_min.unwrap_or(i64::from(DEFAULT_SCALE.0));
        let max = input.scale_max.unwrap_or(i64::from(DEFAULT_SCALE.1));
        if !(SCALE_FLOOR <= min && min < max && max <= SCALE_CEILING) {
            return Err(SpecError::ScaleOutOfRange);
        }
        // Both lie within 0..=10 here, so the narrowing cannot fail.
        (i32::try_from(min).ok(), i32::try_from(max).ok())
    } else {
        if input.scale_min.is_some() || input.scale_max.is_some() {
            return Err(SpecError::ScaleNotAllowed);
        }
        (None, None)
    };

    Ok(PollSpec {
        question,
        kind,
        options,
        max_choices,
        scale_min,
        scale_max,
        secret: input.secret,
        audience: input.audience,
        results: input.results.unwrap_or(ResultsVisibility::Live),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(kind: PollKind, options: &[&str]) -> PollSpecInput {
        PollSpecInput {
            question: "  Where is your organisation?  ".into(),
            kind: Some(kind),
            options: options.iter().map(|s| s.to_string()).collect(),
            ..PollSpecInput::default()
        }
    }

    #[test]
    fn single_choice_is_normalised() {
        let spec = validate_spec(&input(PollKind::Single, &[" Pilot ", "Embedded"])).unwrap();
        assert_eq!(spec.question, "Where is your organisation?");
        assert_eq!(spec.options, ["Pilot", "Embedded"]);
        assert_eq!(spec.max_choices, None);
        assert_eq!((spec.scale_min, spec.scale_max), (None, None));
        assert_eq!(spec.results, ResultsVisibility::Live);
    }

    #[test]
    fn question_bounds() {
        let mut i = input(PollKind::Text, &[]);
        i.question = "   ".into();
        assert_eq!(validate_spec(&i), Err(SpecError::EmptyQuestion));
        i.question = "q".repeat(501);
        assert_eq!(validate_spec(&i), Err(SpecError::QuestionTooLong));
        i.question = "ø".repeat(500);
        assert!(validate_spec(&i).is_ok());
        i.question = "a\nb".into();
        assert_eq!(validate_spec(&i), Err(SpecError::QuestionControlChars));
        i.question = "a\u{0}b".into();
        assert_eq!(validate_spec(&i), Err(SpecError::QuestionControlChars));
        assert_eq!(SpecError::QuestionControlChars.field(), "question");
        i.kind = None;
        assert_eq!(validate_spec(&i), Err(SpecError::MissingKind));
    }

    #[test]
    fn option_rules() {
        use PollKind::*;
        assert_eq!(
            validate_spec(&input(Single, &["only"])),
            Err(SpecError::TooFewOptions { kind: Single })
        );
        let many: Vec<String> = (0..21).map(|i| format!("o{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            validate_spec(&input(Ranking, &refs)),
            Err(SpecError::TooManyOptions)
        );
        assert!(validate_spec(&input(Ranking, &refs[..20])).is_ok());
        assert_eq!(
            validate_spec(&input(Single, &["a", " "])),
            Err(SpecError::EmptyOption { index: 1 })
        );
        let long = "x".repeat(201);
        assert_eq!(
            validate_spec(&input(Single, &["a", &long])),
            Err(SpecError::OptionTooLong { index: 1 })
        );
        assert_eq!(
            validate_spec(&input(Single, &["a", "b\u{7}"])),
            Err(SpecError::OptionControlChars { index: 1 })
        );
        assert_eq!(
            validate_spec(&input(Multiple, &["Pilot", "b", " pilot"])),
            Err(SpecError::DuplicateOption { index: 2, first: 0 })
        );
        assert_eq!(
            validate_spec(&input(Rating, &["a", "b"])),
            Err(SpecError::OptionsNotAllowed { kind: Rating })
        );
        assert_eq!(
            validate_spec(&input(Text, &["a", "b"])),
            Err(SpecError::OptionsNotAllowed { kind: Text })
        );
    }

    #[test]
    fn max_choices_rules() {
        let mut i = input(PollKind::Multiple, &["a", "b", "c"]);
        assert_eq!(validate_spec(&i).unwrap().max_choices, Some(3));
        i.max_choices = Some(2);
        assert_eq!(validate_spec(&i).unwrap().max_choices, Some(2));
        for bad in [0, 4, -1, i64::MAX] {
            i.max_choices = Some(bad);
            assert_eq!(
                validate_spec(&i),
                Err(SpecError::MaxChoicesOutOfRange { options: 3 })
            );
        }
        let mut s = input(PollKind::Single, &["a", "b"]);
        s.max_choices = Some(1);
        assert_eq!(validate_spec(&s), Err(SpecError::MaxChoicesNotAllowed));
    }

    #[test]
    fn scale_rules() {
        let mut i = input(PollKind::Rating, &[]);
        let spec = validate_spec(&i).unwrap();
        assert_eq!((spec.scale_min, spec.scale_max), (Some(1), Some(5)));
        i.scale_min = Some(0);
        i.scale_max = Some(10);
        let spec = validate_spec(&i).unwrap();
        assert_eq!((spec.scale_min, spec.scale_max), (Some(0), Some(10)));
        for (min, max) in [(5, 5), (6, 5), (-1, 5), (0, 11), (i64::MIN, i64::MAX)] {
            i.scale_min = Some(min);
            i.scale_max = Some(max);
            assert_eq!(
                validate_spec(&i),
                Err(SpecError::ScaleOutOfRange),
                "{min}..{max}"
            );
        }
        let mut s = input(PollKind::Single, &["a", "b"]);
        s.scale_max = Some(5);
        assert_eq!(validate_spec(&s), Err(SpecError::ScaleNotAllowed));
    }

    #[test]
    fn flags_pass_through() {
        let mut i = input(PollKind::Text, &[]);
        i.secret = true;
        i.audience = true;
        i.results = Some(ResultsVisibility::OnClose);
        let spec = validate_spec(&i).unwrap();
        assert!(spec.secret && spec.audience);
        assert_eq!(spec.results, ResultsVisibility::OnClose);
    }
}
