//! Opens candidate files as the loader's `open_verify` does, and remembers
//! what it read from the file system for the rest of the run.
//!
//! One run resolves many programs that share most libraries, and each
//! library is reached under several paths (symlinks, a merged /usr). So the
//! outcome of opening a file is stored twice. Stored by the path tried, it
//! saves even the stat(2) of a path tried before. Stored by device and
//! inode, it keeps a file reached under a new path from being read again.
//! A file is read with a [`FileReader`], which reads its headers and dynamic
//! strings, not the whole file. The cache also keeps the real path of each
//! program folder and each `/etc/ld.so.cache` lookup, which every program
//! repeats.
//!
//! The cache assumes that no file changes during one run, as the loader
//! does while it loads one program.

use crate::cache::LdSoCache;
use crate::elf::{DynamicInfo, FileReader, Identity};
use crate::profile::LoaderProfile;
use crate::resolve::describe;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Device and inode of a file, the loader's `l_file_id`.
pub type FileId = (u64, u64);

/// The outcome of opening one candidate file.
#[derive(Debug, Clone)]
pub enum Probe {
    /// Loadable: use it.
    Usable {
        /// Its dynamic section facts.
        info: Arc<DynamicInfo>,
        /// Its device and inode.
        file_id: FileId,
    },
    /// Absent, or of the other class or machine: keep searching.
    Skip,
    /// The loader stops the whole load with this error.
    Fatal(String),
}

/// The outcome of reading one file as an ELF object, whatever path reached it.
#[derive(Debug, Clone)]
enum Verdict {
    /// An x86_64 object the loader maps.
    Loadable(Arc<DynamicInfo>),
    /// ELF of the other class or of another machine.
    Foreign,
    /// Rejected by `open_verify`, for the reason given.
    Rejected(String),
    /// An x86_64 object whose dynamic section cannot be read, for the
    /// reason given.
    Damaged(String),
}

/// Record of what one run read from the file system: the outcome of each probe and
/// of each file parsed, real folder paths and cache lookups.
#[derive(Debug, Default)]
pub struct ObjectCache {
    probes: HashMap<PathBuf, Probe>,
    verdicts: HashMap<FileId, Verdict>,
    /// Real paths of folders, by the path given.
    real_folders: HashMap<PathBuf, PathBuf>,
    /// Outcomes of [`ObjectCache::interpreter`], by path.
    interpreters: HashMap<PathBuf, Result<(Arc<DynamicInfo>, FileId), String>>,
    /// `/etc/ld.so.cache` lookups, by library name.
    lookups: HashMap<Vec<u8>, Option<PathBuf>>,
    /// [`LoaderProfile::search_subdirs`], computed on first use.
    subdirs: Option<Arc<[String]>>,
}

impl ObjectCache {
    /// Returns an empty cache.
    pub fn new() -> ObjectCache {
        ObjectCache::default()
    }

    /// Opens `path` as a library candidate, or returns the outcome of an
    /// earlier call for the same path.
    pub fn probe(&mut self, path: &Path) -> Probe {
        if let Some(probe) = self.probes.get(path) {
            return probe.clone();
        }
        let probe = self.probe_uncached(path);
        self.probes.insert(path.to_path_buf(), probe.clone());
        probe
    }

    fn probe_uncached(&mut self, path: &Path) -> Probe {
        // ENOENT and EACCES both make the loader go on.
        let Ok(metadata) = fs::metadata(path) else {
            return Probe::Skip;
        };
        if metadata.is_dir() {
            // The loader's read(2) of the ELF header fails with EISDIR.
            return Probe::Skip;
        }
        if !metadata.is_file() {
            // The loader would block on a FIFO and read a device. Both are
            // reported instead, so that a probe does not hang on them.
            return Probe::Fatal(format!("{}: not a regular file", path.display()));
        }
        let file_id = (metadata.dev(), metadata.ino());
        let verdict = match self.verdict(path, &metadata) {
            Ok(verdict) => verdict,
            Err(_) => return Probe::Skip,
        };
        match verdict {
            Verdict::Loadable(info) => Probe::Usable { info, file_id },
            Verdict::Foreign => Probe::Skip,
            Verdict::Rejected(reason) | Verdict::Damaged(reason) => {
                Probe::Fatal(format!("{}: {reason}", path.display()))
            }
        }
    }

