//! Reproduces host files under a target folder at the same absolute paths.
//!
//! The host path is walked one component at a time. A host symlink on the
//! way becomes the same symlink in the target (an absolute link text is
//! rewritten relative to its folder, so it resolves inside the target both
//! from the host and after `chroot`), and the walk goes on along its text.
//! So a file is stored once, at its real path, and every other spelling of
//! it is a symlink, as on the host.
//!
//! The target is only ever reached through `openat` with `O_NOFOLLOW` from a
//! handle on the target folder: a symlink already in the target is never
//! followed. Where the host has a folder and the target has a symlink, the
//! copy is rejected; a symlink where the host has a different symlink is
//! replaced. Files are written to a temporary name in the same folder and
//! renamed, so a run that is killed or fails leaves no truncated file at a
//! final path. Nothing is flushed to disk (no fsync(2), like `cp -p`): after
//! a machine crash or power loss, a file copied shortly before may be empty
//! or partly written at its final path, depending on the file system. Run
//! the tool again to rebuild the jail then.
//! Hard links between copied files are not recreated.

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::fcntl::{OFlag, openat, renameat};
use nix::sys::stat::{Mode, SFlag, fchmod, fstatat, futimens, mkdirat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, symlinkat, unlinkat};
use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// The kernel's limit on symlinks followed in one lookup (`MAXSYMLINKS`).
const MAX_SYMLINK_HOPS: usize = 40;

/// Attempts to create one symlink while other runs change the same name.
/// Runs that copy from the same host write the same text, so the second
/// attempt finds the symlink in place.
const MAX_RACE_RETRIES: usize = 8;

/// Result of placing one path in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A regular file was copied.
    Copied,
    /// A file already existed and `--no-clobber` kept it.
    Skipped,
    /// A symlink was created or already matched; the text is given.
    Linked(PathBuf),
}

/// One line of progress: a host path and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The host path as it is reproduced (the real path for files).
    pub path: PathBuf,
    /// Action taken.
    pub action: Action,
}

/// A target folder opened for writing.
#[derive(Debug)]
pub struct Jail {
    root: OwnedFd,
    root_path: PathBuf,
    no_clobber: bool,
    done: HashSet<PathBuf>,
}

