//! Every word the exports themselves write (not the document's own text), in
//! English and Danish: the one source of labels for all four formats.
//!
//! Fixed labels live in a [`Labels`] table per language; labels with numbers
//! or enum values in them are methods on [`Lang`], so no format builds a
//! sentence itself.

use crate::Lang;
use accord_domain::agreement::{AgreementState, Position, Quorum};
use accord_domain::Side;

/// The fixed labels of one language.
pub(crate) struct Labels {
    pub roundtable: &'static str,
    pub version: &'static str,
    pub created: &'static str,
    pub words: &'static str,
    pub agreement: &'static str,
    pub document: &'static str,
    pub state: &'static str,
    pub rule: &'static str,
    pub proposed: &'static str,
    pub decided: &'static str,
    pub not_decided: &'static str,
    pub sides: &'static str,
    pub positions: &'static str,
    pub no_positions: &'static str,
    pub name: &'static str,
    pub organisation: &'static str,
    pub side: &'static str,
    pub position: &'static str,
    pub time: &'static str,
    pub objections: &'static str,
    pub no_objections: &'static str,
    pub remarks: &'static str,
    pub integrity: &'static str,
    pub version_sha256: &'static str,
    pub seal: &'static str,
    pub no_seal: &'static str,
    pub verify: &'static str,
    pub verify_note: &'static str,
}

const EN: Labels = Labels {
    roundtable: "Roundtable",
    version: "Version",
    created: "Created",
    words: "Words",
    agreement: "Agreement",
    document: "Document",
    state: "State",
    rule: "Quorum",
    proposed: "Proposed",
    decided: "Decided",
    not_decided: "not decided",
    sides: "Sides",
    positions: "Positions, in seal order",
    no_positions: "No positions were taken.",
    name: "Name",
    organisation: "Organisation",
    side: "Side",
    position: "Position",
    time: "Time",
    objections: "Objections",
    no_objections: "No objections.",
    remarks: "Reasons given with other positions",
    integrity: "Verification",
    version_sha256: "Version SHA-256",
    seal: "Seal",
    no_seal: "none (the agreement is not agreed)",
    verify: "How to verify",
    verify_note: "The SHA-256 is computed over the version's Markdown (GET \
        /api/v1/versions/{id}/markdown; in a Markdown export, every byte above the \
        separator line); the seal is SHA-256 over the version hash, the rule and the \
        ordered positions (see accord_domain::agreement::seal).",
};

const DA: Labels = Labels {
    roundtable: "Rundbord",
    version: "Version",
    created: "Oprettet",
    words: "Ord",
    agreement: "Aftale",
    document: "Dokument",
    state: "Status",
    rule: "Beslutningsregel",
    proposed: "Foreslået",
    decided: "Afgjort",
    not_decided: "ikke afgjort",
    sides: "Parterne",
    positions: "Tilkendegivelser i seglets rækkefølge",
    no_positions: "Ingen har tilkendegivet sig.",
    name: "Navn",
    organisation: "Organisation",
    side: "Side",
    position: "Tilkendegivelse",
    time: "Tidspunkt",
    objections: "Indsigelser",
    no_objections: "Ingen indsigelser.",
    remarks: "Begrundelser givet med andre tilkendegivelser",
    integrity: "Kontrol",
    version_sha256: "Versionens SHA-256",
    seal: "Segl",
    no_seal: "intet (aftalen er ikke vedtaget)",
    verify: "Sådan kontrolleres det",
    verify_note: "SHA-256 beregnes over versionens Markdown (GET \
        /api/v1/versions/{id}/markdown; i en Markdown-eksport hver byte over \
        skillelinjen); seglet er SHA-256 over versionens hash, reglen og de ordnede \
        tilkendegivelser (se accord_domain::agreement::seal).",
};

