//! `binlibdepcp`: copies programs, their ELF interpreter and every shared
//! library the glibc loader would load for them into a folder, at the same
//! absolute paths, so that `chroot TARGET PROGRAM` works.
//!
//! Run `binlibdepcp /bin/sh /bin/ls /tmp/jail`, then `chroot /tmp/jail /bin/sh`.
//! `--list` prints the dependency tree and the rule that found each library
//! instead of copying. This file only parses the command line and prints;
//! the search and the copying live in the library crate. Programs that load
//! more with `dlopen` (NSS modules, plugins) need those copied by hand.

use anyhow::{Context, Result};
use binlibdepcp::cache::{LdSoCache, parse_ld_so_cache};
use binlibdepcp::jail::{Action, Jail};
use binlibdepcp::profile::{INTERPRETER, LoaderProfile};
use binlibdepcp::resolve::{LoadTree, Outcome, Resolver, SearchConfig};
use clap::Parser;
use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The loader cache the jail gets: a copy of the host's. Every library found
/// through it on the host is copied to the same path. An entry whose file is
/// absent makes the loader fall back to the default folders. So the copy
/// resolves in the jail exactly as on the host. Running `ldconfig -r`
/// on the jail instead would drop entries for folders listed only in the
/// host's /etc/ld.so.conf, and libraries found there would go missing.
const HOST_CACHE: &str = "/etc/ld.so.cache";

#[derive(Debug, Parser)]
#[command(
    name = "binlibdepcp",
    version,
    about = "Copy programs with their ELF interpreter and shared libraries into a chroot folder",
    override_usage = "binlibdepcp [OPTIONS] BINARY... TARGET\n       binlibdepcp --list [OPTIONS] BINARY...",
    after_help = "Libraries are found as the x86_64 glibc loader finds them, without running the \
program. Files keep their absolute paths under TARGET; symlinks on the way become symlinks.\n\n\
Exit status:\n  0  every file was found (and copied)\n  1  a library is missing or a program or \
file could not be read or copied; nothing is copied when a library is missing\n  2  invalid command line"
)]
struct Cli {
    /// Keep files that already exist in TARGET and report them as SKIPPED; symlinks on the way
    /// are still made to match the host's
    #[arg(short = 'n', long)]
    no_clobber: bool,

    /// Also print each symlink and the rule that found each library
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,

    /// Print errors only
    #[arg(short, long)]
    quiet: bool,

    /// Print the dependency tree with the rule that found each library and copy nothing; every PATH is a BINARY
    #[arg(short, long)]
    list: bool,

    /// Search these folders (separated by ':' or ';') where the loader searches LD_LIBRARY_PATH;
    /// the program then needs the same LD_LIBRARY_PATH inside the jail. A relative folder is
    /// taken relative to /, the working folder that chroot gives the program
    #[arg(long, value_name = "FOLDERS")]
    library_path: Option<OsString>,

    /// Ignore /etc/ld.so.cache, like `ld.so --inhibit-cache`, and copy no cache into TARGET
    #[arg(long)]
    inhibit_cache: bool,

