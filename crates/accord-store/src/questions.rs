//! Q&A questions, their upvotes (one per person) and moderation status.

use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::questions::QuestionStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: String,
    pub roundtable_id: String,
    pub author_key: String,
    pub author_name: Option<String>,
    pub text: String,
    pub status: QuestionStatus,
    pub votes: i64,
    pub created_at: i64,
}

impl Question {
    /// Whether an audience member asked it (author keys are [`crate::Voter::key`]s).
    pub fn asked_by_audience(&self) -> bool {
        self.author_key.starts_with("audience:")
    }
}

#[derive(Debug, Clone)]
pub struct NewQuestion {
    pub id: String,
    pub roundtable_id: String,
    /// The asker's [`crate::Voter::key`].
    pub author_key: String,
    pub author_name: Option<String>,
    pub text: String,
    pub status: QuestionStatus,
    pub created_at: i64,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
);
const COLUMNS: &str = "id, roundtable_id, author_key, author_name, text, status, votes, created_at";

fn question(
    (id, roundtable_id, author_key, author_name, text, status, votes, created_at): Row,
) -> Result<Question, StoreError> {
    Ok(Question {
        id,
        roundtable_id,
        author_key,
        author_name,
        text,
        status: status.parse()?,
        votes,
        created_at,
    })
}

impl Store {
    #[tracing::instrument(skip_all)]
    pub async fn create_question(&self, new: &NewQuestion) -> Result<Question, StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO questions (id, roundtable_id, author_key, author_name, text, status, votes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(&new.id)
        .bind(&new.roundtable_id)
        .bind(&new.author_key)
        .bind(&new.author_name)
        .bind(&new.text)
        .bind(new.status.as_str())
        .bind(new.created_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        self.question(&new.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("question vanished".into()))
    }

    #[tracing::instrument(skip_all)]
    pub async fn question(&self, id: &str) -> Result<Option<Question>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM questions WHERE id = $1");
        let row: Option<Row> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
        row.map(question).transpose()
    }

    /// A roundtable's questions, most votes first, then oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn questions_of(&self, roundtable_id: &str) -> Result<Vec<Question>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM questions WHERE roundtable_id = $1 ORDER BY votes DESC, created_at, id");
        let rows: Vec<Row> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(roundtable_id).fetch_all(pool).await)?;
        rows.into_iter().map(question).collect()
    }

    /// The question ids `voter_key` has upvoted in a roundtable.
    #[tracing::instrument(skip_all)]
    pub async fn my_question_votes(
        &self,
        roundtable_id: &str,
        voter_key: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT v.question_id FROM question_votes v JOIN questions q ON q.id = v.question_id \
             WHERE q.roundtable_id = $1 AND v.voter_key = $2",
        )
        .bind(roundtable_id)
        .bind(voter_key)
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Upvotes once per voter; a repeat is ignored. Returns the question after.
    #[tracing::instrument(skip_all)]
    pub async fn upvote_question(
        &self,
        id: &str,
        voter_key: &str,
    ) -> Result<Option<Question>, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let added = sqlx::query(
                "INSERT INTO question_votes (question_id, voter_key) SELECT id, $2 FROM questions WHERE id = $1 \
                 ON CONFLICT (question_id, voter_key) DO NOTHING",
            )
            .bind(id)
            .bind(voter_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added > 0 {
                sqlx::query("UPDATE questions SET votes = votes + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        self.question(id).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn set_question_status(
        &self,
        id: &str,
        status: QuestionStatus,
    ) -> Result<Option<Question>, StoreError> {
        on_pool!(self, pool => sqlx::query("UPDATE questions SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(status.as_str())
            .execute(pool)
            .await
            .map(|_| ()))?;
        self.question(id).await
    }
}
