//! Project automation: `cargo run -p xtask -- <command>`.
//!
//! The book never contains a diff typed by hand. `book-diffs` generates the
//! diff between each pair of adjacent steps from their sources, as one
//! whole file and as one file per hunk, so that a chapter can include and
//! explain the hunks one at a time. `book-diffs --check` compares the
//! committed files with freshly generated ones, which is what the test
//! `book_diffs` runs.
//!
//! `book-build` runs mdBook and fails on any warning it prints, then checks
//! that every internal link in the rendered HTML resolves, because mdBook
//! itself only warns about a missing include and never checks links.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use similar::TextDiff;

mod bench;
mod soak;

/// Package names of the six steps, in order.
const STEPS: [&str; 6] = xtask::STEPS;

/// Lines of unchanged context around each change, as in `diff -u`.
const CONTEXT_LINES: usize = 3;

/// Folder of the generated diffs, relative to the workspace root.
const DIFFS_FOLDER: &str = "book/src/diffs";

/// The command that regenerates the diffs, for messages.
const REGENERATE: &str = "cargo run -p xtask -- book-diffs";

#[derive(Debug, Parser)]
#[command(about = "Automation for this workspace")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Write the diffs between adjacent steps into book/src/diffs/
    BookDiffs {
        /// Write nothing; fail if a committed diff differs from the sources
        #[arg(long)]
        check: bool,

        /// Read the step sources from this git revision (such as HEAD)
        /// instead of the working tree, leaving out uncommitted edits
        #[arg(long, value_name = "REV")]
        revision: Option<String>,
    },
    /// Build the book with mdBook, failing on warnings and broken links
    BookBuild {
        /// The mdBook executable to run
        #[arg(long, default_value = "mdbook")]
        mdbook: PathBuf,
    },
    /// Measure the steps against unshare(1) and binlibdepcp against ldd,
    /// lddtree and libtree, and write the book's benchmarks page (as root)
    Bench(bench::BenchArgs),
    /// Run every step with all its namespaces many times, one and two at a
    /// time, then check that the host is unchanged (as root)
    Soak {
        /// Runs of each step one at a time, and as many again two at a time
        #[arg(long, default_value_t = 1000)]
        runs: usize,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Task::BookDiffs {
            check: false,
            revision,
        } => write_diffs(revision.as_deref()),
        Task::BookDiffs {
            check: true,
            revision,
        } => check_diffs(revision.as_deref()),
        Task::BookBuild { mdbook } => build_book(&mdbook),
        Task::Bench(args) => bench::run(&args, &workspace_root()),
        Task::Soak { runs } => soak::soak(runs),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Returns the workspace root: the folder above this package.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the xtask package is inside the workspace")
        .to_path_buf()
}

/// Generates every diff file, keyed by its path relative to the diffs
/// folder: `step2-mnt.diff` contains the whole diff from step 1 to step 2, and
/// `step2-mnt/01.diff` and onwards contain its hunks, one per file.
fn generate_diffs(root: &Path, revision: Option<&str>) -> Result<BTreeMap<PathBuf, String>> {
    let mut files = BTreeMap::new();
    for pair in STEPS.windows(2) {
        let (old_step, new_step) = (pair[0], pair[1]);
        let old_path = format!("{old_step}/src/main.rs");
        let new_path = format!("{new_step}/src/main.rs");
        let old = read_source(root, revision, &old_path)?;
        let new = read_source(root, revision, &new_path)?;

        let diff = TextDiff::from_lines(&old, &new);
        let mut unified = diff.unified_diff();
        unified.context_radius(CONTEXT_LINES);

        let mut whole = format!("--- {old_path}\n+++ {new_path}\n");
        for (index, hunk) in unified.iter_hunks().enumerate() {
            let text = hunk.to_string();
            whole.push_str(&text);
            let hunk_file = PathBuf::from(new_step).join(format!("{:02}.diff", index + 1));
            files.insert(hunk_file, text);
        }
        files.insert(PathBuf::from(format!("{new_step}.diff")), whole);
    }
    Ok(files)
}