    /// Programs to copy, then the target folder
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("binlibdepcp: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode> {
    let (binaries, target) = split_paths(cli);
    let cache = if cli.inhibit_cache {
        None
    } else {
        load_cache(cli.quiet)
    };
    let config = SearchConfig {
        profile: loader_profile(cli.quiet),
        cache,
        library_path: cli.library_path.clone().map(OsStringExt::into_vec),
    };
    let mut resolver = Resolver::new(&config);
    if cli.list {
        return list_all(&mut resolver, &binaries);
    }
    let trees = binaries
        .iter()
        .map(|binary| resolver.resolve(binary).map_err(anyhow::Error::from))
        .collect::<Result<Vec<_>>>()?;
    // Rust's stdout is line-buffered even when it is not a terminal, so
    // without this buffer every progress line would be its own write(2).
    let mut out = BufWriter::new(io::stdout().lock());
    if trees.iter().any(|tree| tree.missing().next().is_some()) {
        trees.iter().for_each(print_missing);
        eprintln!(
            "binlibdepcp: error: missing libraries, nothing copied: install them or pass --library-path"
        );
        return Ok(ExitCode::from(1));
    }
    if cli.verbose {
        print_trees(&mut out, &trees)?;
    }
    let target = target.expect("copy mode has a target");
    let copied = copy_all(cli, &trees, &target, &mut out);
    // Progress lines come before the error or the warnings on stderr.
    out.flush().context("failed to write to standard output")?;
    copied?;
    if !cli.quiet {
        trees.iter().for_each(warn_about_origin);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the tree of every binary, or only the error when one cannot be
/// resolved. Each tree is rendered into memory as soon as it is resolved and
/// then dropped, because the text is smaller than the trees.
fn list_all(resolver: &mut Resolver, binaries: &[PathBuf]) -> Result<ExitCode> {
    let mut text = Vec::new();
    let mut missing = false;
    for binary in binaries {
        let tree = resolver.resolve(binary)?;
        print_tree(&mut text, &tree)?;
        missing |= tree.missing().next().is_some();
    }
    io::stdout()
        .lock()
        .write_all(&text)
        .context("failed to write to standard output")?;
    Ok(if missing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Splits the positional paths; outside `--list` the last one is TARGET and
/// at least one BINARY must come before it.
fn split_paths(cli: &Cli) -> (Vec<PathBuf>, Option<PathBuf>) {
    if cli.list {
        return (cli.paths.clone(), None);
    }
    if cli.paths.len() < 2 {
        let mut command = <Cli as clap::CommandFactory>::command();
        command
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "a TARGET folder is required after the BINARY paths (or use --list)",
            )
            .exit();
    }
    let mut binaries = cli.paths.clone();
    let target = binaries.pop();
    (binaries, target)
}

/// Reads the host loader's values from its `--list-diagnostics` output, or
/// computes them with a warning when that fails (glibc before 2.33).
fn loader_profile(quiet: bool) -> LoaderProfile {
    let loader = Path::new(INTERPRETER);
    LoaderProfile::query(loader).unwrap_or_else(|err| {
        if !quiet {
            eprintln!("binlibdepcp: warning: {err}: computing its values from /proc/cpuinfo");
        }
        LoaderProfile::guess(loader)
    })
}

/// Reads the host cache; a damaged cache is ignored, as the loader ignores it.
fn load_cache(quiet: bool) -> Option<LdSoCache> {
    let data = std::fs::read(HOST_CACHE).ok()?;
    match parse_ld_so_cache(&data) {
        Ok(cache) => Some(cache),
        Err(err) => {
            if !quiet {
                eprintln!("binlibdepcp: warning: ignoring {HOST_CACHE}: {err}");
            }
            None
        }
    }
}

/// Copies every file of every tree, then the cache, and prints progress.
fn copy_all(cli: &Cli, trees: &[LoadTree], target: &Path, out: &mut impl Write) -> Result<()> {
    let mut jail = Jail::open(target, cli.no_clobber)?;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut seen = HashSet::new();
    for path in trees.iter().flat_map(LoadTree::files) {
        if seen.insert(path.clone()) {
            files.push(path);
        }
    }
    if !cli.inhibit_cache && Path::new(HOST_CACHE).exists() {
        files.push(PathBuf::from(HOST_CACHE));
    }
    let (mut copied, mut skipped, mut linked) = (0, 0, 0);
    for file in &files {
        let progress = jail.reproduce(file).with_context(|| {
            format!(
                "failed to copy {} into {}",
                file.display(),
                target.display()
            )
        })?;
        for entry in progress {
            let line = match &entry.action {
                Action::Copied => (copied += 1, "OK".to_string()).1,
                Action::Skipped => (skipped += 1, "SKIPPED".to_string()).1,
                Action::Linked(text) => (linked += 1, format!("LINK -> {}", text.display())).1,
            };
            let is_link = matches!(entry.action, Action::Linked(_));
            if !cli.quiet && (cli.verbose || !is_link) {
                writeln!(out, "{} : {line}", entry.path.display())?;
            }
        }
    }
    if !cli.quiet {
        let files = if copied == 1 { "file" } else { "files" };
        let symlinks = if linked == 1 { "symlink" } else { "symlinks" };
        writeln!(
            out,
            "{copied} {files} copied, {skipped} skipped, {linked} {symlinks} into {}",
            target.display()
        )?;
    }
    Ok(())
}

/// Prints every tree and flushes the output.
fn print_trees(out: &mut impl Write, trees: &[LoadTree]) -> Result<()> {
    let failure = "failed to write to standard output";
    for tree in trees {
        print_tree(out, tree).context(failure)?;
    }
    out.flush().context(failure)
}

/// Prints the tree: each library under the object that loaded it first.
fn print_tree(out: &mut impl Write, tree: &LoadTree) -> io::Result<()> {
    for program in &tree.programs[..tree.programs.len() - 1] {
        writeln!(out, "{} (#! script)", Text::path(program))?;
    }
    let kind = if tree.is_static { " (static)" } else { "" };
    writeln!(out, "{}{kind}", Text::path(&tree.executable))?;
    if let Some(interpreter) = tree.objects.get(1) {
        writeln!(out, "    {} (PT_INTERP)", Text::path(&interpreter.path))?;
    }
    print_children(out, tree, 0, 1, &mut HashSet::new())
}

fn print_children(
    out: &mut impl Write,
    tree: &LoadTree,
    object: usize,
    depth: usize,
    shown: &mut HashSet<usize>,
) -> io::Result<()> {
    let indent = "    ".repeat(depth);
    for dependency in tree.dependencies.iter().filter(|d| d.requester == object) {
        let name = Text(&dependency.name);
        match &dependency.outcome {
            Outcome::Found {
                object: found,
                rule,
                path,
            } => {
                writeln!(out, "{indent}{name} => {} ({rule})", Text::path(path))?;
                if shown.insert(*found) {
                    print_children(out, tree, *found, depth + 1, shown)?;
                }
            }
            Outcome::AlreadyLoaded { object: loaded } => {
                let path = Text::path(&tree.objects[*loaded].path);
                writeln!(out, "{indent}{name} => {path} (already loaded)")?;
            }
            Outcome::Missing { tried, error } => {
                writeln!(out, "{indent}{name} => not found")?;
                for line in tried_lines(tried, error.as_deref()) {
                    writeln!(out, "{indent}    {line}")?;
                }
            }
        }
    }
    Ok(())
}

/// Bytes shown as text, with invalid UTF-8 replaced as in `Path::display`.
/// Valid UTF-8, the usual case, is written as it is, which is faster than
/// the replacing scan and matters for `--list` over hundreds of programs.
struct Text<'a>(&'a [u8]);

impl<'a> Text<'a> {
    fn path(path: &'a Path) -> Text<'a> {
        Text(path.as_os_str().as_bytes())
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(self.0) {
            Ok(text) => f.write_str(text),
            Err(_) => f.write_str(&String::from_utf8_lossy(self.0)),
        }
    }
}

/// Prints each missing library with the object that needed it.
fn print_missing(tree: &LoadTree) {
    for dependency in tree.missing() {
        let requester = tree.objects[dependency.requester].path.display();
        let name = String::from_utf8_lossy(&dependency.name);
        eprintln!("{name}: not found, needed by {requester}");
        if let Outcome::Missing { tried, error } = &dependency.outcome {
            for line in tried_lines(tried, error.as_deref()) {
                eprintln!("    {line}");
            }
        }
    }
}

/// Formats the search of a missing library: one line for each rule with
/// the folders it tried, then the loader's error, if any.
fn tried_lines(tried: &[binlibdepcp::resolve::SearchStep], error: Option<&str>) -> Vec<String> {
    let mut lines: Vec<String> = tried
        .iter()
        .map(|step| {
            let folders: Vec<String> = step
                .folders
                .iter()
                .map(|folder| folder.display().to_string())
                .collect();
            format!("tried {}: {}", step.rule, folders.join(", "))
        })
        .collect();
    if let Some(error) = error {
        lines.push(format!("loader error: {error}"));
    }
    lines
}

/// Warns when the executable's own search lists use `$ORIGIN`: the loader
/// reads it from /proc/self/exe, so /proc must be mounted in the jail.
fn warn_about_origin(tree: &LoadTree) {
    let Some(main) = tree.objects.first() else {
        return;
    };
    let lists = [main.info.rpath.as_deref(), main.info.runpath.as_deref()];
    let uses_origin = lists
        .iter()
        .flatten()
        .any(|list| list.windows(7).any(|w| w == b"$ORIGIN" || w == b"${ORIGI"));
    if uses_origin && !tree.is_static {
        eprintln!(
            "binlibdepcp: warning: {} uses $ORIGIN: mount /proc inside the jail, or the loader cannot expand it",
            main.path.display()
        );
    }
}