    /// Returns the real path of `path` (absolute), as realpath(3) does, where
    /// `is_symlink` comes from the caller's lstat(2) of `path`. For a file
    /// that is not a symlink it is the real path of its folder, computed
    /// once per folder, with its name. A path that cannot be resolved is
    /// returned as it is.
    pub fn real_path(&mut self, path: &Path, is_symlink: bool) -> PathBuf {
        let (Some(folder), Some(name), false) = (path.parent(), path.file_name(), is_symlink)
        else {
            return fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        };
        let real_folder = self
            .real_folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()));
        real_folder.join(name)
    }

    /// Returns the hwcap subfolders searched in every folder, computed once
    /// per run from `profile`, which must be the same at every call.
    pub fn search_subdirs(&mut self, profile: &LoaderProfile) -> Arc<[String]> {
        Arc::clone(
            self.subdirs
                .get_or_insert_with(|| profile.search_subdirs().into()),
        )
    }

    /// Looks `name` up in `cache` with [`LdSoCache::lookup`], once per name.
    pub fn cache_lookup(
        &mut self,
        cache: &LdSoCache,
        name: &[u8],
        profile: &LoaderProfile,
    ) -> Option<PathBuf> {
        if let Some(path) = self.lookups.get(name) {
            return path.clone();
        }
        let path = cache
            .lookup(name, profile)
            .map(|path| PathBuf::from(OsStr::from_bytes(path)));
        self.lookups.insert(name.to_vec(), path.clone());
        path
    }

    /// Reads the interpreter named by a program's `PT_INTERP`.
    ///
    /// Returns its dynamic section facts and its device and inode, or the
    /// reason why it cannot be loaded, without the path.
    pub fn interpreter(&mut self, path: &Path) -> Result<(Arc<DynamicInfo>, FileId), String> {
        if let Some(result) = self.interpreters.get(path) {
            return result.clone();
        }
        let result = self.interpreter_uncached(path);
        self.interpreters.insert(path.to_path_buf(), result.clone());
        result
    }

    fn interpreter_uncached(&mut self, path: &Path) -> Result<(Arc<DynamicInfo>, FileId), String> {
        // A device or FIFO named as PT_INTERP would make the read never end.
        let metadata = fs::metadata(path).map_err(|err| describe(&err))?;
        if !metadata.is_file() {
            return Err("not a regular file".into());
        }
        let file_id = (metadata.dev(), metadata.ino());
        match self.verdict(path, &metadata) {
            Ok(Verdict::Loadable(info)) => Ok((info, file_id)),
            Ok(Verdict::Foreign | Verdict::Rejected(_)) => Err("not an x86_64 ELF object".into()),
            Ok(Verdict::Damaged(reason)) => Err(reason),
            Err(err) => Err(describe(&err)),
        }
    }

    /// Reads the regular file `path`, whose `metadata` was just taken, or
    /// returns the verdict on the same device and inode. Fails only when the
    /// file cannot be opened, because read errors are part of the verdict.
    fn verdict(&mut self, path: &Path, metadata: &fs::Metadata) -> io::Result<Verdict> {
        let file_id = (metadata.dev(), metadata.ino());
        if let Some(verdict) = self.verdicts.get(&file_id) {
            return Ok(verdict.clone());
        }
        let file = File::open(path)?;
        let verdict = match FileReader::new(file, metadata.len()) {
            Ok(reader) => read_verdict(&reader),
            Err(err) => Verdict::Damaged(describe(&err)),
        };
        self.verdicts.insert(file_id, verdict.clone());
        Ok(verdict)
    }
}

fn read_verdict(reader: &FileReader) -> Verdict {
    match reader.identify() {
        Identity::Loadable => {}
        Identity::WrongClass | Identity::WrongMachine(_) => return Verdict::Foreign,
        Identity::Rejected(reason) => return Verdict::Rejected(reason),
    }
    match reader.dynamic_info() {
        Ok(info) => Verdict::Loadable(Arc::new(info)),
        Err(err) => Verdict::Damaged(err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the loader's path and its real path, which differ on
    /// Debian (/lib64 contains a symlink), or `None` where they are the same.
    fn two_spellings() -> Option<(PathBuf, PathBuf)> {
        let link = PathBuf::from("/lib64/ld-linux-x86-64.so.2");
        let real = fs::canonicalize(&link).ok()?;
        (link != real).then_some((link, real))
    }

    #[test]
    fn same_file_parsed_once() {
        let Some((link, real)) = two_spellings() else {
            eprintln!("skipped: the loader has one path only");
            return;
        };
        let mut cache = ObjectCache::new();
        let Probe::Usable { info: first, .. } = cache.probe(&link) else {
            panic!("{} is not usable", link.display());
        };
        let Probe::Usable { info: second, .. } = cache.probe(&real) else {
            panic!("{} is not usable", real.display());
        };
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.verdicts.len(), 1);
        assert_eq!(cache.probes.len(), 2);
    }

    #[test]
    fn missing_path_skipped() {
        let mut cache = ObjectCache::new();
        let path = Path::new("/nonexistent/libnothing.so.1");
        assert!(matches!(cache.probe(path), Probe::Skip));
        assert!(matches!(cache.probe(path), Probe::Skip));
        assert!(cache.verdicts.is_empty());
    }

    #[test]
    fn partial_read_matches_whole_file() {
        for path in ["/bin/ls", "/lib/x86_64-linux-gnu/libc.so.6"] {
            let data = fs::read(path).unwrap();
            let whole = crate::elf::read_dynamic_info(&data).unwrap();
            let file = File::open(path).unwrap();
            let size = file.metadata().unwrap().len();
            let reader = FileReader::new(file, size).unwrap();
            assert_eq!(reader.dynamic_info().unwrap(), whole, "{path}");
        }
    }
}
