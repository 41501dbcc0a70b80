//! Checks that the loader profile is read correctly from the text of
//! `ld.so --list-diagnostics` on distributions other than the test host.
//!
//! The samples are hand-written in the `key=value` shape glibc prints, with
//! the values each distribution's glibc is built with. They are not captured
//! output, and they leave out the env, auxv, uname and cpu lines, which the
//! parser ignores.

use binlibdepcp::profile::LoaderProfile;
use std::path::PathBuf;

/// Hand-written sample: Debian 12, glibc 2.36, on an Intel CPU with
/// AVX-512 (x86-64-v4).
const DEBIAN_12_GLIBC_2_36: &str = r#"dl_dst_lib="lib/x86_64-linux-gnu"
dl_hwcap=0x6
dl_hwcap_important=0x6
dl_hwcap2=0x2
dl_hwcaps_subdirs="x86-64-v4:x86-64-v3:x86-64-v2"
dl_hwcaps_subdirs_active=0x7
dl_pagesize=0x1000
dl_platform="haswell"
dl_profile_output="/var/tmp"
dl_string_platform=0x32
dso.ld="ld-linux-x86-64.so.2"
dso.libc="libc.so.6"
path.prefix="/usr"
path.rtld="/lib64/ld-linux-x86-64.so.2"
path.sysconfdir="/etc"
path.system_dirs[0x0]="/lib/x86_64-linux-gnu/"
path.system_dirs[0x1]="/usr/lib/x86_64-linux-gnu/"
path.system_dirs[0x2]="/lib/"
path.system_dirs[0x3]="/usr/lib/"
version.release="stable"
version.version="2.36"
"#;

/// Hand-written sample: Ubuntu 24.04, glibc 2.39, on an Intel CPU without
/// AVX-512 (x86-64-v3). glibc still names the platform `haswell`.
const UBUNTU_24_04_GLIBC_2_39: &str = r#"dl_dst_lib="lib/x86_64-linux-gnu"
dl_hwcap=0x2
dl_hwcap2=0x2
dl_hwcaps_subdirs="x86-64-v4:x86-64-v3:x86-64-v2"
dl_hwcaps_subdirs_active=0x6
dl_pagesize=0x1000
dl_platform="haswell"
dl_profile_output="/var/tmp"
dso.ld="ld-linux-x86-64.so.2"
dso.libc="libc.so.6"
env[0x0]="LANG=C.UTF-8"
path.prefix="/usr"
path.rtld="/lib64/ld-linux-x86-64.so.2"
path.sysconfdir="/etc"
path.system_dirs[0x0]="/lib/x86_64-linux-gnu/"
path.system_dirs[0x1]="/usr/lib/x86_64-linux-gnu/"
path.system_dirs[0x2]="/lib/"
path.system_dirs[0x3]="/usr/lib/"
version.release="stable"
version.version="2.39"
"#;

/// Hand-written sample: Fedora 41, glibc 2.40, on an AMD CPU with AVX-512
/// (x86-64-v4), which keeps the kernel's platform `x86_64`.
const FEDORA_41_GLIBC_2_40: &str = r#"dl_dst_lib="lib64"
dl_hwcap=0x2
dl_hwcap2=0x2
dl_hwcaps_subdirs="x86-64-v4:x86-64-v3:x86-64-v2"
dl_hwcaps_subdirs_active=0x7
dl_pagesize=0x1000
dl_platform="x86_64"
dl_profile_output="/var/tmp"
dso.ld="ld-linux-x86-64.so.2"
dso.libc="libc.so.6"
path.prefix="/usr"
path.rtld="/lib64/ld-linux-x86-64.so.2"
path.sysconfdir="/etc"
path.system_dirs[0x0]="/lib64/"
path.system_dirs[0x1]="/usr/lib64/"
version.release="stable"
version.version="2.40"
"#;

fn paths(folders: &[&str]) -> Vec<PathBuf> {
    folders.iter().map(PathBuf::from).collect()
}

