//! `soak`: runs every step with all its namespaces many times, one at a
//! time and then two at a time, and checks that the host is unchanged
//! afterwards and that no file descriptor leaked into any child.
//!
//! The host state compared before and after is the mount table, the
//! hostname, the POSIX message queues, the network links and the processes
//! running a step binary. Step 6 runs in a jail that `binlibdepcp` fills
//! with `ls` and `sh`. The command in each run is `ls -l /proc/self/fd`,
//! so the child lists exactly the descriptors the step passed to it: 0, 1,
//! 2 and the one `ls` opened on the folder it lists.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

/// The line the child sends to the parent with `-i`.
const MESSAGE: &str = "soak";

/// Runs every step `runs` times one at a time, then `runs` times two at a
/// time, and fails on the first failed run or changed host state.
pub fn soak(runs: usize) -> Result<()> {
    let folder = binary_folder()?;
    build_binaries(&folder)?;
    let jail = make_jail(&folder)?;
    let before = HostState::capture(&folder)?;
    let started = Instant::now();

    let mut total = 0;
    let mut pids = HashSet::new();
    for step in xtask::STEPS {
        let args = all_namespaces(step, &jail);
        let binary = folder.join(step);
        for run in 0..runs {
            let child = spawn_step(&binary, &args, run)?;
            pids.insert(child.id());
            let output = child
                .wait_with_output()
                .context("failed to wait for a step")?;
            check_run(step, &output)?;
        }
        for run in (0..runs).step_by(2) {
            let first = spawn_step(&binary, &args, run)?;
            let second = spawn_step(&binary, &args, run + 1)?;
            pids.extend([first.id(), second.id()]);
            for child in [first, second] {
                let output = child
                    .wait_with_output()
                    .context("failed to wait for a step")?;
                check_run(step, &output)?;
            }
        }
        let paired = runs.div_ceil(2) * 2;
        total += runs + paired;
        println!("{step}: {runs} runs one at a time and {paired} two at a time passed");
    }

    let after = HostState::capture(&folder)?;
    fs::remove_dir_all(&jail).with_context(|| format!("failed to remove {}", jail.display()))?;
    before.compare(&after, &pids)?;
    println!(
        "soak: {total} runs in {:.0} s, host state unchanged, no descriptor leaked",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Returns the folder of the running xtask binary, where Cargo also puts
/// the steps built with the same profile.
fn binary_folder() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("failed to find the xtask binary")?;
    Ok(exe
        .parent()
        .context("the xtask binary has no folder")?
        .into())
}

/// Builds the steps and `binlibdepcp` with the profile of `folder`.
fn build_binaries(folder: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "--package", "binlibdepcp"]);
    for step in xtask::STEPS {
        build.args(["--package", step]);
    }
    match folder.file_name().and_then(|name| name.to_str()) {
        Some("debug") => {}
        Some("release") => {
            build.arg("--release");
        }
        Some(profile) => {
            build.args(["--profile", profile]);
        }
        None => bail!("invalid binary folder {}", folder.display()),
    }
    let status = build.status().context("failed to start cargo build")?;
    ensure!(
        status.success(),
        "cargo build of the steps failed with {status}"
    );
    Ok(())
}

/// Fills a new jail with `sh` and `ls` for step 6.
fn make_jail(folder: &Path) -> Result<PathBuf> {
    let jail = std::env::temp_dir().join(format!("soak-jail.{}", std::process::id()));
    let output = Command::new(folder.join("binlibdepcp"))
        .args(["--quiet", "/bin/sh", "/bin/ls"])
        .arg(&jail)
        .output()
        .context("failed to start binlibdepcp")?;
    ensure!(
        output.status.success(),
        "binlibdepcp failed to fill {}: {}",
        jail.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(jail)
}

/// Returns the options that turn on every namespace `step` has, then the
/// command. `-i` is left out here and added per run.
fn all_namespaces(step: &str, jail: &Path) -> Vec<String> {
    let index = xtask::STEPS.iter().position(|s| *s == step).unwrap_or(0);
    let options = ["-p", "-m", "-u soak", "-n", "-i", "-c"];
    let mut args = Vec::new();
    for option in &options[..=index] {
        match *option {
            "-u soak" => args.extend(["-u".to_string(), "soak".to_string()]),
            "-c" => args.extend(["-c".to_string(), jail.display().to_string()]),
            other => args.push(other.to_string()),
        }
    }
    args
}

/// Completes `args` for run number `run`: `-i` alternates between `no`
/// (the queue in the host's IPC namespace) and `yes` (a new namespace).
fn run_args(args: &[String], run: usize) -> Vec<String> {
    let mut full = Vec::new();
    for arg in args {
        full.push(arg.clone());
        if arg == "-i" {
            full.push(if run % 2 == 0 { "no" } else { "yes" }.to_string());
        }
    }
    full.extend(["ls", "-l", "/proc/self/fd"].map(String::from));
    full
}

fn spawn_step(binary: &Path, args: &[String], run: usize) -> Result<std::process::Child> {
    let mut child = Command::new(binary)
        .args(run_args(args, run))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("failed to start {}", binary.display()))?;
    let mut stdin = child.stdin.take().context("stdin is not piped")?;
    // A step without -i never reads stdin and may be gone already.
    match writeln!(stdin, "{MESSAGE}") {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(error).context("failed to write the message");
        }
        _ => {}
    }
    Ok(child)
}

