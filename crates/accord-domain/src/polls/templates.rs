//! Ready-made polls drawn from the DUFA report, in English and Danish.
//!
//! The wording follows the report (seed/dufa-report-da.txt) so that a
//! conference can rerun the Lisbon vote and compare: 54% of organisations
//! were in the "analyse and plan" stage, from 28 votes.

use super::spec::{validate_spec, PollSpec, PollSpecInput, SpecError};
use super::{Lang, PollKind, ResultsVisibility};

/// A text in both languages Accord ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Localized {
    pub en: &'static str,
    pub da: &'static str,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Da => self.da,
        }
    }
}

/// A poll a facilitator can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollTemplate {
    /// Stable identifier, e.g. for `?template=maturity`.
    pub key: &'static str,
    pub kind: PollKind,
    pub question: Localized,
    pub options: &'static [Localized],
    pub max_choices: Option<u32>,
    /// Rating polls only; `None` takes the default 1–5 scale.
    pub scale: Option<(i32, i32)>,
}

const fn l(en: &'static str, da: &'static str) -> Localized {
    Localized { en, da }
}

/// Every template, the Lisbon maturity question first.
pub const TEMPLATES: &[PollTemplate] = &[
    PollTemplate {
        key: "maturity",
        kind: PollKind::Single,
        question: l(
            "Where is your organisation in digital upskilling?",
            "Hvor er jeres organisation i den digitale opkvalificering?",
        ),
        options: &[
            l("Not started", "Ikke startet"),
            l("Analyse and plan", "Analyserer og planlægger"),
            l("Pilot", "Pilot"),
            l("Scaling up", "Skalerer op"),
            l("Embedded", "Forankret"),
        ],
        max_choices: None,
        scale: None,
    },
    PollTemplate {
        key: "sourcing",
        kind: PollKind::Single,
        question: l(
            "How does your organisation mainly source upskilling?",
            "Hvordan skaffer jeres organisation primært opkvalificering?",
        ),
        options: &[
            l("Build internally", "Udvikler internt"),
            l("Buy on the market", "Køber på markedet"),
            l("Partner with other stakeholders", "Partnerskab med andre interessenter"),
            l(
                "Consortia, freelancers or crowdsourcing",
                "Konsortier, freelancere eller crowdsourcing",
            ),
        ],
        max_choices: None,
        scale: None,
    },
    PollTemplate {
        key: "obstacles",
        kind: PollKind::Multiple,
        question: l(
            "What are the biggest obstacles to upskilling? (choose up to two)",
            "Hvad er de største forhindringer for opkvalificering? (vælg op til to)",
        ),
        options: &[
            l("Time and budget", "Tid og budget"),
            l(
                "Identifying skill gaps quantitatively",
                "At identificere færdighedsmangler kvantitativt",
            ),
            l(
                "Long planning for diverse needs",
                "Lang planlægning for forskellige behov",
            ),
            l("Unions involved too late", "Fagforeninger inddrages for sent"),
        ],
        max_choices: Some(2),
        scale: None,
    },
    PollTemplate {
        key: "union_involvement",
        kind: PollKind::Rating,
        question: l(
            "How involved are worker representatives when training programmes are designed? (1 = not at all, 5 = from the start)",
            "Hvor meget er arbejdstagerrepræsentanter involveret, når uddannelsesprogrammer udvikles? (1 = slet ikke, 5 = fra starten)",
        ),
        options: &[],
        max_choices: None,
        scale: Some((1, 5)),
    },
    PollTemplate {
        key: "inclusion_word",
        kind: PollKind::Text,
        question: l(
            "In a few words: what does inclusive upskilling need most?",
            "Med få ord: hvad har inkluderende opkvalificering mest brug for?",
        ),
        options: &[],
        max_choices: None,
        scale: None,
    },
];

/// The template with this key.
pub fn template(key: &str) -> Option<&'static PollTemplate> {
    TEMPLATES.iter().find(|t| t.key == key)
}

impl PollTemplate {
    /// The creation request this template stands for, in `lang`. Flags start
    /// as for a conference: open to the audience, results shown live.
    pub fn input(&self, lang: Lang) -> PollSpecInput {
        PollSpecInput {
            question: self.question.get(lang).to_owned(),
            kind: Some(self.kind),
            options: self
                .options
                .iter()
                .map(|o| o.get(lang).to_owned())
                .collect(),
            max_choices: self.max_choices.map(i64::from),
            scale_min: self.scale.map(|s| i64::from(s.0)),
            scale_max: self.scale.map(|s| i64::from(s.1)),
            secret: false,
            audience: true,
            results: Some(ResultsVisibility::Live),
        }
    }

    /// The validated spec in `lang`. Templates are tested to be valid, so an
    /// error here would be a bug in this file.
    pub fn spec(&self, lang: Lang) -> Result<PollSpec, SpecError> {
        validate_spec(&self.input(lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_valid_in_both_languages() {
        for t in TEMPLATES {
            for lang in Lang::ALL {
                assert!(
                    t.spec(*lang).is_ok(),
                    "{} in {lang}: {:?}",
                    t.key,
                    t.spec(*lang)
                );
            }
        }
    }

    #[test]
    fn maturity_matches_the_brief() {
        let t = template("maturity");
        assert!(t.is_some());
        let Some(t) = t else { return };
        assert_eq!(
            t.question.en,
            "Where is your organisation in digital upskilling?"
        );
        let en: Vec<&str> = t.options.iter().map(|o| o.en).collect();
        assert_eq!(
            en,
            [
                "Not started",
                "Analyse and plan",
                "Pilot",
                "Scaling up",
                "Embedded"
            ]
        );
        assert!(t.options.iter().all(|o| !o.da.is_empty()));
    }

    #[test]
    fn keys_are_unique() {
        for (i, t) in TEMPLATES.iter().enumerate() {
            assert!(TEMPLATES[..i].iter().all(|o| o.key != t.key));
        }
        assert!(template("nope").is_none());
    }
}