/// Reads a file of the workspace from the working tree, or from a git
/// revision when one is given.
fn read_source(root: &Path, revision: Option<&str>, path: &str) -> Result<String> {
    let Some(revision) = revision else {
        return fs::read_to_string(root.join(path))
            .with_context(|| format!("failed to read {path}"));
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .arg("show")
        .arg(format!("{revision}:{path}"))
        .output()
        .context("failed to run git show")?;
    if !output.status.success() {
        bail!(
            "git show {revision}:{path} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).with_context(|| format!("{revision}:{path} is not UTF-8"))
}

/// Lists the files under `folder`, relative to it.
fn list_files(folder: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut found = BTreeSet::new();
    if !folder.exists() {
        return Ok(found);
    }
    let mut pending = vec![folder.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current)
            .with_context(|| format!("failed to list {}", current.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(folder).expect("listed under the folder");
                found.insert(relative.to_path_buf());
            }
        }
    }
    Ok(found)
}

/// Replaces the diffs folder's contents with freshly generated diffs.
fn write_diffs(revision: Option<&str>) -> Result<()> {
    let root = workspace_root();
    let folder = root.join(DIFFS_FOLDER);
    let generated = generate_diffs(&root, revision)?;

    // Hunk files from an older, longer diff would otherwise stay behind.
    if folder.exists() {
        fs::remove_dir_all(&folder)
            .with_context(|| format!("failed to remove {}", folder.display()))?;
    }
    for (relative, text) in &generated {
        let path = folder.join(relative);
        let parent = path.parent().expect("a diff file has a folder");
        fs::create_dir_all(parent)
            .with_context(|| format!("failed to create {}", parent.display()))?;
        fs::write(&path, text).with_context(|| format!("failed to write {}", path.display()))?;
    }
    println!(
        "wrote {} files under {DIFFS_FOLDER}/ for {} step pairs",
        generated.len(),
        STEPS.len() - 1
    );
    Ok(())
}

/// Fails, naming each file, when the committed diffs differ from the ones
/// the current sources produce.
fn check_diffs(revision: Option<&str>) -> Result<()> {
    let root = workspace_root();
    let folder = root.join(DIFFS_FOLDER);
    let generated = generate_diffs(&root, revision)?;
    let committed = list_files(&folder)?;

    let mut problems = String::new();
    for (relative, text) in &generated {
        let path = folder.join(relative);
        match fs::read_to_string(&path) {
            Ok(existing) if existing == *text => {}
            Ok(_) => writeln!(
                problems,
                "  out of date: {DIFFS_FOLDER}/{}",
                relative.display()
            )?,
            Err(_) => writeln!(problems, "  missing: {DIFFS_FOLDER}/{}", relative.display())?,
        }
    }
    for relative in committed.difference(&generated.keys().cloned().collect()) {
        writeln!(
            problems,
            "  no longer generated: {DIFFS_FOLDER}/{}",
            relative.display()
        )?;
    }
    if !problems.is_empty() {
        bail!(
            "the book's diffs do not match the step sources:\n{problems}\
             regenerate them with `{REGENERATE}`, then reread the chapters whose \
             hunks changed"
        );
    }
    println!("{} diff files match the step sources", generated.len());
    Ok(())
}

/// Runs `mdbook build book`, fails if mdBook printed a warning or an error,
/// then checks the internal links of the rendered HTML.
fn build_book(mdbook: &Path) -> Result<()> {
    let root = workspace_root();
    let book = root.join("book");
    let output = Command::new(mdbook)
        .arg("build")
        .arg(&book)
        .output()
        .with_context(|| {
            format!(
                "failed to run {}: install it with `cargo install --locked mdbook --version 0.5.4`",
                mdbook.display()
            )
        })?;
    let log = String::from_utf8_lossy(&output.stderr);
    eprint!("{log}");
    if !output.status.success() {
        bail!("mdbook build failed with {}", output.status);
    }
    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("WARN") || line.contains("ERROR"))
        .collect();
    if !warnings.is_empty() {
        bail!(
            "mdbook build printed {} warnings or errors, which this build treats as failures",
            warnings.len()
        );
    }

    let html = book.join("book");
    let broken = find_broken_links(&html)?;
    if !broken.is_empty() {
        bail!(
            "{} broken internal links in the rendered book:\n  {}",
            broken.len(),
            broken.join("\n  ")
        );
    }
    println!("built {} without warnings or broken links", html.display());
    Ok(())
}

/// Finds the `href` and `src` values in the rendered HTML that point inside
/// the book but name a missing file or a missing `id` in the target page.
/// Links with a scheme (`https:`, `mailto:`) are left alone: the book is
/// built and tested offline.
fn find_broken_links(html_root: &Path) -> Result<Vec<String>> {
    let pages: Vec<PathBuf> = list_files(html_root)?
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "html"))
        .collect();
    let mut ids_by_page: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut texts = BTreeMap::new();
    for page in &pages {
        let text = fs::read_to_string(html_root.join(page))
            .with_context(|| format!("failed to read {}", page.display()))?;
        ids_by_page.insert(
            page.clone(),
            attribute_values(&text, "id").into_iter().collect(),
        );
        texts.insert(page.clone(), text);
    }

    let mut broken = Vec::new();
    for (page, text) in &texts {
        let folder = page.parent().unwrap_or(Path::new(""));
        let links = attribute_values(text, "href")
            .into_iter()
            .chain(attribute_values(text, "src"));
        for link in links {
            if link.contains(':') || link.starts_with("//") {
                continue;
            }
            let (file, fragment) = match link.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                normalize(&folder.join(file.split('?').next().unwrap_or(file)))
            };
            if !html_root.join(&target).exists() {
                broken.push(format!(
                    "{}: {link} (no file {})",
                    page.display(),
                    target.display()
                ));
                continue;
            }
            let Some(fragment) = fragment.filter(|fragment| !fragment.is_empty()) else {
                continue;
            };
            let found = ids_by_page
                .get(&target)
                .is_some_and(|ids| ids.contains(fragment));
            if !found {
                broken.push(format!("{}: {link} (no id {fragment:?})", page.display()));
            }
        }
    }
    Ok(broken)
}

/// Collects the double-quoted values of `name="..."` attributes. mdBook
/// writes every attribute with double quotes, so no HTML parser is needed.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let pattern = format!(" {name}=\"");
    html.match_indices(&pattern)
        .filter_map(|(start, _)| {
            let value = &html[start + pattern.len()..];
            value.find('"').map(|end| value[..end].to_string())
        })
        .collect()
}

/// Resolves `.` and `..` in a relative path without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(part) => parts.push(part),
            _ => {}
        }
    }
    parts.iter().collect()
}