/// Fails unless the run exited 0 and the child had only descriptors 0, 1
/// and 2, besides the one `ls` holds on the listed folder.
fn check_run(step: &str, output: &Output) -> Result<()> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "{step} failed with {}: {stderr}",
        output.status
    );
    let mut descriptors = BTreeSet::new();
    for line in stdout.lines().filter(|line| line.starts_with('l')) {
        let Some((name, target)) = line.split_once(" -> ") else {
            continue;
        };
        let is_listed_folder = target.starts_with("/proc/") && target.ends_with("/fd");
        if !is_listed_folder {
            descriptors.insert(name.rsplit(' ').next().unwrap_or(name).to_string());
        }
    }
    let expected: BTreeSet<String> = ["0", "1", "2"].map(String::from).into();
    ensure!(
        descriptors == expected,
        "{step} passed descriptors {descriptors:?} to the child, expected 0, 1 and 2:\n{stdout}"
    );
    Ok(())
}

/// The parts of the host that a step must leave as it found them.
#[derive(Debug, PartialEq)]
struct HostState {
    mounts: BTreeSet<String>,
    hostname: String,
    queues: BTreeSet<String>,
    links: BTreeSet<String>,
    step_processes: BTreeSet<String>,
}

impl HostState {
    fn capture(step_folder: &Path) -> Result<HostState> {
        Ok(HostState {
            mounts: mounts()?,
            hostname: fs::read_to_string("/proc/sys/kernel/hostname")
                .context("failed to read the hostname")?,
            queues: message_queues()?,
            links: folder_names(Path::new("/sys/class/net"))?,
            step_processes: step_processes(step_folder),
        })
    }

    /// Fails with every difference between two captures. Queues count only
    /// when they carry the PID of a run in `pids`, because other programs on
    /// the host may create and remove theirs.
    fn compare(&self, after: &HostState, pids: &HashSet<u32>) -> Result<()> {
        let mut problems = Vec::new();
        let host_wide = [
            ("mount", &self.mounts, &after.mounts),
            ("network link", &self.links, &after.links),
        ];
        for (what, before, after) in host_wide {
            for added in after.difference(before) {
                problems.push(format!("new {what}: {added}"));
            }
            for removed in before.difference(after) {
                problems.push(format!("missing {what}: {removed}"));
            }
        }
        let ours = |name: &String| {
            let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
            let pid = digits.split(|c: char| !c.is_ascii_digit()).next();
            pid.and_then(|pid| pid.parse().ok())
                .is_some_and(|pid| pids.contains(&pid))
        };
        for added in after
            .queues
            .difference(&self.queues)
            .filter(|name| ours(name))
        {
            problems.push(format!("left message queue: {added}"));
        }
        // Only the soak's own binaries are listed, so every new one counts:
        // a parent that outlived its run, or a child stuck before execve(2),
        // which has a PID of its own.
        for added in after.step_processes.difference(&self.step_processes) {
            problems.push(format!("left step process: {added}"));
        }
        if self.hostname != after.hostname {
            problems.push(format!(
                "hostname changed from {:?} to {:?}",
                self.hostname, after.hostname
            ));
        }
        ensure!(
            problems.is_empty(),
            "the host changed:\n{}",
            problems.join("\n")
        );
        Ok(())
    }
}

/// Returns each mount as its mount point, type and source, leaving out the
/// mount IDs, which tell nothing about what is mounted.
fn mounts() -> Result<BTreeSet<String>> {
    let table = fs::read_to_string("/proc/self/mountinfo").context("failed to read mountinfo")?;
    Ok(table
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let point = fields.get(4).copied().unwrap_or_default();
            let rest = line.split_once(" - ").map(|(_, rest)| rest).unwrap_or(line);
            format!("{point} {rest}")
        })
        .collect())
}

/// Lists the host's POSIX message queues.
fn message_queues() -> Result<BTreeSet<String>> {
    let listing = xtask::with_mqueue_mount("ls /mnt")?;
    Ok(listing.lines().map(String::from).collect())
}

fn folder_names(folder: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for entry in
        fs::read_dir(folder).with_context(|| format!("failed to list {}", folder.display()))?
    {
        let entry = entry.with_context(|| format!("failed to list {}", folder.display()))?;
        names.insert(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

/// Returns "PID PATH" for every process whose program is one of the step
/// binaries in `step_folder`.
fn step_processes(step_folder: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let step_folder = step_folder
        .canonicalize()
        .unwrap_or_else(|_| step_folder.to_path_buf());
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(exe) = fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        if exe.parent() == Some(step_folder.as_path()) {
            let pid = entry.file_name().to_string_lossy().into_owned();
            found.insert(format!("{pid} {}", exe.display()));
        }
    }
    found
}
