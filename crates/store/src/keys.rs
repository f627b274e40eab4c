//! Where the master key is kept: an administrator moves it from its file
//! into a PKCS#11 token (docs/retention.md), audited like any action.

use lfr_domain::policy::Action;
use lfr_domain::role::User;

use crate::gate::{Act, done};
use crate::keyring::{MovedToToken, TokenConfig};
use crate::{Result, Store};

impl Store {
    /// Moves the master key into `token` (Administrator). A server that is
    /// running keeps its copy until it restarts.
    pub async fn move_master_key_to_token(
        &self,
        actor: &User,
        token: &TokenConfig,
    ) -> Result<MovedToToken> {
        let act = Act::new(
            actor,
            Action::ManageKeys,
            "keys.moved_to_token",
            "master key",
        );
        self.act(act, async |_tx, _now| {
            let moved = self.keys.move_to_token(token)?;
            let detail = format!(
                "master key moved into PKCS#11 token {:?} as key {:?}; {} deployment key(s) proven to open under it; the key file destroyed",
                moved.token, moved.key, moved.deployment_keys
            );
            done(moved, detail)
        })
        .await
    }

    /// Where the master key is, in words.
    pub fn master_key_location(&self) -> String {
        self.keys.master_location()
    }
}
