//! Finds every file the x86_64 glibc loader opens to start a program, in the
//! loader's order, without running anything.
//!
//! The order follows glibc 2.36 elf/dl-deps.c (`_dl_map_object_deps`: the
//! `DT_NEEDED` entries breadth-first, each mapped as soon as it is read) and
//! elf/dl-load.c (`_dl_map_object`), as ld.so(8) describes it:
//!
//! 1. a name already loaded (as a path, a requested name or a `DT_SONAME`)
//!    is reused, not searched;
//! 2. a name with a slash is a path, with tokens expanded;
//! 3. otherwise, in this order:
//!    - `DT_RPATH` of the requesting object, then of the object that loaded
//!      it and so on up to the executable, unless the requesting object has
//!      `DT_RUNPATH`,
//!    - `LD_LIBRARY_PATH`,
//!    - `DT_RUNPATH` of the requesting object only,
//!    - /etc/ld.so.cache and the default folders, both skipped for a
//!      requester with `DF_1_NODEFLIB`.
//!
//! Inside each folder the glibc-hwcaps and legacy hwcap subfolders are tried
//! first. A found file that is the same file (device and inode) as a loaded
//! object is that object. Preloading, auditing and `dlopen` are left out.

use crate::cache::LdSoCache;
use crate::elf::{DynamicInfo, FileReader, Identity};
use crate::objects::{FileId, ObjectCache, Probe};
use crate::profile::LoaderProfile;
use crate::tokens::{TokenValues, expand_tokens, split_search_list};
use std::collections::{HashSet, VecDeque};
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Maximum nesting of `#!` interpreters, the kernel's `BINPRM_MAX_RECURSION`.
const MAX_SCRIPT_DEPTH: usize = 4;

/// Maximum number of objects in one program, so that a hostile graph cannot
/// make the walk run for ever (the loader has no such limit, but no real
/// program comes close).
const MAX_OBJECTS: usize = 4096;

/// The rule that found a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The program's `PT_INTERP`.
    Interpreter,
    /// A `DT_NEEDED` entry with a slash, used as a path.
    Path,
    /// `DT_RPATH` of the named object.
    Rpath(PathBuf),
    /// The `--library-path` list, standing for `LD_LIBRARY_PATH`.
    LibraryPath,
    /// `DT_RUNPATH` of the requesting object.
    Runpath(PathBuf),
    /// An /etc/ld.so.cache entry.
    Cache,
    /// A default folder.
    DefaultDir,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Interpreter => write!(f, "PT_INTERP"),
            Rule::Path => write!(f, "path in DT_NEEDED"),
            Rule::Rpath(owner) => write!(f, "RPATH of {}", owner.display()),
            Rule::LibraryPath => write!(f, "LD_LIBRARY_PATH"),
            Rule::Runpath(owner) => write!(f, "RUNPATH of {}", owner.display()),
            Rule::Cache => write!(f, "ld.so.cache"),
            Rule::DefaultDir => write!(f, "default folder"),
        }
    }
}

/// One object in the load order.
#[derive(Debug, Clone)]
pub struct LoadedObject {
    /// Path the loader opened it by (its `l_name`).
    pub path: PathBuf,
    /// Dynamic section facts, shared with every other tree of the run that
    /// loads the same file.
    pub info: Arc<DynamicInfo>,
    /// Value of `$ORIGIN` in its strings.
    pub origin: Vec<u8>,
    /// Index of the object whose `DT_NEEDED` loaded it first.
    pub loader: Option<usize>,
    /// Names it is known by: requested names, its path and its `DT_SONAME`.
    pub names: Vec<Vec<u8>>,
    /// Device and inode, to recognise the same file under another path.
    pub file_id: Option<FileId>,
}

/// The folders one rule searched for a missing library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchStep {
    /// The rule.
    pub rule: Rule,
    /// Folders in the order tried; for the cache, the path it pointed to.
    pub folders: Vec<PathBuf>,
}