impl Lang {
    /// The fixed labels of this language.
    pub(crate) fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::Da => &DA,
        }
    }

    /// "Page 2 of 5" / "Side 2 af 5".
    pub(crate) fn page_of(self, page: usize, pages: usize) -> String {
        match self {
            Lang::En => format!("Page {page} of {pages}"),
            Lang::Da => format!("Side {page} af {pages}"),
        }
    }

    /// What to print before the page number and between it and the page
    /// count, for formats whose page numbers are fields (DOCX).
    pub(crate) fn page_of_parts(self) -> (&'static str, &'static str) {
        match self {
            Lang::En => ("Page ", " of "),
            Lang::Da => ("Side ", " af "),
        }
    }

    /// "v3".
    /// `v3`; a number below 1 is no version but the text as it is now.
    pub(crate) fn version_number(self, number: i64) -> String {
        match (number < 1, self) {
            (false, _) => format!("v{number}"),
            (true, Lang::En) => "Current text (not a saved version)".to_owned(),
            (true, Lang::Da) => "Nuværende tekst (ikke en gemt version)".to_owned(),
        }
    }

    pub(crate) fn state(self, state: AgreementState) -> &'static str {
        match (self, state) {
            (Lang::En, AgreementState::Open) => "Open (not yet agreed)",
            (Lang::En, AgreementState::Agreed) => "Agreed",
            (Lang::En, AgreementState::Expired) => "Expired (not agreed)",
            (Lang::En, AgreementState::Withdrawn) => "Withdrawn (not agreed)",
            (Lang::En, AgreementState::Superseded) => "Superseded (not agreed)",
            (Lang::Da, AgreementState::Open) => "Åben (endnu ikke vedtaget)",
            (Lang::Da, AgreementState::Agreed) => "Vedtaget",
            (Lang::Da, AgreementState::Expired) => "Udløbet (ikke vedtaget)",
            (Lang::Da, AgreementState::Withdrawn) => "Trukket tilbage (ikke vedtaget)",
            (Lang::Da, AgreementState::Superseded) => "Afløst (ikke vedtaget)",
        }
    }

    /// The side's name as a noun: "Employer side" / "Arbejdsgiversiden".
    pub(crate) fn side(self, side: Side) -> &'static str {
        match (self, side) {
            (Lang::En, Side::Employer) => "Employer side",
            (Lang::En, Side::Union) => "Union side",
            (Lang::En, Side::Neutral) => "Neutral",
            (Lang::Da, Side::Employer) => "Arbejdsgiversiden",
            (Lang::Da, Side::Union) => "Lønmodtagersiden",
            (Lang::Da, Side::Neutral) => "Neutral",
        }
    }

    pub(crate) fn position(self, position: Position) -> &'static str {
        match (self, position) {
            (Lang::En, Position::Endorse) => "Endorsed",
            (Lang::En, Position::Object) => "Objected",
            (Lang::En, Position::Abstain) => "Abstained",
            (Lang::Da, Position::Endorse) => "Tilsluttet",
            (Lang::Da, Position::Object) => "Indsigelse",
            (Lang::Da, Position::Abstain) => "Undlod",
        }
    }

    /// The rule in words, after the label "Quorum": "a majority of each side;
    /// objections block".
    pub(crate) fn rule(self, quorum: Quorum, objections_block: bool) -> String {
        let (q, o) = match self {
            Lang::En => (
                match quorum {
                    Quorum::One => "at least one of each side",
                    Quorum::Majority => "a majority of each side",
                    Quorum::All => "all of each side",
                },
                if objections_block {
                    "objections block"
                } else {
                    "objections do not block"
                },
            ),
            Lang::Da => (
                match quorum {
                    Quorum::One => "mindst én fra hver side",
                    Quorum::Majority => "et flertal på hver side",
                    Quorum::All => "alle på hver side",
                },
                if objections_block {
                    "indsigelser blokerer"
                } else {
                    "indsigelser blokerer ikke"
                },
            ),
        };
        format!("{q}; {o}")
    }

    /// "Employer side: 2 of 3 endorsed, 1 objected, 0 abstained".
    pub(crate) fn side_count(
        self,
        side: Side,
        electorate: u32,
        endorse: u32,
        object: u32,
        abstain: u32,
    ) -> String {
        let name = self.side(side);
        match self {
            Lang::En => format!(
                "{name}: {endorse} of {electorate} endorsed, {object} objected, {abstain} abstained"
            ),
            Lang::Da => format!(
                "{name}: {endorse} af {electorate} har tilsluttet sig, {object} har gjort indsigelse, {abstain} undlod"
            ),
        }
    }
}