#[test]
fn debian_12_sample_keeps_legacy_subdirs() {
    let profile = LoaderProfile::from_diagnostics(DEBIAN_12_GLIBC_2_36).unwrap();
    assert_eq!(profile.glibc_version, (2, 36));
    assert_eq!(profile.lib, "lib/x86_64-linux-gnu");
    assert_eq!(profile.platform, "haswell");
    assert_eq!(
        profile.default_dirs,
        paths(&[
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/lib",
            "/usr/lib"
        ])
    );
    assert_eq!(
        profile.glibc_hwcaps,
        ["x86-64-v4", "x86-64-v3", "x86-64-v2"]
    );
    assert_eq!(profile.legacy_hwcap_names, ["x86_64", "avx512_1"]);
    assert!(profile.searches_legacy_subdirs());
    let subdirs = profile.search_subdirs();
    assert_eq!(subdirs.len(), 3 + 16);
    assert_eq!(subdirs[3], "tls/haswell/avx512_1/x86_64");
    assert_eq!(subdirs.last().map(String::as_str), Some(""));
}

#[test]
fn debian_12_sample_equals_builtin_profile() {
    let flags = [
        "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3", "avx", "avx2", "bmi1",
        "bmi2", "f16c", "fma", "abm", "movbe", "xsave", "avx512f", "avx512bw", "avx512cd",
        "avx512dq", "avx512vl",
    ]
    .iter()
    .map(|flag| flag.to_string())
    .collect();
    let builtin = LoaderProfile::from_cpu("GenuineIntel", &flags);
    let parsed = LoaderProfile::from_diagnostics(DEBIAN_12_GLIBC_2_36).unwrap();
    assert_eq!(parsed, builtin);
}

#[test]
fn ubuntu_24_04_sample_has_no_legacy_subdirs() {
    let profile = LoaderProfile::from_diagnostics(UBUNTU_24_04_GLIBC_2_39).unwrap();
    assert_eq!(profile.glibc_version, (2, 39));
    assert_eq!(profile.lib, "lib/x86_64-linux-gnu");
    assert_eq!(profile.platform, "haswell");
    assert_eq!(profile.glibc_hwcaps, ["x86-64-v3", "x86-64-v2"]);
    assert_eq!(profile.isa_level(), 3);
    assert_eq!(profile.legacy_hwcap_bits, 0);
    assert!(!profile.searches_legacy_subdirs());
    assert_eq!(
        profile.search_subdirs(),
        ["glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2", ""]
    );
}

#[test]
fn fedora_41_sample_uses_lib64() {
    let profile = LoaderProfile::from_diagnostics(FEDORA_41_GLIBC_2_40).unwrap();
    assert_eq!(profile.glibc_version, (2, 40));
    assert_eq!(profile.lib, "lib64");
    assert_eq!(profile.platform, "x86_64");
    assert_eq!(profile.default_dirs, paths(&["/lib64", "/usr/lib64"]));
    assert_eq!(
        profile.search_subdirs(),
        [
            "glibc-hwcaps/x86-64-v4",
            "glibc-hwcaps/x86-64-v3",
            "glibc-hwcaps/x86-64-v2",
            ""
        ]
    );
}

#[test]
fn missing_key_is_named() {
    let text = FEDORA_41_GLIBC_2_40.replace("dl_dst_lib=\"lib64\"\n", "");
    let error = LoaderProfile::from_diagnostics(&text).unwrap_err();
    assert!(error.0.contains("dl_dst_lib"), "{error}");
}

#[test]
fn unset_platform_is_rejected() {
    let text = FEDORA_41_GLIBC_2_40.replace("dl_platform=\"x86_64\"", "dl_platform=0x0");
    let error = LoaderProfile::from_diagnostics(&text).unwrap_err();
    assert!(error.0.contains("dl_platform is unset"), "{error}");
}

#[test]
fn missing_system_dirs_are_rejected() {
    let text: String = FEDORA_41_GLIBC_2_40
        .lines()
        .filter(|line| !line.starts_with("path.system_dirs"))
        .map(|line| format!("{line}\n"))
        .collect();
    let error = LoaderProfile::from_diagnostics(&text).unwrap_err();
    assert!(error.0.contains("path.system_dirs"), "{error}");
}

#[test]
fn empty_text_is_rejected() {
    assert!(LoaderProfile::from_diagnostics("").is_err());
    assert!(LoaderProfile::from_diagnostics("Usage: ld.so [OPTION]...\n").is_err());
}
