//! Runs the steps under faults: the tool killed with SIGKILL at random
//! points, the child killed or ending while the parent waits for its
//! message, and a command that leaves background processes behind.
//!
//! The tests need root, as the steps do; without root they print why they
//! were skipped and pass. They kill only processes they started, by PID,
//! and remove the message queues that killed runs leave.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use xtask::{STEPS, binary, is_root, processes_with, wait_with_limit};

/// Maximum time a run may take before a test calls it hung. The runs here
/// end in well under a second; the margin is for a loaded machine.
const HANG_LIMIT: Duration = Duration::from_secs(30);

const IPC_STEP: &str = "step5-ipc";
const CHROOT_STEP: &str = "step6-chroot";

fn wait_or_fail(child: &mut Child, what: &str) -> ExitStatus {
    wait_with_limit(child, what, HANG_LIMIT)
}

/// Returns the PIDs of the children of `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    let path = format!("/proc/{parent}/task/{parent}/children");
    fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

/// Returns the host's mounts as mount point and source, without IDs.
fn host_mounts() -> BTreeSet<String> {
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .map(|line| {
            let point = line.split(' ').nth(4).unwrap_or_default();
            format!("{point} {}", line.split_once(" - ").unwrap_or_default().1)
        })
        .collect()
}

/// Runs `script` in a throwaway mount namespace with the host IPC
/// namespace's queues mounted on /mnt.
fn in_mqueue_mount(script: &str) -> String {
    xtask::with_mqueue_mount(script).expect("the mqueue script runs")
}

fn make_jail() -> tempfile::TempDir {
    let jail = tempfile::tempdir().unwrap();
    let output = Command::new(binary("binlibdepcp"))
        .args(["--quiet", "/bin/sh", "/bin/sleep", "/bin/true"])
        .arg(jail.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "binlibdepcp failed: {output:?}");
    jail
}

fn random_delay(state: &mut u64, max: Duration) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    max.mul_f64((*state % 1000) as f64 / 1000.0)
}

#[test]
fn tool_killed_mid_run_leaves_nothing_blocking() {
    if !is_root("tool_killed_mid_run_leaves_nothing_blocking") {
        return;
    }
    let jail = make_jail();
    let jail_arg = jail.path().to_str().unwrap().to_string();
    let mounts_before = host_mounts();
    let marker = format!("0.{}7", std::process::id());
    let args = [
        "-p",
        "-m",
        "-u",
        "killed",
        "-n",
        "-i",
        "no",
        "-c",
        &jail_arg,
        "/bin/sleep",
        &marker,
    ];
    let mut state = u64::from(std::process::id()) | 1;
    let mut killed_pids = Vec::new();
    for _ in 0..20 {
        let mut child = Command::new(binary(CHROOT_STEP))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(b"message\n");
        std::thread::sleep(random_delay(&mut state, Duration::from_millis(40)));
        killed_pids.push(child.id());
        child.kill().unwrap();
        child.wait().unwrap();

        // PR_SET_PDEATHSIG takes the child down with the tool; give the
        // kernel a moment to deliver it before looking.
        let deadline = Instant::now() + HANG_LIMIT;
        while !processes_with(&marker).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            processes_with(&marker),
            Vec::<u32>::new(),
            "the child outlived the tool"
        );
        assert_eq!(host_mounts(), mounts_before, "a mount stayed on the host");
        let proc_in_jail = jail.path().join("proc");
        let entries = fs::read_dir(&proc_in_jail).map(|e| e.count()).unwrap_or(0);
        assert_eq!(
            entries,
            0,
            "{} is not empty on the host",
            proc_in_jail.display()
        );
    }

    // A killed run may leave its queue behind; the next run must not care.
    let mut next = Command::new(binary(CHROOT_STEP))
        .args(["-p", "-m", "-i", "no", "-c", &jail_arg, "/bin/true"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    next.stdin.take().unwrap().write_all(b"after\n").unwrap();
    let status = wait_or_fail(&mut next, "the run after the kills");
    let mut stdout = String::new();
    next.stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(status.success(), "the run after the kills failed: {status}");
    assert!(
        stdout.contains("received from the child: after"),
        "{stdout}"
    );

    let stale: Vec<String> = killed_pids
        .iter()
        .map(|pid| format!("mq-demo.{pid}.*"))
        .collect();
    let left = in_mqueue_mount(&format!(
        "cd /mnt && ls {} 2>/dev/null; true",
        stale.join(" ")
    ));
    eprintln!("stale queues after 20 kills: {}", left.lines().count());
    in_mqueue_mount(&format!("cd /mnt && rm -f {}", stale.join(" ")));
}

/// Starts `step -i no` with stdin kept open and no line sent, so that the
/// child waits on stdin and the parent waits for the message.
fn start_waiting(step: &str) -> Child {
    let child = Command::new(binary(step))
        .args(["-p", "-i", "no", "/bin/true"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + HANG_LIMIT;
    while children_of(child.id()).is_empty() {
        assert!(Instant::now() < deadline, "{step} cloned no child");
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn output_of(child: &mut Child) -> String {
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn child_killed_before_message_is_reported() {
    if !is_root("child_killed_before_message_is_reported") {
        return;
    }
    for step in [IPC_STEP, CHROOT_STEP] {
        let mut parent = start_waiting(step);
        let stdin = parent.stdin.take();
        let child = children_of(parent.id())[0];
        // SAFETY: kill has no memory preconditions; the PID is our
        // grandchild, which is still alive because stdin is open.
        assert_eq!(unsafe { libc::kill(child as i32, libc::SIGKILL) }, 0);
        let status = wait_or_fail(&mut parent, step);
        drop(stdin);
        let output = output_of(&mut parent);
        assert!(
            !status.success(),
            "{step} exited 0 after its child was killed: {output}"
        );
        assert!(
            output.contains("ended without sending a message"),
            "{step}: {output}"
        );
    }
}

#[test]
fn child_ending_before_message_is_reported() {
    if !is_root("child_ending_before_message_is_reported") {
        return;
    }
    for step in [IPC_STEP, CHROOT_STEP] {
        let mut parent = start_waiting(step);
        // End of stdin without a line: the child ends without a message.
        drop(parent.stdin.take());
        let status = wait_or_fail(&mut parent, step);
        let output = output_of(&mut parent);
        assert!(
            output.contains("ended without sending a message"),
            "{step}: {output}"
        );
        assert!(status.code().is_some(), "{step} died of a signal: {status}");
    }
}

#[test]
fn background_processes_do_not_outlive_run() {
    if !is_root("background_processes_do_not_outlive_run") {
        return;
    }
    for step in STEPS {
        for pid_option in [&["-p"][..], &[][..]] {
            let marker = format!("1000.{}1", std::process::id());
            let script = format!("sleep {marker} & sleep {marker} & echo started");
            let mut child = Command::new(binary(step))
                .args(pid_option)
                .args(["sh", "-c", &script])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let status = wait_or_fail(&mut child, step);
            assert!(status.success(), "{step} {pid_option:?} failed: {status}");
            let deadline = Instant::now() + HANG_LIMIT;
            while !processes_with(&marker).is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let left = processes_with(&marker);
            for pid in &left {
                // SAFETY: kill has no memory preconditions; the PID runs
                // our marker, so it is a process this test started.
                unsafe { libc::kill(*pid as i32, libc::SIGKILL) };
            }
            assert!(
                left.is_empty(),
                "{step} {pid_option:?} left {left:?} running"
            );
        }
    }
}