/// Result of the search for one `DT_NEEDED` entry.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Found by `rule` at `path`, giving object `object`; `object` may be an
    /// earlier object when the file is the same.
    Found {
        /// Object index.
        object: usize,
        /// The rule that found it.
        rule: Rule,
        /// Path of the file.
        path: PathBuf,
    },
    /// Matched an object already loaded, without a search.
    AlreadyLoaded {
        /// Object index.
        object: usize,
    },
    /// Not found, or found but the loader would stop with `error`.
    Missing {
        /// Rules and folders tried, in order.
        tried: Vec<SearchStep>,
        /// The loader's error for a file it cannot load.
        error: Option<String>,
    },
}

/// One `DT_NEEDED` entry and its outcome.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// Index of the object that has the entry.
    pub requester: usize,
    /// The entry.
    pub name: Vec<u8>,
    /// The outcome.
    pub outcome: Outcome,
}

/// Everything one program needs.
#[derive(Debug, Clone, Default)]
pub struct LoadTree {
    /// The path given, then each `#!` interpreter in turn.
    pub programs: Vec<PathBuf>,
    /// The ELF executable at the end of the `#!` chain.
    pub executable: PathBuf,
    /// Objects: the executable first, then the interpreter (for a
    /// dynamically linked program), then libraries in load order.
    pub objects: Vec<LoadedObject>,
    /// Every `DT_NEEDED` entry in the order the loader reads them.
    pub dependencies: Vec<Dependency>,
    /// True for a static executable, which needs no other file.
    pub is_static: bool,
}

impl LoadTree {
    /// Returns every host path the program opens, in load order: the
    /// programs, the interpreter and each found library path.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files = self.programs.clone();
        files.extend(
            self.objects
                .iter()
                .skip(1)
                .map(|object| object.path.clone()),
        );
        for dependency in &self.dependencies {
            if let Outcome::Found { path, .. } = &dependency.outcome {
                files.push(path.clone());
            }
        }
        let mut seen = HashSet::new();
        files.retain(|path| seen.insert(path.clone()));
        files
    }

    /// Returns the dependencies that the loader could not satisfy.
    pub fn missing(&self) -> impl Iterator<Item = &Dependency> {
        self.dependencies
            .iter()
            .filter(|dependency| matches!(dependency.outcome, Outcome::Missing { .. }))
    }
}

/// Inputs to the search besides the program.
#[derive(Debug, Clone)]
pub struct SearchConfig {
    /// The host loader's values.
    pub profile: LoaderProfile,
    /// The parsed /etc/ld.so.cache, `None` when absent or ignored.
    pub cache: Option<LdSoCache>,
    /// `LD_LIBRARY_PATH` to apply, `None` for the jail's empty environment.
    pub library_path: Option<Vec<u8>>,
}

/// An input program that cannot be handled.
#[derive(Debug)]
pub struct ProgramError(pub String);

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProgramError {}

fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// Opens a program (or a `#!` interpreter) for reading its start and its
/// dynamic section, and returns whether `path` itself is a symlink.
fn open_program(path: &Path) -> Result<(FileReader, bool), ProgramError> {
    let failure = |err: io::Error| {
        ProgramError(format!(
            "failed to read {}: {}",
            path.display(),
            describe(&err)
        ))
    };
    let mut metadata = fs::symlink_metadata(path).map_err(failure)?;
    let is_symlink = metadata.file_type().is_symlink();
    if is_symlink {
        metadata = fs::metadata(path).map_err(failure)?;
    }
    if !metadata.is_file() {
        return Err(ProgramError(format!(
            "failed to read {}: not a regular file: name a program file",
            path.display()
        )));
    }
    let file = File::open(path).map_err(failure)?;
    let reader = FileReader::new(file, metadata.len()).map_err(failure)?;
    Ok((reader, is_symlink))
}

/// Describes an I/O error, with a fix for the usual cases.
pub fn describe(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or folder: check the path".into(),
        io::ErrorKind::PermissionDenied => "permission denied: run as root".into(),
        _ => err.to_string(),
    }
}

/// Returns the interpreter of a `#!` script: the first word after `#!`, as
/// the kernel's binfmt_script reads it.
///
/// NOTE: `data` is the file's first [`crate::elf::PREFIX_SIZE`] bytes. The
/// kernel reads only 256 (`BINPRM_BUF_SIZE`), so a first line between the
/// two lengths is taken here but may be cut or rejected by the kernel.
fn script_interpreter(data: &[u8]) -> Option<PathBuf> {
    let line = data.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let word = line
        .split(|b| *b == b' ' || *b == b'\t')
        .find(|word| !word.is_empty())?;
    Some(path_from_bytes(word))
}

