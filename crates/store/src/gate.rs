//! The one path an action that changes the store takes: the role table,
//! then the rules against the records as they stand inside the transaction,
//! then the change and its audit entry, committed together. A refusal rolls
//! the transaction back and is audited on its own, so every answer, allowed
//! or refused, is in the log, and no action can write without passing here.
//!
//! What does not pass here, and why: `bootstrap` (there is no user yet);
//! what the system does by itself (retention runs, passes ending at their
//! window), audited as `system`; `create_user` and `set_roles`, which audit
//! a proposal for a second administrator beside the change in the same
//! transaction; and `public_report`, whose checkpoint is taken after its own
//! entry so that the report anchors its production.

use lfr_base::Timestamp;
use lfr_domain::Refusal;
use lfr_domain::policy::Action;
use lfr_domain::role::User;
use sqlx::AnyConnection;

use crate::{Result, Store, StoreError};

/// Who asks to do what to which record.
pub(crate) struct Act<'a> {
    pub actor: &'a User,
    /// The entry of the role table that allows it.
    pub action: Action,
    /// The audit log's name for it (`deployment.authorise`).
    pub name: &'static str,
    /// The record it acts on, as the audit log names it (`D3`, `W2`).
    pub target: String,
}

impl<'a> Act<'a> {
    pub fn new(actor: &'a User, action: Action, name: &'static str, target: impl ToString) -> Self {
        Self {
            actor,
            action,
            name,
            target: target.to_string(),
        }
    }
}

/// Why an action stopped part-way: a rule refused, or storage failed.
pub(crate) enum Stop {
    Refused(Refusal),
    Failed(StoreError),
}

impl From<Refusal> for Stop {
    fn from(r: Refusal) -> Self {
        Stop::Refused(r)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(r) => Stop::Refused(r),
            e => Stop::Failed(e),
        }
    }
}

impl From<sqlx::Error> for Stop {
    fn from(e: sqlx::Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// What an allowed action did: its result, and what the audit entry says.
pub(crate) struct Done<T> {
    pub value: T,
    pub detail: String,
    /// The record it made, when it did not exist to be named beforehand.
    pub made: Option<String>,
}

/// The result `value` of an allowed action, audited with `detail`.
pub(crate) fn done<T>(value: T, detail: impl Into<String>) -> std::result::Result<Done<T>, Stop> {
    Ok(Done {
        value,
        detail: detail.into(),
        made: None,
    })
}

/// As [`done`], for an action that made the record `made` (`D7`): the audit
/// entry names it instead of the act's target.
pub(crate) fn made<T>(
    value: T,
    made: impl ToString,
    detail: impl Into<String>,
) -> std::result::Result<Done<T>, Stop> {
    Ok(Done {
        value,
        detail: detail.into(),
        made: Some(made.to_string()),
    })
}

impl Store {
    /// Runs `body` as `act`: refused unless the role table allows it; inside
    /// one transaction `body` loads what it acts on, asks the rules (a
    /// [`Refusal`] it returns rolls back and is audited) and writes; the
    /// audit entry of the allowed action commits with the change.
    pub(crate) async fn act<T>(
        &self,
        act: Act<'_>,
        body: impl AsyncFnOnce(&mut AnyConnection, Timestamp) -> std::result::Result<Done<T>, Stop>,
    ) -> Result<T> {
        self.permit(act.actor, act.action, act.name, &act.target)
            .await?;
        let mut tx = self.begin().await?;
        match body(&mut tx, self.now()).await {
            Ok(Done {
                value,
                detail,
                made,
            }) => {
                let target = made.as_deref().unwrap_or(&act.target);
                self.allowed(&mut tx, act.actor, act.name, target, detail)
                    .await?;
                tx.commit().await?;
                Ok(value)
            }
            Err(Stop::Refused(r)) => self.refuse(tx, act.actor, act.name, &act.target, r).await,
            Err(Stop::Failed(e)) => Err(e),
        }
    }
}
