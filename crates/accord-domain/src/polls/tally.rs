//! Tallying: counts, percentages, the split by side, rating statistics,
//! Borda scores for rankings and word frequencies for open-text word clouds.

use super::ballot::{Ballot, CastBallot};
use super::{Lang, Poll, PollKind};
use crate::roundtable::Side;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many words a word cloud shows at most.
pub const WORD_CLOUD_MAX: usize = 50;

/// One value per voter group: the three sides of a roundtable, and the
/// conference audience (who have no side).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BySide<T> {
    pub employer: T,
    pub union: T,
    pub neutral: T,
    pub audience: T,
}

impl<T> BySide<T> {
    /// The slot of a voter with `side` (`None`: the audience).
    pub fn get_mut(&mut self, side: Option<Side>) -> &mut T {
        match side {
            Some(Side::Employer) => &mut self.employer,
            Some(Side::Union) => &mut self.union,
            Some(Side::Neutral) => &mut self.neutral,
            None => &mut self.audience,
        }
    }

    /// The four values, sides first then the audience.
    pub fn values(&self) -> [&T; 4] {
        [&self.employer, &self.union, &self.neutral, &self.audience]
    }

    /// Each value passed through `f`.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> BySide<U> {
        BySide {
            employer: f(self.employer),
            union: f(self.union),
            neutral: f(self.neutral),
            audience: f(self.audience),
        }
    }

    /// Pairs each value with the one of `other` for the same group.
    pub fn zip<U>(self, other: BySide<U>) -> BySide<(T, U)> {
        BySide {
            employer: (self.employer, other.employer),
            union: (self.union, other.union),
            neutral: (self.neutral, other.neutral),
            audience: (self.audience, other.audience),
        }
    }
}

/// Choices of one option in a single- or multiple-choice poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OptionTally {
    pub option_id: String,
    pub label: String,
    pub count: u32,
    /// `count / total`, rounded to a whole percent. In a multiple-choice poll
    /// the percentages may add up to more than 100: each is a share of voters.
    pub percent: u32,
    /// `None` for a group whose figure a secret poll withholds.
    pub by_side: BySide<Option<u32>>,
}

/// Ballots for one value of a rating scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScaleCount {
    pub value: i32,
    pub count: u32,
    pub percent: u32,
}

/// The statistics of a rating poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingTally {
    /// `None` before the first ballot.
    pub mean: Option<f64>,
    /// Every value of the scale, lowest first, including those nobody chose.
    pub distribution: Vec<ScaleCount>,
    pub mean_by_side: BySide<Option<f64>>,
}

/// An option's Borda score in a ranking poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankingScore {
    pub option_id: String,
    pub label: String,
    pub points: u64,
    /// Ballots that ranked this option first.
    pub first_choices: u32,
    /// `None` for a group whose figure a secret poll withholds.
    pub by_side: BySide<Option<u64>>,
}

/// A word of an open-text poll and the number of answers that used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WordCount {
    pub word: String,
    pub count: u32,
}

/// A poll's results. Only the part matching the poll's kind is filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    pub poll_id: String,
    pub kind: PollKind,
    /// Ballots counted.
    pub total: u32,
    /// Ballots per side (and from the audience); sums to `total`.
    pub by_side: BySide<u32>,
    /// Single and multiple choice: every option in display order.
    pub options: Vec<OptionTally>,
    pub rating: Option<RatingTally>,
    /// Ranking: every option, highest score first (ties in display order).
    pub ranking: Vec<RankingScore>,
    /// Open text: at most [`WORD_CLOUD_MAX`] words, most frequent first.
    pub words: Vec<WordCount>,
    /// Set for a secret poll: what its rules withheld (see `secrecy`).
    #[serde(default)]
    pub secrecy: Option<super::secrecy::Withheld>,
}

