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
///
/// The program is looked up on `PATH` here, and started by its full path:
/// given a bare name and a `PATH` of its own, the standard library forks
/// the whole process (copying the page tables of a process holding its
/// models, and stalling its analysis threads) instead of spawning.
pub(crate) fn tool(program: &str) -> Command {
    let path = std::env::var_os("PATH");
    let found = path.as_ref().and_then(|p| {
        std::env::split_paths(p)
            .map(|dir| dir.join(program))
            .find(|f| is_executable(f))
    });
    let mut c = Command::new(found.as_deref().unwrap_or(program.as_ref()));
    c.env_clear();
    if let Some(path) = path {
        c.env("PATH", path);
    }
    c
}

/// A file this process may execute, as `execvp` would judge it.
fn is_executable(f: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(f.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `path` is a valid NUL-terminated string for the call's length.
    f.is_file() && unsafe { libc::access(path.as_ptr(), libc::X_OK) } == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_are_started_by_their_full_path_with_only_path_passed_on() {
        let c = tool("ffmpeg");
        let program = std::path::Path::new(c.get_program());
        assert!(
            program.is_absolute() && program.ends_with("ffmpeg"),
            "{program:?}: is FFmpeg installed (apt-get install ffmpeg)?"
        );
        let envs: Vec<_> = c.get_envs().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(envs, ["PATH"]);
        // What is not on PATH is left to fail when started, saying so.
        let missing = tool("no-such-tool-lfr");
        assert_eq!(missing.get_program(), "no-such-tool-lfr");
    }

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
