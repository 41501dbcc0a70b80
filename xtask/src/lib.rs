//! Support for the workspace's cross-crate tests and automation: where the
//! built binaries of the steps and of `binlibdepcp` are, and the helpers
//! that several test files share.
//!
//! Cargo gives a test the path of a binary only when both are in the same
//! package (`CARGO_BIN_EXE_<name>`). The tests here run the binaries of
//! seven packages, so they build each one once with `cargo build` and take
//! it from the target folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Package names of the six steps, in order.
pub const STEPS: [&str; 6] = [
    "step1-pid",
    "step2-mnt",
    "step3-uts",
    "step4-net",
    "step5-ipc",
    "step6-chroot",
];

/// Returns the path of the workspace binary `name` (a step or
/// `binlibdepcp`), built with the same profile as the running test. The
/// first call for a name runs `cargo build` for its package.
///
/// # Panics
///
/// Panics when `cargo build` fails, with its exit status: the tests cannot
/// run without the binary.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let folder = target_folder();
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    if !built.contains(name) {
        build_binary(name, &folder);
        built.insert(name.to_string());
    }
    folder.join(name)
}

/// Returns the folder of this profile's binaries: the folder above
/// the running test binary's `deps` folder.
fn target_folder() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the path of the running test is unknown");
    test_binary
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is not in a target/<profile>/deps folder")
        .to_path_buf()
}

/// Runs `cargo build` for the package and binary `name` with the profile
/// that built `folder`.
fn build_binary(name: &str, folder: &Path) {
    let profile = folder
        .file_name()
        .and_then(|profile| profile.to_str())
        .expect("the target profile folder has no name");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "--package", name, "--bin", name]);
    match profile {
        "debug" => {}
        "release" => {
            build.arg("--release");
        }
        other => {
            build.args(["--profile", other]);
        }
    }
    let status = build.status().expect("failed to start cargo build");
    assert!(
        status.success(),
        "cargo build of {name} failed with {status}"
    );
}

/// Runs `script` with sh in a throwaway mount namespace, after mounting an
/// mqueue file system on /mnt, and returns its stdout. That lists or
/// removes the POSIX message queues of this IPC namespace, also where
/// /dev/mqueue is not mounted.
pub fn with_mqueue_mount(script: &str) -> anyhow::Result<String> {
    let output = Command::new("unshare")
        .args(["--mount", "sh", "-c"])
        .arg(format!("mount -t mqueue none /mnt && {script}"))
        .output()
        .map_err(|error| anyhow::anyhow!("failed to start unshare: {error}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{script:?} in an mqueue mount failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Returns true when running as root. Otherwise prints that `test` was
/// skipped and why, so that a skip never looks like a pass.
pub fn is_root(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped {test}: it creates namespaces, which needs root");
    }
    root
}

/// Returns the PIDs of the processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

/// Waits for `child`, killing it (by PID, through `Child::kill`) and
/// panicking when it runs past `limit`, which only detects a hang.
pub fn wait_with_limit(child: &mut Child, what: &str, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("failed to wait for the child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Returns the book's folder, `book/` at the top of the workspace.
pub fn book_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book")
}

/// Prints on stderr that `test` was skipped and why. The test harness
/// shows this line even without `--nocapture`, because it captures only
/// what the test prints through the `print!` macros.
pub fn report_skip(test: &str, reason: &str) {
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("{test}: skipped: {reason}\n").as_bytes(),
    );
}
