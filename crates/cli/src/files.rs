//! Static files under `--root`: request paths mapped to files without leaving the root,
//! content types by extension.
//!
//! The request path is percent-decoded *first* and then split into segments, so that
//! `%2e%2e`, `%2f..` and `..%5c` are judged as what they decode to. Any `..`, `.`, a
//! backslash, a colon (a Windows drive or stream), a NUL or invalid UTF-8 refuses the
//! request. As a second line of defence the file found is canonicalised and must still lie
//! under the canonical root, which also keeps symbolic links from leading out of it.

use std::path::{Path, PathBuf};

/// Why a request path does not name a file under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8 after decoding.
    BadEncoding,
    /// A segment that would leave the root or is not a plain name (`..`, `.`, `\`, `:`,
    /// NUL).
    Traversal,
}

/// Decodes `%XX` escapes (RFC 3986 §2.1) into bytes.
pub fn percent_decode(path: &str) -> Result<Vec<u8>, PathError> {
    let mut out = Vec::with_capacity(path.len());
    let mut bytes = path.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = bytes.next().and_then(hex).ok_or(PathError::BadEncoding)?;
            let lo = bytes.next().and_then(hex).ok_or(PathError::BadEncoding)?;
            out.push((hi << 4) | lo);
        } else {
            out.push(b);
        }
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

/// The relative file path that the request path `path` (percent-encoded, starting with
/// `/`) names, or why it names none.
///
/// ```
/// use stator_cli::files::{PathError, relative_path};
///
/// assert_eq!(relative_path("/css/site%20main.css").unwrap(), std::path::Path::new("css/site main.css"));
/// assert_eq!(relative_path("/a/%2e%2e/%2e%2e/etc/passwd"), Err(PathError::Traversal));
/// ```
pub fn relative_path(path: &str) -> Result<PathBuf, PathError> {
    let decoded = String::from_utf8(percent_decode(path)?).map_err(|_| PathError::BadEncoding)?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        if segment.is_empty() {
            continue;
        }
        let plain = segment != ".." && segment != "." && !segment.contains(['\\', ':', '\0']);
        if !plain {
            return Err(PathError::Traversal);
        }
        relative.push(segment);
    }
    Ok(relative)
}

/// What a lookup under the root found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// A regular file, canonical path.
    File(PathBuf),
    /// Nothing there (or not readable).
    NotFound,
    /// The request path was refused.
    Refused(PathError),
}

/// Finds the file that `path` names under `root` (canonical); a directory serves its
/// `index.html`.
pub(crate) async fn lookup(root: &Path, path: &str) -> Lookup {
    let relative = match relative_path(path) {
        Ok(relative) => relative,
        Err(e) => return Lookup::Refused(e),
    };
    let mut candidate = root.join(relative);
    if tokio::fs::metadata(&candidate)
        .await
        .is_ok_and(|m| m.is_dir())
    {
        candidate.push("index.html");
    }
    let Ok(canonical) = tokio::fs::canonicalize(&candidate).await else {
        return Lookup::NotFound;
    };
    if !canonical.starts_with(root) {
        return Lookup::Refused(PathError::Traversal);
    }
    match tokio::fs::metadata(&canonical).await {
        Ok(m) if m.is_file() => Lookup::File(canonical),
        _ => Lookup::NotFound,
    }
}

/// The media type for a file name, by its extension (`application/octet-stream` if
/// unknown).
pub fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "md" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn plain_paths_map_to_relative_paths() {
        assert_eq!(relative_path("/").unwrap(), PathBuf::new());
        assert_eq!(
            relative_path("/a//b/c.txt").unwrap(),
            Path::new("a/b/c.txt")
        );
        assert_eq!(relative_path("/%41%62").unwrap(), Path::new("Ab"));
        assert_eq!(relative_path("/..file").unwrap(), Path::new("..file"));
    }

    #[test]
    fn traversal_is_refused_after_decoding() {
        for path in [
            "/..",
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/x",
            "/%2E%2E/x",
            "/.%2e/x",
            "/a%2f..%2fb",
            "/..%5cwindows",
            "/C:/Windows",
            "/%00",
            "/./a",
        ] {
            assert_eq!(relative_path(path), Err(PathError::Traversal), "{path}");
        }
    }

    #[test]
    fn bad_escapes_are_refused() {
        for path in ["/%", "/%2", "/%zz", "/%ff%fe"] {
            assert_eq!(relative_path(path), Err(PathError::BadEncoding), "{path}");
        }
    }

    #[test]
    fn absolute_components_cannot_replace_the_root() {
        // An empty segment is skipped, so "//etc/passwd" stays relative.
        let relative = relative_path("//etc/passwd").unwrap();
        assert!(relative.is_relative());
        assert_eq!(
            Path::new("/srv").join(relative),
            Path::new("/srv/etc/passwd")
        );
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type(Path::new("a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
