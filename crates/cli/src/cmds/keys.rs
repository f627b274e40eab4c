//! `lfr keys`: where the master key is kept. It starts as a file in the key
//! directory; a force with a hardware security module (or a KMS's PKCS#11
//! library) keeps it there instead, where it cannot be copied.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use lfr_store::{Keyring, TokenConfig};

use super::session::{block_on, keys_dir, open, print_json, signed_in};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Where the master key is: its file, or its PKCS#11 token.
    Show,
    /// Move the master key from its file into a PKCS#11 token
    /// (Administrator): stored there sensitive and non-extractable, proven
    /// to open every deployment's data key and the audit chain, then the
    /// file is destroyed. The token's user PIN comes from LFR_PKCS11_PIN or
    /// --pin-file. Restart `lfr serve` afterwards.
    ToToken(TokenArgs),
    /// Set up a new key directory whose master key is made inside a
    /// PKCS#11 token and never exists outside it (before `lfr user
    /// bootstrap`; no sign-in, since there is no system yet).
    CreateInToken(TokenArgs),
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long)]
    module: PathBuf,
    /// The token's label.
    #[arg(long, value_name = "LABEL")]
    token_label: String,
    /// The label the master key gets in the token.
    #[arg(long, value_name = "LABEL", default_value = "lfr-master")]
    key_label: String,
    /// A file holding the token's user PIN (mode 0600), read at every
    /// start; without it, LFR_PKCS11_PIN must hold the PIN.
    #[arg(long)]
    pin_file: Option<PathBuf>,
}

impl TokenArgs {
    fn config(self) -> Result<TokenConfig> {
        let pin_file = self
            .pin_file
            .map(|p| std::path::absolute(&p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display())))
            .transpose()?;
        Ok(TokenConfig {
            module: self.module,
            token: self.token_label,
            key: self.key_label,
            pin_file,
        })
    }
}

pub fn run(g: &Global, c: KeysCmd) -> Result<()> {
    block_on(async move {
        match c {
            KeysCmd::Show => {
                let store = open(g, false).await?;
                let at = store.master_key_location();
                if g.json {
                    print_json(&serde_json::json!({ "master_key": at }))
                } else {
                    println!("master key: {at}");
                    Ok(())
                }
            }
            KeysCmd::ToToken(a) => {
                let (store, me) = signed_in(g).await?;
                let moved = store.move_master_key_to_token(&me, &a.config()?).await?;
                if g.json {
                    return print_json(&moved);
                }
                println!(
                    "master key moved into PKCS#11 token {:?} as key {:?}; {} deployment key(s) open under it; the key file is destroyed",
                    moved.token, moved.key, moved.deployment_keys
                );
                println!("restart `lfr serve` wherever it runs on this key directory");
                Ok(())
            }
            KeysCmd::CreateInToken(a) => {
                let dir = keys_dir(g);
                Keyring::create_in_token(&dir, &a.config()?)?;
                if g.json {
                    return print_json(&serde_json::json!({ "keys": dir }));
                }
                println!(
                    "master key made inside the token; {} names it. Now `lfr user bootstrap`",
                    dir.join(lfr_store::TOKEN_CONFIG).display()
                );
                Ok(())
            }
        }
    })
}