impl Jail {
    /// Opens `target`, creating it (and its parents) if missing.
    pub fn open(target: &Path, no_clobber: bool) -> Result<Jail> {
        match fs::metadata(target) {
            Ok(metadata) if !metadata.is_dir() => {
                bail!(
                    "invalid target {}: not a folder: name a folder",
                    target.display()
                )
            }
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => fs::create_dir_all(target)
                .with_context(|| format!("failed to create target {}", target.display()))?,
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("failed to read target {}", target.display()));
            }
        }
        let root = File::open(target)
            .with_context(|| format!("failed to open target {}", target.display()))?;
        Ok(Jail {
            root: root.into(),
            root_path: target.to_path_buf(),
            no_clobber,
            done: HashSet::new(),
        })
    }

    /// Reproduces `host_path` (absolute) with every symlink on its way, and
    /// returns one progress entry per file or symlink written.
    pub fn reproduce(&mut self, host_path: &Path) -> Result<Vec<Progress>> {
        let mut progress = Vec::new();
        let mut pending: VecDeque<OsString> = normal_components(host_path);
        let mut real = PathBuf::from("/");
        let mut hops = 0;
        while let Some(component) = pending.pop_front() {
            if component == ".." {
                real.pop();
                continue;
            }
            let host = real.join(&component);
            let metadata = fs::symlink_metadata(&host)
                .with_context(|| format!("failed to read {}", host.display()))?;
            if metadata.file_type().is_symlink() {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    bail!(
                        "failed to follow {}: too many symlinks",
                        host_path.display()
                    );
                }
                let text = fs::read_link(&host)
                    .with_context(|| format!("failed to read symlink {}", host.display()))?;
                progress.extend(self.place_symlink(&real, &component, &text)?);
                let mut rest = normal_components(&text);
                rest.extend(pending);
                pending = rest;
                if text.is_absolute() {
                    real = PathBuf::from("/");
                }
            } else if metadata.is_dir() {
                real = host;
            } else if !pending.is_empty() {
                bail!(
                    "failed to follow {}: {} is not a folder",
                    host_path.display(),
                    host.display()
                );
            } else {
                progress.extend(self.place_file(&real, &component, &metadata)?);
                return Ok(progress);
            }
        }
        bail!(
            "invalid file {}: it is a folder, not a file",
            host_path.display()
        )
    }

    /// Opens the target folder for the real host folder `real`, creating
    /// missing folders with the host's mode bits.
    fn open_dir(&self, real: &Path) -> Result<OwnedFd> {
        let mut current = self
            .root
            .try_clone()
            .context("failed to duplicate target handle")?;
        let mut host = PathBuf::from("/");
        for component in normal_components(real) {
            host.push(&component);
            let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            match openat(current.as_fd(), component.as_os_str(), flags, Mode::empty()) {
                Ok(next) => current = next,
                Err(Errno::ENOENT) => {
                    let mode = fs::metadata(&host)
                        .map(|m| m.mode() & 0o7777)
                        .unwrap_or(0o755);
                    // EEXIST: another run filling the same target made it.
                    match mkdirat(
                        current.as_fd(),
                        component.as_os_str(),
                        Mode::from_bits_truncate(mode),
                    ) {
                        Ok(()) | Err(Errno::EEXIST) => {}
                        Err(err) => {
                            return Err(err).with_context(|| self.failure("create folder", &host));
                        }
                    }
                    current = openat(current.as_fd(), component.as_os_str(), flags, Mode::empty())
                        .with_context(|| self.failure("open folder", &host))?;
                }
                Err(Errno::ELOOP | Errno::ENOTDIR) => bail!(
                    "refusing to write through {}: the host has a folder there but the target has a symlink or file: remove it",
                    self.target_path(&host).display()
                ),
                Err(err) => return Err(err).with_context(|| self.failure("open folder", &host)),
            }
        }
        Ok(current)
    }

    fn target_path(&self, host: &Path) -> PathBuf {
        self.root_path.join(host.strip_prefix("/").unwrap_or(host))
    }

    fn failure(&self, operation: &str, host: &Path) -> String {
        format!("failed to {operation} {}", self.target_path(host).display())
    }

    /// Creates the symlink `real/name` with the host's text, made relative.
    fn place_symlink(
        &mut self,
        real: &Path,
        name: &OsStr,
        text: &Path,
    ) -> Result<Option<Progress>> {
        let host = real.join(name);
        if self.done.contains(&host) {
            return Ok(None);
        }
        let text = relative_link_text(real, text);
        let dir = self.open_dir(real)?;
        // Another run filling the same target may create the same symlink
        // between the check and symlinkat(2); then check again.
        let mut placed = false;
        for _ in 0..MAX_RACE_RETRIES {
            if self.symlink_matches(&dir, name, &host, &text)? {
                placed = true;
                break;
            }
            match symlinkat(text.as_os_str(), dir.as_fd(), name) {
                Ok(()) => {
                    placed = true;
                    break;
                }
                Err(Errno::EEXIST) => {}
                Err(err) => return Err(err).with_context(|| self.failure("create symlink", &host)),
            }
        }
        if !placed {
            bail!(
                "failed to create symlink {}: other processes keep replacing it",
                self.target_path(&host).display()
            );
        }
        self.done.insert(host.clone());
        Ok(Some(Progress {
            path: host,
            action: Action::Linked(text),
        }))
    }

    /// Returns true when `dir/name` is already a symlink to `text`, and
    /// removes a symlink with another text.
    fn symlink_matches(
        &self,
        dir: &OwnedFd,
        name: &OsStr,
        host: &Path,
        text: &Path,
    ) -> Result<bool> {
        match fstatat(dir.as_fd(), name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
            Err(Errno::ENOENT) => Ok(false),
            Ok(stat)
                if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK =>
            {
                let current = nix::fcntl::readlinkat(dir.as_fd(), name)
                    .with_context(|| self.failure("read symlink", host))?;
                if Path::new(&current) == text {
                    return Ok(true);
                }
                match unlinkat(dir.as_fd(), name, UnlinkatFlags::NoRemoveDir) {
                    Ok(()) | Err(Errno::ENOENT) => Ok(false),
                    Err(err) => Err(err).with_context(|| self.failure("replace symlink", host)),
                }
            }
            Ok(_) => bail!(
                "refusing to replace {}: the host has a symlink there but the target has a file or folder: remove it",
                self.target_path(host).display()
            ),
            Err(err) => Err(err).with_context(|| self.failure("read", host)),
        }
    }

    /// Copies the regular file `real/name` through a temporary name.
    fn place_file(
        &mut self,
        real: &Path,
        name: &OsStr,
        metadata: &fs::Metadata,
    ) -> Result<Option<Progress>> {
        let host = real.join(name);
        if self.done.contains(&host) {
            return Ok(None);
        }
        if !metadata.is_file() {
            bail!("unsupported file {}: not a regular file", host.display());
        }
        let dir = self.open_dir(real)?;
        match fstatat(dir.as_fd(), name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
            Err(Errno::ENOENT) => {}
            Ok(stat)
                if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR =>
            {
                bail!(
                    "refusing to replace folder {} with a file: remove it",
                    self.target_path(&host).display()
                )
            }
            Ok(_) if self.no_clobber => {
                self.done.insert(host.clone());
                return Ok(Some(Progress {
                    path: host,
                    action: Action::Skipped,
                }));
            }
            Ok(_) => {}
            Err(err) => return Err(err).with_context(|| self.failure("read", &host)),
        }
        let mut temporary = OsString::from(".");
        temporary.push(name);
        temporary.push(format!(".binlibdepcp-{}", std::process::id()));
        // A file under this name is left by a killed run that had our PID;
        // no live process owns it, so clear it for O_EXCL.
        match unlinkat(
            dir.as_fd(),
            temporary.as_os_str(),
            UnlinkatFlags::NoRemoveDir,
        ) {
            Ok(()) | Err(Errno::ENOENT) => {}
            Err(err) => {
                return Err(err).with_context(|| self.failure("remove stale copy of", &host));
            }
        }
        let written = self.write_temporary(&dir, &temporary, &host, metadata);
        let renamed = written.and_then(|()| {
            renameat(dir.as_fd(), temporary.as_os_str(), dir.as_fd(), name)
                .with_context(|| self.failure("rename into", &host))
        });
        if let Err(err) = renamed {
            let _ = unlinkat(
                dir.as_fd(),
                temporary.as_os_str(),
                UnlinkatFlags::NoRemoveDir,
            );
            return Err(err);
        }
        self.done.insert(host.clone());
        Ok(Some(Progress {
            path: host,
            action: Action::Copied,
        }))
    }

    /// Writes the content, mode, owner and times of `host` to a new file,
    /// like `cp -p`.
    fn write_temporary(
        &self,
        dir: &OwnedFd,
        temporary: &OsStr,
        host: &Path,
        metadata: &fs::Metadata,
    ) -> Result<()> {
        let flags =
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(
            dir.as_fd(),
            temporary,
            flags,
            Mode::from_bits_truncate(0o600),
        )
        .with_context(|| self.failure("create", host))?;
        let mut output = File::from(fd);
        let mut input =
            File::open(host).with_context(|| format!("failed to read {}", host.display()))?;
        // Between two files, io::copy uses copy_file_range(2), so the data
        // stays in the kernel.
        io::copy(&mut input, &mut output).with_context(|| self.failure("write", host))?;
        // Ownership first: chown clears the set-user-ID and set-group-ID bits.
        // Only root may give files away, so a failure as another user is
        // expected and leaves the caller as owner.
        let _ = fchown(
            output.as_fd(),
            Some(Uid::from_raw(metadata.uid())),
            Some(Gid::from_raw(metadata.gid())),
        );
        fchmod(
            output.as_fd(),
            Mode::from_bits_truncate(metadata.mode() & 0o7777),
        )
        .with_context(|| self.failure("set mode of", host))?;
        let accessed = TimeSpec::new(metadata.atime(), metadata.atime_nsec());
        let modified = TimeSpec::new(metadata.mtime(), metadata.mtime_nsec());
        futimens(output.as_fd(), &accessed, &modified)
            .with_context(|| self.failure("set times of", host))?;
        // No fsync: see the module documentation for what a crash leaves.
        Ok(())
    }
}

/// Splits a path into its names and `..`, dropping the root and `.`.
fn normal_components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// Rewrites an absolute link text as a path relative to the link's real
/// folder: going up once per component of a folder without symlinks always
/// reaches "/", so the result names the same file, inside the target.
pub fn relative_link_text(real_dir: &Path, text: &Path) -> PathBuf {
    if !text.is_absolute() {
        return text.to_path_buf();
    }
    let depth = normal_components(real_dir).len();
    let mut relative = PathBuf::new();
    for _ in 0..depth {
        relative.push("..");
    }
    let rest = text.strip_prefix("/").unwrap_or(text);
    if depth == 0 && rest.as_os_str().is_empty() {
        return PathBuf::from(".");
    }
    let joined = relative.join(rest);
    if joined.as_os_str().as_bytes().is_empty() {
        PathBuf::from(".")
    } else {
        joined
    }
}
