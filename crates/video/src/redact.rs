//! Camera URLs carry credentials (`rtsp://user:password@host/...`).
//! Nothing lfr shows, stores or logs repeats them: errors, FFmpeg's own
//! messages and camera descriptions pass through here first.

use std::process::Command;

/// The user-info part of `input`'s URL (`user:password`), if it has one.
fn user_info(input: &str) -> Option<&str> {
    let scheme_end = input.find("://")? + 3;
    let rest = &input[scheme_end..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(&authority[..at])
}

/// `input` with the user-info of its URL cut: `rtsp://host/...`.
pub fn redact(input: &str) -> String {
    match user_info(input) {
        Some(info) => input.replacen(&format!("{info}@"), "", 1),
        None => input.to_string(),
    }
}

/// `text` with `input`'s user-info, and its password on its own, replaced
/// wherever they appear (FFmpeg echoes the URL it was given).
pub fn redact_in(text: &str, input: &str) -> String {
    let Some(info) = user_info(input) else {
        return text.to_string();
    };
    let mut out = text.replace(&format!("{info}@"), "");
    if let Some((_, password)) = info.split_once(':')
        && !password.is_empty()
    {
        out = out.replace(password, "***");
    }
    out.replace(info, "***")
}

/// A command for FFmpeg's tools with a clean environment: the child gets
/// only `PATH`, never the caller's sign-in token or other secrets.
pub(crate) fn tool(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        c.env("PATH", path);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_cut_from_urls_and_from_what_mentions_them() {
        let url = "rtsp://cam:s3cret@10.0.0.5:554/stream?x=1";
        assert_eq!(redact(url), "rtsp://10.0.0.5:554/stream?x=1");
        assert_eq!(redact("rtsp://10.0.0.5/a@b"), "rtsp://10.0.0.5/a@b");
        assert_eq!(redact("/videos/a@b.mp4"), "/videos/a@b.mp4");
        let said = format!("{url}: Connection refused (password s3cret)");
        let shown = redact_in(&said, url);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.starts_with("rtsp://10.0.0.5:554/stream"), "{shown}");
        assert_eq!(redact_in("no secret here", "/a/file.mp4"), "no secret here");
    }

    #[test]
    fn ffmpeg_tools_start_without_the_callers_environment() {
        // SAFETY: the test sets a variable only this process reads.
        unsafe { std::env::set_var("LFR_TOKEN", "lfr_not_for_children") };
        let out = tool("env").output().expect("env runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("LFR_TOKEN"), "{text}");
        assert!(text.contains("PATH="), "{text}");
    }
}
