//! Function code: a directory or a file packaged as a **deterministic zip** and staged in the
//! assembly as a file asset ([`stackforge::Scope::add_asset`]), or a one-file handler inline.
//!
//! The zip is the same bytes on every machine and every run, so its content hash (the S3 key,
//! `assets/<sha256>.zip`) changes exactly when the code does: a change deploys, no change is a
//! no-op. Entries are the regular files under the directory, named by their path relative to
//! it with `/` separators and sorted by that name; directories get no entries of their own.
//! Every entry has the same timestamp (1980-01-01 00:00, the zip epoch), a Unix mode of
//! `0644`, or `0755` when the file has any execute bit (a custom runtime's `bootstrap` must
//! stay executable; the umask and group/other bits of the machine are not recorded), no
//! extra fields (no owner, no extended timestamps), and Deflate at level 6 (flate2's pure-Rust
//! backend, pinned in the lockfile).
//!
//! ```
//! # fn main() -> Result<(), stackforge_modules::code::CodeError> {
//! let dir = std::env::temp_dir().join(format!("sf-code-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("index.py"), "def handler(event, context):\n    return 1\n").unwrap();
//! let a = stackforge_modules::code::zip_dir(&dir)?;
//! let b = stackforge_modules::code::zip_dir(&dir)?;
//! assert_eq!(a, b);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(()) }
//! ```

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use stackforge::Val;

/// Lambda's limit on a function's unzipped code: 250 MB.
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;

/// How deep a directory tree may go (a guard against pathological trees).
const MAX_DEPTH: usize = 64;

/// Why code could not be packaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The directory holds no file.
    #[error("{path}: the directory holds no file to package")]
    Empty {
        /// The directory.
        path: PathBuf,
    },
    /// A name that is not UTF-8 (zip entry names must be portable).
    #[error("{path}: the name is not UTF-8")]
    NotUtf8 {
        /// The path.
        path: PathBuf,
    },
    /// A symbolic link to a directory, or a tree deeper than 64 levels.
    #[error("{path}: {why}")]
    Unsupported {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        why: &'static str,
    },
    /// More than Lambda's 250 MB of unzipped code.
    #[error("{path}: {bytes} bytes unzipped, over Lambda's limit of 262,144,000")]
    TooLarge {
        /// The directory or file.
        path: PathBuf,
        /// The total size.
        bytes: u64,
    },
    /// The zip writer failed.
    #[error("zip: {0}")]
    Zip(String),
}

/// A function's code.
#[derive(Clone, Debug, PartialEq)]
pub enum Code {
    /// A directory, zipped deterministically into the assembly at synth.
    Directory(PathBuf),
    /// One file, zipped deterministically at the root of the archive under its own name.
    File(PathBuf),
    /// Source text in the template (`ZipFile`): one-file Node.js or Python handlers up to
    /// 4 KB. Lambda names the file `index` (`index.py`, `index.js`/`index.mjs`).
    Inline(String),
    /// A zip already in S3.
    S3 {
        /// The bucket.
        bucket: Val<String>,
        /// The key.
        key: Val<String>,
    },
}

impl Code {
    /// The files of a directory.
    pub fn from_dir(path: impl Into<PathBuf>) -> Self {
        Code::Directory(path.into())
    }
    /// One file.
    pub fn from_file(path: impl Into<PathBuf>) -> Self {
        Code::File(path.into())
    }
    /// Inline source for a one-file handler.
    pub fn inline(source: impl Into<String>) -> Self {
        Code::Inline(source.into())
    }
}

/// A file to put into the archive: its entry name, where it is, whether it is executable.
struct Entry {
    name: String,
    path: PathBuf,
    executable: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CodeError + '_ {
    move |source| CodeError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(unix)]
fn is_executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

fn collect(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<Entry>) -> Result<(), CodeError> {
    if depth > MAX_DEPTH {
        return Err(CodeError::Unsupported {
            path: dir.to_owned(),
            why: "the tree is deeper than 64 directories",
        });
    }
    for item in std::fs::read_dir(dir).map_err(io(dir))? {
        let item = item.map_err(io(dir))?;
        let path = item.path();
        let name = item
            .file_name()
            .into_string()
            .map_err(|_| CodeError::NotUtf8 { path: path.clone() })?;
        let link = std::fs::symlink_metadata(&path).map_err(io(&path))?;
        // Follows symbolic links to files (their content is packaged); refuses links to
        // directories, which could loop.
        let meta = std::fs::metadata(&path).map_err(io(&path))?;
        let entry_name = format!("{prefix}{name}");
        if meta.is_dir() {
            if link.file_type().is_symlink() {
                return Err(CodeError::Unsupported {
                    path,
                    why: "a symbolic link to a directory (copy the directory instead)",
                });
            }
            collect(&path, &format!("{entry_name}/"), depth + 1, out)?;
        } else if meta.is_file() {
            out.push(Entry {
                name: entry_name,
                executable: is_executable(&meta),
                path,
            });
        }
    }
    Ok(())
}

fn write_zip(source: &Path, mut entries: Vec<Entry>) -> Result<Vec<u8>, CodeError> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut total: u64 = 0;
    let mut zw = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for e in &entries {
        let bytes = std::fs::read(&e.path).map_err(io(&e.path))?;
        total += bytes.len() as u64;
        if total > MAX_UNZIPPED_BYTES {
            return Err(CodeError::TooLarge {
                path: source.to_owned(),
                bytes: total,
            });
        }
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(if e.executable { 0o755 } else { 0o644 })
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        zw.start_file(e.name.as_str(), options)
            .map_err(|err| CodeError::Zip(err.to_string()))?;
        zw.write_all(&bytes).map_err(io(&e.path))?;
    }
    let cursor = zw.finish().map_err(|err| CodeError::Zip(err.to_string()))?;
    Ok(cursor.into_inner())
}

/// The deterministic zip of every regular file under `dir` (see the module docs).
pub fn zip_dir(dir: &Path) -> Result<Vec<u8>, CodeError> {
    let meta = std::fs::metadata(dir).map_err(io(dir))?;
    if !meta.is_dir() {
        return Err(CodeError::Io {
            path: dir.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        });
    }
    let mut entries = Vec::new();
    collect(dir, "", 0, &mut entries)?;
    if entries.is_empty() {
        return Err(CodeError::Empty {
            path: dir.to_owned(),
        });
    }
    write_zip(dir, entries)
}

/// The deterministic zip of one file, at the root of the archive under its own name.
pub fn zip_file(file: &Path) -> Result<Vec<u8>, CodeError> {
    let meta = std::fs::metadata(file).map_err(io(file))?;
    if !meta.is_file() {
        return Err(CodeError::Io {
            path: file.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"),
        });
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CodeError::NotUtf8 {
            path: file.to_owned(),
        })?
        .to_owned();
    write_zip(
        file,
        vec![Entry {
            name,
            path: file.to_owned(),
            executable: is_executable(&meta),
        }],
    )
}