/// A tally as the conference audience receives it: a projection with no
/// field for sides (the audience never sees how a side voted), built only
/// from a [`Tally`], so there is nothing to forget to delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceTally {
    pub poll_id: String,
    pub kind: PollKind,
    pub total: u32,
    pub options: Vec<AudienceOption>,
    pub rating: Option<AudienceRating>,
    pub ranking: Vec<AudienceRanking>,
    pub words: Vec<WordCount>,
    /// A secret poll's live figure moves in steps of this many ballots.
    pub live_step_of: Option<u32>,
    /// A secret poll closed with fewer than this many ballots: only their
    /// number is published.
    pub result_withheld_below: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceOption {
    pub option_id: String,
    pub label: String,
    pub count: u32,
    pub percent: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceRating {
    pub mean: Option<f64>,
    pub distribution: Vec<ScaleCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceRanking {
    pub option_id: String,
    pub label: String,
    pub points: u64,
    pub first_choices: u32,
}

impl From<&Tally> for AudienceTally {
    fn from(t: &Tally) -> Self {
        AudienceTally {
            poll_id: t.poll_id.clone(),
            kind: t.kind,
            total: t.total,
            options: t
                .options
                .iter()
                .map(|o| AudienceOption {
                    option_id: o.option_id.clone(),
                    label: o.label.clone(),
                    count: o.count,
                    percent: o.percent,
                })
                .collect(),
            rating: t.rating.as_ref().map(|r| AudienceRating {
                mean: r.mean,
                distribution: r.distribution.clone(),
            }),
            ranking: t
                .ranking
                .iter()
                .map(|r| AudienceRanking {
                    option_id: r.option_id.clone(),
                    label: r.label.clone(),
                    points: r.points,
                    first_choices: r.first_choices,
                })
                .collect(),
            words: t.words.clone(),
            live_step_of: t.secrecy.filter(|w| w.live_step).map(|w| w.min_group),
            result_withheld_below: t.secrecy.filter(|w| w.result).map(|w| w.min_group),
        }
    }
}

/// `count / total` as a whole percent, rounded half up; 0 when `total` is 0.
pub fn percent(count: u32, total: u32) -> u32 {
    if total == 0 {
        return 0;
    }
    // Integer arithmetic so 15 of 28 gives 54 everywhere, with no float drift.
    let (c, t) = (u64::from(count), u64::from(total));
    ((200 * c + t) / (2 * t)) as u32
}

/// The presenter label for one result, e.g. "54% — 15 of 28" (English) or
/// "54 % — 15 af 28" (Danish puts a space before the percent sign).
pub fn result_label(lang: Lang, count: u32, total: u32) -> String {
    let p = percent(count, total);
    match lang {
        Lang::En => format!("{p}% — {count} of {total}"),
        Lang::Da => format!("{p} % — {count} af {total}"),
    }
}

/// Tallies `ballots` for `poll`.
///
/// Ballots that do not fit the poll (another kind, an unknown option) are
/// counted in `total` but contribute nothing else; the validator keeps them
/// out of the store, so this only guards against foreign data.
///
/// Ranking uses the Borda count: with `n` options, the option ranked at
/// position `i` (0-based) gets `n − i` points and unranked options get none,
/// so a partial ranking still counts fully for what it ranks.
///
/// Open text feeds a word cloud: words are lower-cased, Danish and English
/// stop words and one-letter words and numbers are dropped, and a word counts
/// once per answer, so one voter repeating a word cannot dominate the cloud.
pub fn tally(poll: &Poll, ballots: &[CastBallot]) -> Tally {
    tally_groups(poll, ballots.iter().map(|b| (b, 1)))
}

/// Like [`tally`], over groups of identical ballots with their number. The
/// store can hand over `GROUP BY` results, so a poll with ten thousand
/// ballots is tallied from a few dozen rows.
pub fn tally_weighted(poll: &Poll, groups: &[(CastBallot, u32)]) -> Tally {
    tally_groups(poll, groups.iter().map(|(b, n)| (b, *n)))
}

fn tally_groups<'a, I>(poll: &Poll, ballots: I) -> Tally
where
    I: Iterator<Item = (&'a CastBallot, u32)> + Clone,
{
    let mut total = 0u32;
    let mut by_side = BySide::<u32>::default();
    for (b, w) in ballots.clone() {
        total += w;
        *by_side.get_mut(b.side) += w;
    }
    let position: HashMap<&str, usize> = poll
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id.as_str(), i))
        .collect();

    let mut options = Vec::new();
    let mut rating = None;
    let mut ranking = Vec::new();
    let mut words = Vec::new();

    match poll.kind {
        PollKind::Single | PollKind::Multiple => {
            let mut counts = vec![BySide::<u32>::default(); poll.options.len()];
            for (b, w) in ballots {
                if let Ballot::Choices(ids) = &b.ballot {
                    // A set, so a malformed ballot naming an option twice counts once.
                    let distinct: HashSet<usize> = ids
                        .iter()
                        .filter_map(|id| position.get(id.as_str()).copied())
                        .collect();
                    for i in distinct {
                        *counts[i].get_mut(b.side) += w;
                    }
                }
            }
            options = poll
                .options
                .iter()
                .zip(counts)
                .map(|(o, by_side)| {
                    let count = by_side.values().into_iter().sum();
                    OptionTally {
                        option_id: o.id.clone(),
                        label: o.label.clone(),
                        count,
                        percent: percent(count, total),
                        by_side: by_side.map(Some),
                    }
                })
                .collect();
        }
        PollKind::Rating => {
            let (min, max) = (poll.scale_min.unwrap_or(1), poll.scale_max.unwrap_or(5));
            let mut dist: BTreeMap<i32, u32> = (min..=max).map(|v| (v, 0)).collect();
            let mut sum = BySide::<(i64, u32)>::default();
            for (b, w) in ballots {
                if let Ballot::Rating(r) = b.ballot {
                    if let Some(c) = dist.get_mut(&r) {
                        *c += w;
                        let s = sum.get_mut(b.side);
                        s.0 += i64::from(r) * i64::from(w);
                        s.1 += w;
                    }
                }
            }
            let rated: u32 = dist.values().sum();
            let mean_of = |(s, n): (i64, u32)| (n > 0).then(|| s as f64 / f64::from(n));
            let all = sum
                .values()
                .into_iter()
                .fold((0i64, 0u32), |acc, v| (acc.0 + v.0, acc.1 + v.1));
            rating = Some(RatingTally {
                mean: mean_of(all),
                distribution: dist
                    .into_iter()
                    .map(|(value, count)| ScaleCount {
                        value,
                        count,
                        percent: percent(count, rated),
                    })
                    .collect(),
                mean_by_side: BySide {
                    employer: mean_of(sum.employer),
                    union: mean_of(sum.union),
                    neutral: mean_of(sum.neutral),
                    audience: mean_of(sum.audience),
                },
            });
        }
        PollKind::Ranking => {
            let n = poll.options.len() as u64;
            let mut points = vec![BySide::<u64>::default(); poll.options.len()];
            let mut firsts = vec![0u32; poll.options.len()];
            for (b, w) in ballots {
                if let Ballot::Ranking(ids) = &b.ballot {
                    let mut seen = HashSet::new();
                    let known = ids
                        .iter()
                        .filter_map(|id| position.get(id.as_str()).copied())
                        .filter(|i| seen.insert(*i));
                    for (rank, i) in known.enumerate() {
                        if rank == 0 {
                            firsts[i] += w;
                        }
                        *points[i].get_mut(b.side) += n.saturating_sub(rank as u64) * u64::from(w);
                    }
                }
            }
            ranking = poll
                .options
                .iter()
                .zip(points.into_iter().zip(firsts))
                .map(|(o, (by_side, first_choices))| RankingScore {
                    option_id: o.id.clone(),
                    label: o.label.clone(),
                    points: by_side.values().into_iter().sum(),
                    first_choices,
                    by_side: by_side.map(Some),
                })
                .collect();
            // A stable sort keeps display order among equal scores.
            ranking.sort_by_key(|s| std::cmp::Reverse(s.points));
        }
        PollKind::Text => {
            words = word_cloud_weighted(ballots.filter_map(|(b, w)| match &b.ballot {
                Ballot::Text(t) => Some((t.as_str(), w)),
                _ => None,
            }));
        }
    }

    Tally {
        poll_id: poll.id.clone(),
        kind: poll.kind,
        total,
        by_side,
        options,
        rating,
        ranking,
        words,
        secrecy: None,
    }
}

/// Word frequencies over answers, most frequent first, ties alphabetical.
pub fn word_cloud<'a>(answers: impl IntoIterator<Item = &'a str>) -> Vec<WordCount> {
    word_cloud_weighted(answers.into_iter().map(|a| (a, 1)))
}