/// Resolves programs one after the other, sharing what it read of each file
/// between them: each library is opened and parsed once per resolver, not
/// once per program.
#[derive(Debug)]
pub struct Resolver<'config> {
    config: &'config SearchConfig,
    objects: ObjectCache,
}

impl<'config> Resolver<'config> {
    /// Returns a resolver with nothing read yet.
    pub fn new(config: &'config SearchConfig) -> Resolver<'config> {
        Resolver {
            config,
            objects: ObjectCache::new(),
        }
    }

    /// Resolves `program` and everything the loader opens for it.
    ///
    /// Errors name the path: a missing, unreadable or non-ELF program, a
    /// program for another machine, or a damaged ELF file. Missing libraries
    /// are not errors here; they appear as [`Outcome::Missing`].
    pub fn resolve(&mut self, program: &Path) -> Result<LoadTree, ProgramError> {
        let mut tree = LoadTree::default();
        let mut current = absolute(program);
        loop {
            let (reader, is_symlink) = open_program(&current)?;
            tree.programs.push(current.clone());
            if let Some(interpreter) = script_interpreter(reader.start()) {
                if tree.programs.len() > MAX_SCRIPT_DEPTH {
                    return Err(ProgramError(format!(
                        "failed to follow #! interpreters from {}: more than {MAX_SCRIPT_DEPTH} levels",
                        program.display()
                    )));
                }
                if interpreter.is_relative() {
                    return Err(relative_interpreter_error("#!", &interpreter, &current));
                }
                current = interpreter;
                continue;
            }
            let info = read_executable(&current, &reader)?;
            let real = self.objects.real_path(&current, is_symlink);
            let executable = executable_object(&current, info, &real);
            tree.executable = current;
            load_executable(&mut tree, executable, self.config, &mut self.objects)?;
            return Ok(tree);
        }
    }
}

/// Resolves one `program` with a new [`Resolver`]; see [`Resolver::resolve`].
pub fn resolve_program(program: &Path, config: &SearchConfig) -> Result<LoadTree, ProgramError> {
    Resolver::new(config).resolve(program)
}

/// Rejects a relative interpreter path. The kernel resolves one against
/// the working folder of whoever runs the program, which differs between
/// this run and a run in the jail, so no single file can be copied for it.
fn relative_interpreter_error(kind: &str, interpreter: &Path, program: &Path) -> ProgramError {
    ProgramError(format!(
        "unsupported program {}: its {kind} interpreter {} is a relative path, which the \
         kernel resolves against the working folder at run time: use an absolute path",
        program.display(),
        interpreter.display()
    ))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn read_executable(path: &Path, reader: &FileReader) -> Result<DynamicInfo, ProgramError> {
    let name = path.display();
    match reader.identify() {
        Identity::Loadable => {}
        Identity::WrongClass | Identity::WrongMachine(_) => {
            return Err(ProgramError(format!(
                "unsupported program {name}: not an x86_64 ELF file: only x86_64 glibc programs are handled"
            )));
        }
        Identity::Rejected(reason) if reader.start().starts_with(b"\x7fELF") => {
            return Err(ProgramError(format!("invalid ELF file {name}: {reason}")));
        }
        Identity::Rejected(_) => {
            return Err(ProgramError(format!(
                "unsupported program {name}: neither an ELF file nor a #! script"
            )));
        }
    }
    reader
        .dynamic_info()
        .map_err(|err| ProgramError(format!("invalid ELF file {name}: {err}")))
}

/// Fills `tree` for the ELF executable at `tree.executable`.
fn load_executable(
    tree: &mut LoadTree,
    executable: LoadedObject,
    config: &SearchConfig,
    objects: &mut ObjectCache,
) -> Result<(), ProgramError> {
    let Some(interpreter) = executable.info.interpreter.clone() else {
        // Without PT_INTERP the kernel starts the program directly, so no
        // loader runs and DT_NEEDED is never read.
        tree.is_static = true;
        tree.objects.push(executable);
        return Ok(());
    };
    let interpreter = path_from_bytes(&interpreter);
    if interpreter.is_relative() {
        return Err(relative_interpreter_error(
            "PT_INTERP",
            &interpreter,
            &tree.executable,
        ));
    }
    tree.objects.push(executable);
    tree.objects
        .push(interpreter_object(&interpreter, &tree.executable, objects)?);
    walk_dependencies(tree, config, objects);
    Ok(())
}

/// Builds the executable's object: `$ORIGIN` is the folder of its real
/// path `real`, because the loader reads it from /proc/self/exe
/// (sysdeps/unix/sysv/linux/dl-origin.c).
fn executable_object(path: &Path, info: DynamicInfo, real: &Path) -> LoadedObject {
    let origin = parent_bytes(real);
    let names = info.soname.iter().cloned().collect();
    LoadedObject {
        path: path.to_path_buf(),
        info: Arc::new(info),
        origin,
        loader: None,
        names,
        file_id: None,
    }
}

fn parent_bytes(path: &Path) -> Vec<u8> {
    let parent = path.parent().unwrap_or(Path::new("/"));
    let bytes = parent.as_os_str().as_bytes();
    if bytes.is_empty() {
        b"/".to_vec()
    } else {
        bytes.to_vec()
    }
}

/// Builds the interpreter's object. rtld.c registers it under its
/// `PT_INTERP` string and its `DT_SONAME`, so libc's `DT_NEEDED` on
/// ld-linux-x86-64.so.2 finds it without a search.
fn interpreter_object(
    path: &Path,
    executable: &Path,
    objects: &mut ObjectCache,
) -> Result<LoadedObject, ProgramError> {
    let (info, file_id) = objects.interpreter(path).map_err(|reason| {
        ProgramError(format!(
            "failed to load interpreter {} of {}: {reason}",
            path.display(),
            executable.display()
        ))
    })?;
    let mut names = vec![path.as_os_str().as_bytes().to_vec()];
    names.extend(info.soname.iter().cloned());
    Ok(LoadedObject {
        path: path.to_path_buf(),
        origin: parent_bytes(path),
        info,
        loader: None,
        names,
        file_id: Some(file_id),
    })
}

/// Reads `DT_NEEDED` entries breadth-first, as `_dl_map_object_deps` does.
fn walk_dependencies(tree: &mut LoadTree, config: &SearchConfig, objects: &mut ObjectCache) {
    let mut queue = VecDeque::from([0]);
    while let Some(requester) = queue.pop_front() {
        let info = Arc::clone(&tree.objects[requester].info);
        for name in &info.needed {
            let outcome = map_object(tree, requester, name, config, objects);
            if let Outcome::Found { object, .. } = outcome {
                if object + 1 == tree.objects.len() && !queue.contains(&object) {
                    queue.push_back(object);
                }
            }
            tree.dependencies.push(Dependency {
                requester,
                name: name.clone(),
                outcome,
            });
        }
    }
}

/// Maps one `DT_NEEDED` entry of `requester`, reusing a loaded object when
/// the loader would.
fn map_object(
    tree: &mut LoadTree,
    requester: usize,
    name: &[u8],
    config: &SearchConfig,
    objects: &mut ObjectCache,
) -> Outcome {
    if let Some(object) = tree
        .objects
        .iter()
        .position(|o| o.names.iter().any(|n| n == name))
    {
        return Outcome::AlreadyLoaded { object };
    }
    let search = if name.contains(&b'/') {
        open_by_path(tree, requester, name, config, objects)
    } else {
        search_by_name(tree, requester, name, config, objects)
    };
    match search {
        Search::Found(candidate) => add_object(tree, requester, name, candidate),
        Search::Failed { tried, error } => Outcome::Missing { tried, error },
    }
}

/// A found file, before it becomes an object.
struct Candidate {
    path: PathBuf,
    rule: Rule,
    info: Arc<DynamicInfo>,
    file_id: FileId,
}

enum Search {
    Found(Candidate),
    Failed {
        tried: Vec<SearchStep>,
        error: Option<String>,
    },
}

fn open_by_path(
    tree: &LoadTree,
    requester: usize,
    name: &[u8],
    config: &SearchConfig,
    objects: &mut ObjectCache,
) -> Search {
    let values = TokenValues::new(Some(&tree.objects[requester].origin), &config.profile);
    let Some(expanded) = expand_tokens(name, &values) else {
        return Search::Failed {
            tried: Vec::new(),
            error: Some("a token in the path has no value".into()),
        };
    };
    let mut path = path_from_bytes(&expanded);
    if path.is_relative() {
        // chroot(1) starts the program in "/", the folder a relative
        // DT_NEEDED path is opened from.
        path = Path::new("/").join(path);
    }
    let step = SearchStep {
        rule: Rule::Path,
        folders: vec![path.clone()],
    };
    match objects.probe(&path) {
        Probe::Usable { info, file_id } => Search::Found(Candidate {
            path,
            rule: Rule::Path,
            info,
            file_id,
        }),
        Probe::Skip => Search::Failed {
            tried: vec![step],
            error: None,
        },
        Probe::Fatal(error) => Search::Failed {
            tried: vec![step],
            error: Some(error),
        },
    }
}

/// Tries the rules of `_dl_map_object` in order.
fn search_by_name(
    tree: &LoadTree,
    requester: usize,
    name: &[u8],
    config: &SearchConfig,
    objects: &mut ObjectCache,
) -> Search {
    let mut tried = Vec::new();
    for step in search_steps(tree, requester, config) {
        if let Some(search) = search_folders(step, name, config, objects, &mut tried) {
            return search;
        }
    }
    if let Some(path) = cache_candidate(tree, requester, name, config, objects) {
        let step = SearchStep {
            rule: Rule::Cache,
            folders: vec![path.clone()],
        };
        match objects.probe(&path) {
            Probe::Usable { info, file_id } => {
                return Search::Found(Candidate {
                    path,
                    rule: Rule::Cache,
                    info,
                    file_id,
                });
            }
            Probe::Fatal(error) => {
                tried.push(step);
                return Search::Failed {
                    tried,
                    error: Some(error),
                };
            }
            Probe::Skip => tried.push(step),
        }
    }
    if !tree.objects[requester].info.nodeflib {
        let step = SearchStep {
            rule: Rule::DefaultDir,
            folders: config.profile.default_dirs.clone(),
        };
        if let Some(search) = search_folders(step, name, config, objects, &mut tried) {
            return search;
        }
    }
    Search::Failed { tried, error: None }
}

/// Searches the folders of one rule and records the rule in `tried`.
/// Returns the end of the whole search (found, or a fatal error), or None
/// when the next rule should be tried.
fn search_folders(
    step: SearchStep,
    name: &[u8],
    config: &SearchConfig,
    objects: &mut ObjectCache,
    tried: &mut Vec<SearchStep>,
) -> Option<Search> {
    let result = search_step(&step, name, config, objects);
    tried.push(step);
    match result? {
        Ok(candidate) => Some(Search::Found(candidate)),
        Err(error) => Some(Search::Failed {
            tried: std::mem::take(tried),
            error: Some(error),
        }),
    }
}

/// Lists the folder rules before the cache: the RPATH chain, LD_LIBRARY_PATH
/// and RUNPATH.
fn search_steps(tree: &LoadTree, requester: usize, config: &SearchConfig) -> Vec<SearchStep> {
    let profile = &config.profile;
    let mut steps = Vec::new();
    let object = &tree.objects[requester];
    if object.info.runpath.is_none() {
        let mut visited_main = false;
        let mut current = Some(requester);
        while let Some(index) = current {
            let owner = &tree.objects[index];
            if let Some(rpath) = owner.info.effective_rpath() {
                steps.push(folder_step(
                    Rule::Rpath(owner.path.clone()),
                    rpath,
                    b":",
                    owner,
                    profile,
                ));
                visited_main |= index == 0;
            }
            current = owner.loader;
        }
        let main = &tree.objects[0];
        if let (false, Some(rpath)) = (visited_main, main.info.effective_rpath()) {
            steps.push(folder_step(
                Rule::Rpath(main.path.clone()),
                rpath,
                b":",
                main,
                profile,
            ));
        }
    }
    if let Some(list) = &config.library_path {
        // dl-load.c `_dl_init_paths` expands LD_LIBRARY_PATH tokens for the
        // executable, and splits it at ':' and ';'.
        steps.push(folder_step(
            Rule::LibraryPath,
            list,
            b":;",
            &tree.objects[0],
            profile,
        ));
    }
    if let Some(runpath) = &object.info.runpath {
        steps.push(folder_step(
            Rule::Runpath(object.path.clone()),
            runpath,
            b":",
            object,
            profile,
        ));
    }
    steps
}

fn folder_step(
    rule: Rule,
    list: &[u8],
    separators: &[u8],
    owner: &LoadedObject,
    profile: &LoaderProfile,
) -> SearchStep {
    let values = TokenValues::new(Some(&owner.origin), profile);
    let folders = split_search_list(list, separators, &values)
        .iter()
        .map(|folder| path_from_bytes(folder))
        .collect();
    SearchStep { rule, folders }
}

/// Tries `folder/subdir/name` for every folder and hwcap subfolder, as
/// `open_path` does. `None` means not found.
fn search_step(
    step: &SearchStep,
    name: &[u8],
    config: &SearchConfig,
    objects: &mut ObjectCache,
) -> Option<Result<Candidate, String>> {
    let subdirs = objects.search_subdirs(&config.profile);
    let name = OsStr::from_bytes(name);
    for folder in &step.folders {
        for subdir in subdirs.iter() {
            let path = folder.join(subdir).join(name);
            match objects.probe(&path) {
                Probe::Usable { info, file_id } => {
                    return Some(Ok(Candidate {
                        path,
                        rule: step.rule.clone(),
                        info,
                        file_id,
                    }));
                }
                Probe::Fatal(error) => return Some(Err(error)),
                Probe::Skip => {}
            }
        }
    }
    None
}

/// Looks `name` up in the cache. For a requester with `DF_1_NODEFLIB` the
/// loader ignores entries inside the default folders.
fn cache_candidate(
    tree: &LoadTree,
    requester: usize,
    name: &[u8],
    config: &SearchConfig,
    objects: &mut ObjectCache,
) -> Option<PathBuf> {
    let cache = config.cache.as_ref()?;
    let path = objects.cache_lookup(cache, name, &config.profile)?;
    let nodeflib = tree.objects[requester].info.nodeflib;
    // dl-load.c compares the entry with each default folder as a plain
    // string prefix.
    let in_default = config.profile.default_dirs.iter().any(|dir| {
        let entry = path.as_os_str().as_bytes();
        let dir = dir.as_os_str().as_bytes();
        entry.starts_with(dir) && entry.get(dir.len()) == Some(&b'/')
    });
    (!(nodeflib && in_default)).then_some(path)
}

/// Adds a found file as a new object, or reuses the object with the same
/// device and inode (`_dl_map_object_from_fd` compares `l_file_id`).
fn add_object(tree: &mut LoadTree, requester: usize, name: &[u8], candidate: Candidate) -> Outcome {
    let id = Some(candidate.file_id);
    let existing = tree.objects.iter().position(|o| o.file_id == id);
    if let Some(object) = existing {
        tree.objects[object].names.push(name.to_vec());
        return Outcome::Found {
            object,
            rule: candidate.rule,
            path: candidate.path,
        };
    }
    if tree.objects.len() >= MAX_OBJECTS {
        return Outcome::Missing {
            tried: Vec::new(),
            error: Some(format!(
                "more than {MAX_OBJECTS} objects: the graph is not a real program"
            )),
        };
    }
    let mut names = vec![
        name.to_vec(),
        candidate.path.as_os_str().as_bytes().to_vec(),
    ];
    names.extend(candidate.info.soname.iter().cloned());
    tree.objects.push(LoadedObject {
        origin: parent_bytes(&candidate.path),
        path: candidate.path.clone(),
        info: candidate.info,
        loader: Some(requester),
        names,
        file_id: id,
    });
    Outcome::Found {
        object: tree.objects.len() - 1,
        rule: candidate.rule,
        path: candidate.path,
    }
}
