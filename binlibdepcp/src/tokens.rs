//! Expands the loader's dynamic string tokens and splits search path lists,
//! following glibc 2.36 elf/dl-load.c (`is_dst`, `_dl_dst_substitute`,
//! `fillin_rpath`) and ld.so(8), section "Dynamic string tokens".
//!
//! Secure-mode (setuid) restrictions are left out: a jail is entered by root
//! with `chroot`, which runs the program in normal mode.

use crate::profile::LoaderProfile;
use std::collections::HashSet;

/// Values substituted for `$ORIGIN`, `$PLATFORM` and `$LIB`.
#[derive(Debug, Clone, Copy)]
pub struct TokenValues<'a> {
    /// Folder of the object whose string is expanded, `None` when unknown.
    pub origin: Option<&'a [u8]>,
    /// Value of `$PLATFORM`.
    pub platform: &'a str,
    /// Value of `$LIB`.
    pub lib: &'a str,
}

impl<'a> TokenValues<'a> {
    /// Returns the values for an object in `origin` on a host with `profile`.
    pub fn new(origin: Option<&'a [u8]>, profile: &'a LoaderProfile) -> TokenValues<'a> {
        TokenValues {
            origin,
            platform: &profile.platform,
            lib: &profile.lib,
        }
    }
}

/// Returns the length of token `name` at the start of `input` (the text after
/// a `$`), counting braces, or 0 when `input` does not spell that token.
///
/// `$NAME` must not be followed by a letter, digit or `_`; `${NAME}` needs
/// its closing brace.
fn token_length(input: &[u8], name: &str) -> usize {
    let curly = input.first() == Some(&b'{');
    let body = if curly { &input[1..] } else { input };
    if !body.starts_with(name.as_bytes()) {
        return 0;
    }
    let next = body.get(name.len()).copied();
    if curly {
        return if next == Some(b'}') {
            name.len() + 2
        } else {
            0
        };
    }
    match next {
        Some(c) if c.is_ascii_alphanumeric() || c == b'_' => 0,
        _ => name.len(),
    }
}

/// Expands every known token in `text`.
///
/// Returns `None` when a known token has no value (an unknown `$ORIGIN`): the
/// loader then drops the whole path element. An unknown `$NAME` stays as it
/// is.
pub fn expand_tokens(text: &[u8], values: &TokenValues) -> Option<Vec<u8>> {
    let mut output = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        let byte = text[index];
        index += 1;
        if byte != b'$' {
            output.push(byte);
            continue;
        }
        let rest = &text[index..];
        let known: [(&str, Option<&[u8]>); 3] = [
            ("ORIGIN", values.origin),
            ("PLATFORM", Some(values.platform.as_bytes())),
            ("LIB", Some(values.lib.as_bytes())),
        ];
        let found = known
            .iter()
            .map(|(name, value)| (token_length(rest, name), *value))
            .find(|(length, _)| *length > 0);
        match found {
            Some((length, Some(value))) => {
                output.extend_from_slice(value);
                index += length;
            }
            Some((_, None)) => return None,
            None => output.push(b'$'),
        }
    }
    Some(output)
}

/// Splits a search list and expands each element as `fillin_rpath` does:
/// empty elements and elements with an unknown token are dropped, trailing
/// slashes are removed (but "/" stays) and repeated folders are kept once.
///
/// `separators` is `b":"` for `DT_RPATH`/`DT_RUNPATH` and `b":;"` for
/// `LD_LIBRARY_PATH`. A relative folder is taken relative to "/", the working
/// folder that `chroot` gives the program.
pub fn split_search_list(text: &[u8], separators: &[u8], values: &TokenValues) -> Vec<Vec<u8>> {
    let mut folders: Vec<Vec<u8>> = Vec::new();
    let mut seen = HashSet::new();
    for element in text.split(|b| separators.contains(b)) {
        let Some(mut folder) = expand_tokens(element, values) else {
            continue;
        };
        if folder.is_empty() {
            continue;
        }
        while folder.len() > 1 && folder.ends_with(b"/") {
            folder.pop();
        }
        if !folder.starts_with(b"/") {
            folder.insert(0, b'/');
        }
        if seen.insert(folder.clone()) {
            folders.push(folder);
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(origin: Option<&'static [u8]>) -> TokenValues<'static> {
        TokenValues {
            origin,
            platform: "haswell",
            lib: "lib/x86_64-linux-gnu",
        }
    }

    fn expand(text: &str, origin: Option<&'static [u8]>) -> Option<String> {
        expand_tokens(text.as_bytes(), &values(origin)).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn both_spellings_expand() {
        let origin = Some(&b"/opt/app/bin"[..]);
        assert_eq!(
            expand("$ORIGIN/../lib", origin).unwrap(),
            "/opt/app/bin/../lib"
        );
        assert_eq!(
            expand("${ORIGIN}/../lib", origin).unwrap(),
            "/opt/app/bin/../lib"
        );
        assert_eq!(
            expand("/usr/$LIB/$PLATFORM", None).unwrap(),
            "/usr/lib/x86_64-linux-gnu/haswell"
        );
        assert_eq!(
            expand("/x/${LIB}abc", None).unwrap(),
            "/x/lib/x86_64-linux-gnuabc"
        );
    }

    #[test]
    fn token_needs_word_boundary() {
        assert_eq!(expand("/x/$LIBabc", None).unwrap(), "/x/$LIBabc");
        assert_eq!(expand("/x/$ORIGIN_1", Some(b"/o")).unwrap(), "/x/$ORIGIN_1");
        assert_eq!(expand("/x/${LIB", None).unwrap(), "/x/${LIB");
        assert_eq!(expand("/x/$HOME/$", None).unwrap(), "/x/$HOME/$");
    }

    #[test]
    fn unknown_origin_drops_element() {
        assert_eq!(expand("$ORIGIN/lib", None), None);
        let list = split_search_list(b"$ORIGIN/lib:/b", b":", &values(None));
        assert_eq!(list, vec![b"/b".to_vec()]);
    }

    #[test]
    fn search_list_normalized() {
        let list = split_search_list(b"/a//::/b:/a/;rel", b":", &values(None));
        assert_eq!(
            list,
            vec![b"/a".to_vec(), b"/b".to_vec(), b"/a/;rel".to_vec()]
        );
        let list = split_search_list(b"/a;/b:/", b":;", &values(None));
        assert_eq!(list, vec![b"/a".to_vec(), b"/b".to_vec(), b"/".to_vec()]);
        let list = split_search_list(b"lib", b":", &values(None));
        assert_eq!(list, vec![b"/lib".to_vec()]);
    }
}
