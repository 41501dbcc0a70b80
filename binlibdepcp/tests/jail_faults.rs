//! Runs the `binlibdepcp` binary under faults: killed with SIGKILL at
//! random points while it fills a jail, several runs into one jail at
//! once, a stale temporary file left by a killed run, and a FIFO where a
//! library should be. A jail is correct when every file in it is
//! byte-identical to the host file at the same path, whatever was
//! interrupted, and a complete run afterwards leaves nothing missing.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Programs copied into every jail: large enough (perl alone is 3.8 MB on
/// Debian 12) that a kill often lands in the middle of a copy.
const PROGRAMS: [&str; 3] = ["/bin/sh", "/bin/bash", "/usr/bin/perl"];

/// Maximum time one run may take before the test calls it hung. A full
/// run takes well under a second; the margin is for a loaded machine.
const HANG_LIMIT: Duration = Duration::from_secs(60);

fn binlibdepcp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_binlibdepcp"))
}

/// Returns the programs that exist on this host, skipping the others.
fn programs() -> Vec<&'static str> {
    PROGRAMS
        .iter()
        .copied()
        .filter(|program| Path::new(program).exists())
        .collect()
}

/// Runs binlibdepcp on `programs` into `jail` and waits for it.
fn fill(programs: &[&str], jail: &Path) -> Output {
    binlibdepcp()
        .arg("--quiet")
        .args(programs)
        .arg(jail)
        .output()
        .expect("failed to start binlibdepcp")
}

/// True for the temporary name a copy is written under before its rename.
fn is_temporary(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.starts_with('.') && name.contains(".binlibdepcp-")
}

/// Walks `jail` and returns its regular files, temporary ones apart.
fn jail_files(jail: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut finals = Vec::new();
    let mut temporaries = Vec::new();
    let mut pending = vec![jail.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).expect("failed to list the jail") {
            let entry = entry.expect("failed to list the jail");
            let kind = entry.file_type().expect("failed to stat a jail entry");
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() && is_temporary(&entry.path()) {
                temporaries.push(entry.path());
            } else if kind.is_file() {
                finals.push(entry.path());
            }
        }
    }
    (finals, temporaries)
}

/// Fails unless every final file in `jail` equals its host file.
fn assert_files_match_host(jail: &Path) -> usize {
    let (finals, _) = jail_files(jail);
    for file in &finals {
        let host = Path::new("/").join(file.strip_prefix(jail).unwrap());
        let copied = fs::read(file).unwrap();
        let original = fs::read(&host).unwrap();
        assert_eq!(
            copied.len(),
            original.len(),
            "{} has {} bytes, the host file {}",
            file.display(),
            copied.len(),
            original.len()
        );
        assert!(
            copied == original,
            "{} differs from the host",
            file.display()
        );
    }
    finals.len()
}

/// A small xorshift generator: the test needs varied delays, not quality.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn killed_runs_leave_only_complete_files() {
    let programs = programs();
    let jail = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let full = fill(
        &programs,
        &tempfile::tempdir().unwrap().path().join("timing"),
    );
    assert!(full.status.success(), "a full run failed: {full:?}");
    let full_run = started.elapsed().max(Duration::from_millis(5));

    let mut state = u64::from(std::process::id()) | 1;
    let mut killed = 0;
    for _ in 0..30 {
        let mut child = binlibdepcp()
            .arg("--quiet")
            .args(&programs)
            .arg(jail.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = full_run.mul_f64((next_random(&mut state) % 1000) as f64 / 1000.0);
        std::thread::sleep(delay);
        // Kill sends SIGKILL to our own child, by PID.
        if child.kill().is_ok() {
            killed += 1;
        }
        child.wait().unwrap();
        assert_files_match_host(jail.path());
    }
    eprintln!("killed {killed} of 30 runs, a full run takes {full_run:?}");

    let finished = fill(&programs, jail.path());
    assert!(
        finished.status.success(),
        "the run after the kills failed: {}",
        String::from_utf8_lossy(&finished.stderr)
    );
    let complete = tempfile::tempdir().unwrap();
    assert!(fill(&programs, complete.path()).status.success());
    let expected = assert_files_match_host(complete.path());
    let copied = assert_files_match_host(jail.path());
    assert_eq!(copied, expected, "the jail has a different number of files");
}

#[test]
fn concurrent_runs_into_one_jail_agree() {
    let programs = programs();
    let jail = tempfile::tempdir().unwrap();
    for _ in 0..5 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                binlibdepcp()
                    .arg("--quiet")
                    .args(&programs)
                    .arg(jail.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "a concurrent run failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert_files_match_host(jail.path());
        let (_, temporaries) = jail_files(jail.path());
        assert!(temporaries.is_empty(), "runs left {temporaries:?}");
    }
}

#[test]
fn stale_temporary_of_same_pid_is_replaced() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: the run needs a PID namespace, which needs root");
        return;
    }
    // In a new PID namespace binlibdepcp is PID 1, so the temporary name
    // of its copy of /bin/true is known in advance, as after a killed run
    // whose PID the kernel has handed out again.
    let jail = tempfile::tempdir().unwrap();
    let real = fs::canonicalize("/bin/true").unwrap();
    let folder = jail
        .path()
        .join(real.parent().unwrap().strip_prefix("/").unwrap());
    fs::create_dir_all(&folder).unwrap();
    let name = real.file_name().unwrap().to_string_lossy();
    fs::write(folder.join(format!(".{name}.binlibdepcp-1")), b"partial").unwrap();

    let output = Command::new("unshare")
        .args(["--pid", "--fork", "--"])
        .arg(env!("CARGO_BIN_EXE_binlibdepcp"))
        .args(["--quiet", "/bin/true"])
        .arg(jail.path())
        .output()
        .expect("failed to start unshare");
    assert!(
        output.status.success(),
        "the run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_files_match_host(jail.path());
    let (_, temporaries) = jail_files(jail.path());
    assert!(temporaries.is_empty(), "the run left {temporaries:?}");
}

#[test]
fn fifo_in_library_path_is_reported() {
    let folder = tempfile::tempdir().unwrap();
    let fifo = folder.path().join("libc.so.6");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());

    let mut child = binlibdepcp()
        .args(["--list", "--library-path"])
        .arg(folder.path())
        .arg("/bin/true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + HANG_LIMIT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("binlibdepcp blocked on the FIFO {}", fifo.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "the FIFO was accepted: {stdout}");
    assert!(
        format!("{stdout}{stderr}").contains(&*fifo.to_string_lossy()),
        "the output does not name {}: {stdout}{stderr}",
        fifo.display()
    );
}
