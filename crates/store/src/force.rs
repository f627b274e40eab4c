//! The force's public notice ([`lfr_domain::force`]): set by an
//! administrator, read by anyone, since it is public by design.

use lfr_domain::force::ForceNotice;
use lfr_domain::policy::{self, Action};
use lfr_domain::role::User;
use sqlx::{AnyConnection, Row};

use crate::db::{from_json, json, ms};
use crate::gate::{Act, done};
use crate::{Result, Store};

pub(crate) async fn load(conn: &mut AnyConnection) -> Result<Option<ForceNotice>> {
    sqlx::query("SELECT notice FROM force_notice WHERE id = 1")
        .fetch_optional(conn)
        .await?
        .map(|r| from_json(&r.try_get::<String, _>(0)?, "force notice"))
        .transpose()
}

impl Store {
    /// Sets what the force states publicly about LFR (Administrator).
    pub async fn set_force_notice(&self, actor: &User, n: &ForceNotice) -> Result<ForceNotice> {
        let act = Act::new(actor, Action::SetForceNotice, "force.notice", "force");
        // A blank policy is no policy.
        let n = &ForceNotice {
            policy: n.policy.clone().filter(|p| !p.trim().is_empty()),
            ..n.clone()
        };
        self.act(act, async |tx, now| {
            policy::force_notice_is_complete(n)?;
            sqlx::query(
                "INSERT INTO force_notice (id, notice, set_ms) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET notice = excluded.notice, set_ms = excluded.set_ms",
            )
            .bind(json(n))
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
            done(
                n.clone(),
                format!("public notice of {}: contact {}", n.force, n.contact),
            )
        })
        .await
    }

    /// The force's public notice, if set. Public by design: needs no user.
    pub async fn force_notice(&self) -> Result<Option<ForceNotice>> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn).await
    }
}
