//! Runs every shell transcript in the book and compares its output.
//!
//! A transcript is a ```` ```console ```` block in `book/src/*.md`: lines
//! starting with `$ ` are commands, an optional `? STATUS` line gives the
//! expected exit status, and the lines after it are the expected stdout and
//! stderr, merged. `[..]` in an expected line matches any text within the
//! line, and a line `...` matches any number of lines. trycmd runs the
//! blocks; this file only builds the steps and registers the path of every
//! program with it.
//!
//! The transcripts create namespaces, so they need root. The test prints
//! that it skipped them, and why, when it runs as another user.
//!
//! Every transcript runs with a fresh temporary folder as its working
//! directory, so the files they create (such as a jail) stay in it. The
//! network commands run inside network namespaces that the transcripts
//! create, and those end with the processes in them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Programs of the host that transcripts may run, besides the steps and
/// `binlibdepcp`. The exercise scripts also need `ping` (Debian package
/// iputils-ping), `cut`, `sleep` and `kill`. trycmd
/// skips a command whose program is not registered, so the test first
/// checks that each transcript command names a step or one of these.
const HOST_PROGRAMS: &[&str] = &[
    "cat", "findmnt", "hostname", "ip", "ls", "nsenter", "ps", "readlink", "setpriv", "sh",
    "uname", "unshare",
];

/// Maximum time one transcript command may take before it counts as hung.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

fn book_source() -> PathBuf {
    xtask::book_folder().join("src")
}

fn report_skip(reason: &str) {
    xtask::report_skip("book_transcripts", reason);
}

/// Finds `program` in the folders of `PATH`.
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

/// Returns the program of each transcript command in `markdown`, with the
/// line it is on. It follows trycmd's rules: a fenced block whose info
/// string starts with `console` (or is empty) holds transcripts unless it
/// has the `ignore` attribute, and leading `NAME=value` words set the
/// environment.
fn transcript_programs(markdown: &str) -> Vec<(usize, String)> {
    let mut programs = Vec::new();
    let mut fence: Option<(String, bool)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
        match &fence {
            None if ticks >= 3 => {
                let info = trimmed[ticks..].trim();
                let mut attributes = info.split(',');
                let language = attributes.next().unwrap_or("");
                let runs = matches!(language, "" | "console" | "trycmd")
                    && !attributes.any(|attribute| attribute == "ignore");
                fence = Some((trimmed[..ticks].to_string(), runs));
            }
            Some((ticks_text, _)) if trimmed.starts_with(ticks_text.as_str()) => fence = None,
            Some((_, true)) => {
                if let Some(command) = line.strip_prefix("$ ") {
                    let words = shlex::split(command).unwrap_or_default();
                    if let Some(program) = words.into_iter().find(|word| !word.contains('=')) {
                        programs.push((index + 1, program));
                    }
                }
            }
            _ => {}
        }
    }
    programs
}

/// Copies the exercise scripts of `book/src/exercises` into `target`.
fn copy_exercises(target: &Path) {
    std::fs::create_dir_all(target).expect("the scripts' folder can be created");
    let source = book_source().join("exercises");
    for entry in std::fs::read_dir(&source).expect("book/src/exercises is listable") {
        let path = entry.expect("book/src/exercises is listable").path();
        let name = path.file_name().expect("a listed file has a name");
        std::fs::copy(&path, target.join(name)).expect("an exercise script can be copied");
    }
}

#[test]
fn book_transcripts_match_output() {
    if !nix::unistd::geteuid().is_root() {
        report_skip(
            "the transcripts create namespaces, which needs root: \
             run `sudo -E cargo test -p xtask --test book_transcripts`",
        );
        return;
    }

    let mut known: BTreeSet<String> = BTreeSet::new();
    let cases = trycmd::TestCases::new();
    let mut step_folder = None;
    for name in xtask::STEPS.into_iter().chain(["binlibdepcp"]) {
        let binary = xtask::binary(name);
        step_folder = binary.parent().map(Path::to_path_buf);
        cases.register_bin(name, binary);
        known.insert(name.to_string());
    }
    for program in HOST_PROGRAMS {
        let path = find_on_path(program)
            .unwrap_or_else(|| panic!("{program} is not on PATH: install it to run the book"));
        cases.register_bin(*program, path);
        known.insert(program.to_string());
    }

    // Check that trycmd will run every command instead of skipping it.
    let mut unknown = Vec::new();
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(book_source())
        .expect("book/src is readable")
        .map(|entry| entry.expect("book/src is listable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    chapters.sort();
    for chapter in &chapters {
        let markdown = std::fs::read_to_string(chapter).expect("a chapter is readable");
        for (line, program) in transcript_programs(&markdown) {
            if !known.contains(&program) {
                unknown.push(format!("{}:{line}: {program}", chapter.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "transcripts run programs that this test does not know, and trycmd \
         would skip them; add them to HOST_PROGRAMS:\n  {}",
        unknown.join("\n  ")
    );

    // The steps are also on PATH, for the transcripts that start one from
    // `sh -c` or `unshare`.
    let step_folder = step_folder.expect("at least one step");
    let host_path = std::env::var("PATH").unwrap_or_default();
    cases.env("PATH", format!("{}:{host_path}", step_folder.display()));
    cases.timeout(COMMAND_TIMEOUT);

    // This is the only test in this file, so nothing else in the process
    // depends on the working directory. The exercise scripts are copied to
    // the path that the book gives from the top of the repository.
    let scratch = tempfile::tempdir().expect("a temporary folder can be created");
    copy_exercises(&scratch.path().join("book/src/exercises"));
    std::env::set_current_dir(scratch.path()).expect("the temporary folder can be entered");
    for chapter in &chapters {
        cases.case(chapter);
    }
    cases.run();
}
