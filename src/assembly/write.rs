//! Writing an assembly: templates first, `manifest.json` last, under an exclusive lock.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Assembly;
use crate::diag::SynthError;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The lock file, on platforms where a directory cannot be locked itself (on Unix the
/// directory's own file descriptor is locked, so the directory holds only the assembly).
pub const LOCK_FILE: &str = ".stackforge.lock";

/// The suffix of template files: the ones `write` deletes when the manifest no longer
/// lists them.
pub(crate) const TEMPLATE_SUFFIX: &str = ".template.json";

/// A held lock on an assembly directory; released on drop.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: fs::File,
}

/// Locks `dir` shared (readers) or exclusive (writers), blocking until it is free.
pub(crate) fn lock_dir(dir: &Path, exclusive: bool) -> std::io::Result<Option<DirLock>> {
    let file = open_lock(dir, exclusive)?;
    let Some(file) = file else { return Ok(None) };
    if exclusive {
        fs4::FileExt::lock(&file)?;
    } else {
        fs4::FileExt::lock_shared(&file)?;
    }
    Ok(Some(DirLock { _file: file }))
}

#[cfg(unix)]
fn open_lock(dir: &Path, _exclusive: bool) -> std::io::Result<Option<fs::File>> {
    // flock(2) on the directory itself: no lock file to list, delete or race on.
    fs::File::open(dir).map(Some)
}

#[cfg(not(unix))]
fn open_lock(dir: &Path, exclusive: bool) -> std::io::Result<Option<fs::File>> {
    let path = dir.join(LOCK_FILE);
    match fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
    {
        Ok(f) => Ok(Some(f)),
        // A read-only assembly: readers go on without the lock (nobody can write it either).
        Err(e) if !exclusive && e.kind() == std::io::ErrorKind::PermissionDenied => Ok(None),
        Err(e) => Err(e),
    }
}

impl Assembly {
    /// Writes `<Stack>.template.json` for each stack, then `manifest.json` (with each
    /// template's sha256), into `dir`, and deletes the templates of an earlier synth that the
    /// new manifest does not list. Other files (`outputs.json`, assets) stay.
    ///
    /// The whole write holds an exclusive lock on the directory, and every file is written to
    /// a temporary file and renamed, so concurrent `synth` runs and readers
    /// ([`crate::assembly::CloudAssembly::read`]) always see one consistent set, and a failed
    /// synth never leaves a half-written file behind. Returns the written paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, SynthError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SynthError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let _lock = lock_dir(dir, true).map_err(io(dir))?;
        let mut written = Vec::new();
        // Assets first (content-addressed: an existing file with the same name has the same
        // bytes), so the manifest never lists a missing one.
        for (sha, bytes) in &self.asset_contents {
            let path = dir.join("assets").join(format!("{sha}.zip"));
            if !path.is_file() {
                fs::create_dir_all(dir.join("assets")).map_err(io(dir))?;
                write_atomic(&path, bytes.as_bytes())?;
            }
            written.push(path);
        }
        for s in &self.stacks {
            let path = dir.join(s.file_name());
            write_atomic(&path, s.pretty.as_bytes())?;
            written.push(path);
        }
        let mut manifest = serde_json::to_string_pretty(&self.manifest()).unwrap_or_default();
        manifest.push('\n');
        let path = dir.join(MANIFEST_FILE);
        write_atomic(&path, manifest.as_bytes())?;
        written.push(path);
        // Templates of stacks that are gone, and temporary files of writers that crashed
        // (no writer is running: we hold the exclusive lock).
        let listed: Vec<String> = self.stacks.iter().map(|s| s.file_name()).collect();
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale_template = name.ends_with(TEMPLATE_SUFFIX) && !listed.contains(&name);
            let stale_tmp = name.starts_with('.')
                && name.ends_with(".tmp")
                && (name.contains(".template.json.") || name.starts_with(".manifest.json."));
            if (stale_template || stale_tmp) && entry.file_type().is_ok_and(|t| t.is_file()) {
                fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
            }
        }
        Ok(written)
    }
}

/// Replaces the file `name` (such as `outputs.json`) in the assembly directory `dir`
/// atomically, under the exclusive lock, so it never races a `synth` into the same directory.
pub fn write_file_locked(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SynthError> {
    let io = |source| SynthError::Io {
        path: dir.to_owned(),
        source,
    };
    fs::create_dir_all(dir).map_err(io)?;
    let _lock = lock_dir(dir, true).map_err(io)?;
    write_atomic(&dir.join(name), bytes)
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    let io = |source| SynthError::Io {
        path: path.to_owned(),
        source,
    };
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    // Unique per process and per call, so concurrent writers (threads, test cases) never
    // share a temporary file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{file_name}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}
