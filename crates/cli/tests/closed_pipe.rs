//! A command whose reader has gone (`lfr quality IMG | head -1`) ends
//! quietly, as Unix tools do, rather than panicking on the broken pipe.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::*;

#[test]
fn a_closed_pipe_ends_the_command_without_a_panic() {
    let image = shared("data/dlib-reference/images/obama.jpg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lfr"))
        .arg("quality")
        .arg(&image)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
        "{:?}: {stderr}",
        out.status
    );
}