/// [`word_cloud`] over distinct answers with the number of times each was given.
fn word_cloud_weighted<'a>(answers: impl IntoIterator<Item = (&'a str, u32)>) -> Vec<WordCount> {
    let mut counts: HashMap<String, u32> = HashMap::new();
    for (answer, weight) in answers {
        let lower = answer.to_lowercase();
        let distinct: HashSet<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 1)
            .filter(|w| !w.chars().all(|c| c.is_numeric()))
            .filter(|w| !is_stop_word(w))
            .collect();
        for w in distinct {
            *counts.entry(w.to_owned()).or_default() += weight;
        }
    }
    let mut list: Vec<WordCount> = counts
        .into_iter()
        .map(|(word, count)| WordCount { word, count })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.cmp(&b.word)));
    list.truncate(WORD_CLOUD_MAX);
    list
}

/// Whether `word` (lower case) is a Danish or English stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// English and Danish stop words, sorted (byte order) for binary search.
/// Common function words only: content words such as "tid" (time) or
/// "budget" must reach the cloud.
const STOP_WORDS: &[&str] = &[
    "about", "af", "after", "al", "alle", "also", "alt", "am", "an", "and", "andre", "any", "are",
    "as", "at", "be", "been", "being", "blev", "blive", "bliver", "but", "by", "can", "could",
    "da", "de", "dem", "den", "denne", "der", "deres", "det", "dette", "dig", "din", "dine",
    "disse", "dit", "do", "does", "don", "du", "efter", "eller", "en", "end", "er", "et", "for",
    "fra", "from", "få", "før", "had", "han", "har", "has", "havde", "have", "he", "hende", "her",
    "hos", "hun", "hvad", "hvis", "hvor", "i", "if", "ikke", "in", "ind", "into", "is", "it",
    "its", "jeg", "jer", "jo", "kan", "kun", "man", "mange", "me", "med", "meget", "men", "mere",
    "mig", "min", "mine", "mit", "mod", "more", "most", "my", "ned", "no", "noget", "nogle", "nor",
    "not", "nu", "når", "of", "og", "også", "om", "on", "op", "or", "os", "other", "our", "out",
    "over", "på", "sig", "sin", "sine", "sit", "skal", "skulle", "so", "som", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "til", "to",
    "too", "ud", "under", "up", "var", "very", "vi", "vil", "ville", "vor", "vores", "være",
    "været", "was", "we", "were", "what", "when", "which", "who", "will", "with", "would", "you",
    "your",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::polls::ballot::tests::poll;

    fn cast(side: Option<Side>, ballot: Ballot) -> CastBallot {
        CastBallot { side, ballot }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(
            STOP_WORDS.windows(2).all(|w| w[0] < w[1]),
            "STOP_WORDS must be sorted"
        );
    }

    #[test]
    fn lisbon_label() {
        assert_eq!(percent(15, 28), 54);
        assert_eq!(result_label(Lang::En, 15, 28), "54% — 15 of 28");
        assert_eq!(result_label(Lang::Da, 15, 28), "54 % — 15 af 28");
        assert_eq!(result_label(Lang::En, 0, 0), "0% — 0 of 0");
        assert_eq!(percent(1, 8), 13, "12.5 rounds half up");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(u32::MAX, u32::MAX), 100);
    }

    #[test]
    fn single_choice_split_by_side() {
        let p = poll(PollKind::Single);
        let b = |id: &str| Ballot::Choices(ids(&[id]));
        let ballots = vec![
            cast(Some(Side::Employer), b("o0")),
            cast(Some(Side::Union), b("o0")),
            cast(Some(Side::Union), b("o1")),
            cast(None, b("o1")),
        ];
        let t = tally(&p, &ballots);
        assert_eq!(t.total, 4);
        assert_eq!(
            t.by_side,
            BySide {
                employer: 1,
                union: 2,
                neutral: 0,
                audience: 1
            }
        );
        let counts: Vec<(u32, u32)> = t.options.iter().map(|o| (o.count, o.percent)).collect();
        assert_eq!(counts, [(2, 50), (2, 50), (0, 0)]);
        assert_eq!(t.options[0].by_side.employer, Some(1));
        assert_eq!(t.options[0].by_side.union, Some(1));
        assert_eq!(t.options[1].by_side.audience, Some(1));
    }

    #[test]
    fn multiple_choice_percentages_are_shares_of_voters() {
        let p = poll(PollKind::Multiple);
        let ballots = vec![
            cast(None, Ballot::Choices(ids(&["o0", "o1"]))),
            cast(None, Ballot::Choices(ids(&["o0"]))),
        ];
        let t = tally(&p, &ballots);
        let pct: Vec<u32> = t.options.iter().map(|o| o.percent).collect();
        assert_eq!(pct, [100, 50, 0]);
    }

    #[test]
    fn rating_statistics() {
        let p = poll(PollKind::Rating);
        let ballots = vec![
            cast(Some(Side::Employer), Ballot::Rating(2)),
            cast(Some(Side::Union), Ballot::Rating(4)),
            cast(Some(Side::Union), Ballot::Rating(5)),
        ];
        let t = tally(&p, &ballots);
        let r = t.rating.unwrap();
        assert!((r.mean.unwrap() - 11.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.distribution.len(), 5);
        assert_eq!(
            r.distribution[1],
            ScaleCount {
                value: 2,
                count: 1,
                percent: 33
            }
        );
        assert_eq!(r.mean_by_side.union, Some(4.5));
        assert_eq!(r.mean_by_side.neutral, None);
        let empty = tally(&p, &[]).rating.unwrap();
        assert_eq!(empty.mean, None);
    }

    #[test]
    fn ranking_borda() {
        let p = poll(PollKind::Ranking);
        let ballots = vec![
            cast(None, Ballot::Ranking(ids(&["o2", "o0", "o1"]))),
            cast(None, Ballot::Ranking(ids(&["o0", "o2", "o1"]))),
            cast(Some(Side::Union), Ballot::Ranking(ids(&["o2"]))),
        ];
        let t = tally(&p, &ballots);
        let scores: Vec<(&str, u64, u32)> = t
            .ranking
            .iter()
            .map(|s| (s.option_id.as_str(), s.points, s.first_choices))
            .collect();
        // o2: 3 + 2 + 3 = 8; o0: 2 + 3 = 5; o1: 1 + 1 = 2.
        assert_eq!(scores, [("o2", 8, 2), ("o0", 5, 1), ("o1", 2, 0)]);
        assert_eq!(t.ranking[0].by_side.union, Some(3));
    }

    #[test]
    fn word_cloud_drops_stop_words_and_counts_once_per_answer() {
        let p = poll(PollKind::Text);
        let ballots: Vec<CastBallot> = [
            "Time and budget",
            "tid og budget, budget, BUDGET",
            "The unions are involved too late",
            "2022 a x",
        ]
        .iter()
        .map(|t| cast(None, Ballot::Text((*t).into())))
        .collect();
        let t = tally(&p, &ballots);
        assert_eq!(
            t.words[0],
            WordCount {
                word: "budget".into(),
                count: 2
            }
        );
        let words: Vec<&str> = t.words.iter().map(|w| w.word.as_str()).collect();
        for gone in ["and", "og", "the", "are", "too", "2022", "a", "x"] {
            assert!(!words.contains(&gone), "{gone} should be dropped");
        }
        for kept in ["time", "tid", "unions", "involved", "late"] {
            assert!(words.contains(&kept), "{kept} should be kept");
        }
    }

    #[test]
    fn word_cloud_is_capped() {
        let answers: Vec<String> = (0..80).map(|i| format!("word{i}")).collect();
        let cloud = word_cloud(answers.iter().map(String::as_str));
        assert_eq!(cloud.len(), WORD_CLOUD_MAX);
    }

    #[test]
    fn grouped_ballots_tally_like_repeated_ones() {
        for kind in PollKind::ALL {
            let p = poll(*kind);
            let ballot = match kind {
                PollKind::Single => Ballot::Choices(ids(&["o1"])),
                PollKind::Multiple => Ballot::Choices(ids(&["o0", "o2"])),
                PollKind::Rating => Ballot::Rating(4),
                PollKind::Ranking => Ballot::Ranking(ids(&["o2", "o1"])),
                PollKind::Text => Ballot::Text("time and budget".into()),
            };
            let a = cast(Some(Side::Union), ballot);
            let b = cast(None, Ballot::Text("budget".into()));
            let repeated = vec![a.clone(), a.clone(), a.clone(), b.clone()];
            let grouped = vec![(a, 3), (b, 1)];
            assert_eq!(tally(&p, &repeated), tally_weighted(&p, &grouped), "{kind}");
        }
    }

    #[test]
    fn foreign_ballots_only_count_in_total() {
        let p = poll(PollKind::Single);
        let ballots = vec![
            cast(None, Ballot::Rating(3)),
            cast(None, Ballot::Choices(ids(&["gone", "o0", "o0"]))),
        ];
        let t = tally(&p, &ballots);
        assert_eq!(t.total, 2);
        assert_eq!(t.options[0].count, 1);
    }
}
