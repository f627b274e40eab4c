//! Describing a labelled face set: one template per image, computed on all
//! cores, optionally cached on disk so that benchmarks and calibration can
//! share one pass over the images.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use lfr_engine::pipeline::{Engine, EngineConfig, EngineError, ModelFiles, subject_face};
use lfr_engine::template::Algorithm;

use crate::lfw::ImageId;

/// What describing one image gave.
#[derive(Debug, Clone)]
pub struct Described {
    pub id: ImageId,
    /// Faces the detector found in the image.
    pub faces: u16,
    /// The descriptor of the subject's face, if one was found.
    pub vector: Option<Vec<f32>>,
}

#[derive(Debug, thiserror::Error)]
pub enum FaceSetError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("descriptor cache {path}: {what}. Delete it to recompute")]
    Cache { path: PathBuf, what: String },
}

/// Describes every image on `workers` threads, each with its own engine.
/// Unreadable images count as images with no face (and are reported on stderr).
pub fn describe_all(
    files: &ModelFiles,
    config: &EngineConfig,
    images: &[(ImageId, PathBuf)],
    workers: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Algorithm, Vec<Described>), FaceSetError> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Described>>> = Mutex::new(vec![None; images.len()]);
    let algorithm = Engine::open(files, config)?.algorithm().clone();
    std::thread::scope(|s| -> Result<(), FaceSetError> {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                s.spawn(|| -> Result<(), FaceSetError> {
                    let mut engine = Engine::open(files, config)?;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((id, path)) = images.get(i) else {
                            return Ok(());
                        };
                        let d = describe_one(&mut engine, id, path);
                        results.lock().unwrap()[i] = Some(d);
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1, images.len());
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("describing thread panicked")?;
        }
        Ok(())
    })?;
    let out = results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|d| d.expect("every image described"))
        .collect();
    Ok((algorithm, out))
}

fn describe_one(engine: &mut Engine, id: &ImageId, path: &Path) -> Described {
    let none = |faces| Described {
        id: id.clone(),
        faces,
        vector: None,
    };
    let image = match lfr_engine::detect::load_image(path) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("skipping {}: {e}", path.display());
            return none(0);
        }
    };
    let faces = match engine.detect(&image) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("skipping {}: {e}", path.display());
            return none(0);
        }
    };
    let Some(face) = subject_face(&image, &faces) else {
        return none(0);
    };
    match engine.templates(&image, std::slice::from_ref(face)) {
        Ok(mut t) => Described {
            id: id.clone(),
            faces: faces.len() as u16,
            vector: Some(std::mem::take(&mut t[0].vector)),
        },
        Err(e) => {
            eprintln!("skipping {}: {e}", path.display());
            none(faces.len() as u16)
        }
    }
}

const MAGIC: &[u8; 8] = b"LFRDESC1";

/// Writes descriptors to a cache file (a public research face set only:
/// lfr never caches templates of real deployments).
pub fn save(path: &Path, algorithm: &Algorithm, set: &[Described]) -> Result<(), FaceSetError> {
    let err = |e: std::io::Error| FaceSetError::Cache {
        path: path.to_path_buf(),
        what: e.to_string(),
    };
    let mut b = Vec::new();
    b.extend_from_slice(MAGIC);
    put_str(&mut b, algorithm.as_str());
    b.extend_from_slice(&(set.len() as u32).to_le_bytes());
    for d in set {
        put_str(&mut b, &d.id.person);
        b.extend_from_slice(&d.id.number.to_le_bytes());
        b.extend_from_slice(&d.faces.to_le_bytes());
        let v = d.vector.as_deref().unwrap_or(&[]);
        b.extend_from_slice(&(v.len() as u16).to_le_bytes());
        for x in v {
            b.extend_from_slice(&x.to_le_bytes());
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("partial");
    std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&b))
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(err)
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(&(s.len() as u16).to_le_bytes());
    b.extend_from_slice(s.as_bytes());
}

/// Reads a cache written by [`save`]; `None` if it was made by another algorithm.
pub fn load(path: &Path, algorithm: &Algorithm) -> Result<Option<Vec<Described>>, FaceSetError> {
    let bad = |what: &str| FaceSetError::Cache {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let mut b = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut b))
        .map_err(|e| bad(&e.to_string()))?;
    let mut c = Cursor { b: &b, p: 0 };
    if c.take(8).ok_or_else(|| bad("truncated"))? != MAGIC {
        return Err(bad("not a descriptor cache"));
    }
    let alg = c.str().ok_or_else(|| bad("truncated"))?;
    if alg != algorithm.as_str() {
        return Ok(None);
    }
    let n = c.u32().ok_or_else(|| bad("truncated"))? as usize;
    let mut out = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        let person = c.str().ok_or_else(|| bad("truncated"))?;
        let number = c.u32().ok_or_else(|| bad("truncated"))?;
        let faces = c.u16().ok_or_else(|| bad("truncated"))?;
        let dims = c.u16().ok_or_else(|| bad("truncated"))? as usize;
        let raw = c.take(dims * 4).ok_or_else(|| bad("truncated"))?;
        let v: Vec<f32> = raw
            .chunks_exact(4)
            .map(|x| f32::from_le_bytes([x[0], x[1], x[2], x[3]]))
            .collect();
        out.push(Described {
            id: ImageId { person, number },
            faces,
            vector: (dims > 0).then_some(v),
        });
    }
    Ok(Some(out))
}

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.p..self.p.checked_add(n)?)?;
        self.p += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|x| u16::from_le_bytes([x[0], x[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u16()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_round_trips_and_rejects_other_algorithms_and_garbage() {
        let dir = std::env::temp_dir().join(format!("lfr-cache-{}", std::process::id()));
        let path = dir.join("c.bin");
        let alg = Algorithm("a/b/c".into());
        let set = vec![
            Described {
                id: ImageId {
                    person: "X_Y".into(),
                    number: 3,
                },
                faces: 2,
                vector: Some(vec![0.5, -1.0]),
            },
            Described {
                id: ImageId {
                    person: "Z".into(),
                    number: 1,
                },
                faces: 0,
                vector: None,
            },
        ];
        save(&path, &alg, &set).unwrap();
        let back = load(&path, &alg).unwrap().unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].vector, Some(vec![0.5, -1.0]));
        assert_eq!(back[1].vector, None);
        assert!(load(&path, &Algorithm("other".into())).unwrap().is_none());
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        assert!(load(&path, &alg).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
