//! Meta's rules for media a business sends: which types each kind takes and how large a file
//! may be. A file is also recognised by its content (its magic numbers), so a renamed `.exe`
//! never reaches Meta as a photo.

use serde::{Deserialize, Serialize};

pub const KB: u64 = 1024;
pub const MB: u64 = 1024 * 1024;
/// The largest file Meta takes (a document); an upload body beyond it is refused unread.
pub const LARGEST: u64 = 100 * MB;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub const ALL: [MediaKind; 5] = [Self::Image, Self::Video, Self::Audio, Self::Document, Self::Sticker];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The MIME types Meta accepts for this kind.
    pub fn accepted(self) -> &'static [&'static str] {
        match self {
            Self::Image => &["image/jpeg", "image/png"],
            Self::Video => &["video/mp4", "video/3gpp"],
            Self::Audio => &["audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"],
            Self::Document => &[
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.ms-excel",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ],
            Self::Sticker => &["image/webp"],
        }
    }

    /// The kind a MIME type is sent as when the uploader does not say.
    pub fn of_mime(mime: &str) -> Option<Self> {
        [Self::Image, Self::Sticker, Self::Video, Self::Audio, Self::Document].into_iter().find(|k| k.accepted().contains(&mime))
    }

    /// Meta's size limit (a sticker's depends on whether it is animated).
    pub fn max_bytes(self, animated: bool) -> u64 {
        match self {
            Self::Image => 5 * MB,
            Self::Video | Self::Audio => 16 * MB,
            Self::Document => LARGEST,
            Self::Sticker if animated => 500 * KB,
            Self::Sticker => 100 * KB,
        }
    }
}

/// Why a file cannot be sent through WhatsApp; `field` names the part of the upload at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct MediaProblem {
    pub field: &'static str,
    pub reason: String,
}

fn problem(field: &'static str, reason: impl Into<String>) -> MediaProblem {
    MediaProblem { field, reason: reason.into() }
}

/// A file that passed Meta's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUpload {
    pub kind: MediaKind,
    pub mime_type: String,
    pub animated: bool,
}

/// The type a file name's extension suggests (for uploads sent as `application/octet-stream`).
fn mime_of_extension(filename: &str) -> Option<&'static str> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "opus" => "audio/ogg",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => return None,
    })
}

/// The usual file extension of a type Meta accepts (for a file served without a name).
pub fn extension_of(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "audio/ogg" => "ogg",
        "text/plain" => "txt",
        "application/pdf" => "pdf",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        _ => return None,
    })
}

/// What the content is, in Meta's vocabulary, when its magic numbers say.
fn sniffed(bytes: &[u8]) -> Option<&'static str> {
    let t = infer::get(bytes)?.mime_type();
    Some(match t {
        "audio/m4a" | "audio/x-m4a" => "audio/mp4",
        "video/quicktime" => "video/quicktime",
        "audio/x-aac" => "audio/aac",
        other => other,
    })
}

/// Types whose content always carries magic numbers: a file that lacks them is not what it says.
fn must_be_recognised(mime: &str) -> bool {
    matches!(mime, "image/jpeg" | "image/png" | "image/webp" | "application/pdf" | "video/mp4" | "video/3gpp")
}

/// Two names of what Meta treats as one container (an `.m4a` is an MP4 of audio, …).
fn same_container(declared: &str, found: &str) -> bool {
    declared == found
        || matches!(
            (declared, found),
            ("audio/mp4", "video/mp4")
                | ("video/mp4", "audio/mp4")
                | ("video/3gpp", "video/mp4")
                | ("video/mp4", "video/3gpp")
        )
        // Office files are ZIP (Office Open XML) or OLE (legacy Office) containers that a sniffer
        // may only see as such; no other type may be either.
        || (found == "application/zip" && OFFICE_OPEN_XML.contains(&declared))
        || (found == "application/x-ole-storage" && LEGACY_OFFICE.contains(&declared))
}

const OFFICE_OPEN_XML: [&str; 3] = [
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];
const LEGACY_OFFICE: [&str; 3] = ["application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"];

/// An animated WebP has the VP8X header with its animation flag set.
fn animated_webp(bytes: &[u8]) -> bool {
    bytes.len() > 20 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" && &bytes[12..16] == b"VP8X" && bytes[20] & 0x02 != 0
}

/// Check a file against Meta's rules: its kind (asked for, or the type's usual one), its type
/// (declared, or from the file name when declared as `application/octet-stream`), its content
/// and its size.
pub fn check_upload(
    kind: Option<&str>,
    declared_mime: Option<&str>,
    filename: Option<&str>,
    bytes: &[u8],
) -> Result<CheckedUpload, MediaProblem> {
    if bytes.is_empty() {
        return Err(problem("file", "is empty"));
    }
    let declared = declared_mime.map(|m| m.split(';').next().unwrap_or("").trim().to_ascii_lowercase()).filter(|m| !m.is_empty());
    let mime = match declared.as_deref() {
        None | Some("application/octet-stream") => filename
            .and_then(mime_of_extension)
            .or_else(|| sniffed(bytes))
            .ok_or_else(|| problem("file", "its type is not given, and neither its name nor its content says it"))?
            .to_owned(),
        Some(m) => m.to_owned(),
    };
    let kind = match kind {
        Some(k) => MediaKind::parse(k).ok_or_else(|| problem("type", "must be one of image, video, audio, document, sticker"))?,
        None => MediaKind::of_mime(&mime).ok_or_else(|| problem("file", format!("{mime} is not a type WhatsApp accepts")))?,
    };
    if !kind.accepted().contains(&mime.as_str()) {
        return Err(problem("file", format!("{} takes {}, not {mime}", kind.as_str(), kind.accepted().join(", "))));
    }
    match sniffed(bytes) {
        Some(found) if !same_container(&mime, found) => {
            return Err(problem("file", format!("its content is {found}, not the {mime} it claims to be")));
        }
        None if must_be_recognised(&mime) => return Err(problem("file", format!("its content is not {mime}"))),
        _ => {}
    }
    let animated = kind == MediaKind::Sticker && animated_webp(bytes);
    let max = kind.max_bytes(animated);
    if bytes.len() as u64 > max {
        let what =
            if kind == MediaKind::Sticker { if animated { "an animated sticker" } else { "a static sticker" } } else { kind.as_str() };
        return Err(problem("file", format!("{what} may be at most {} KB (got {} KB)", max / KB, (bytes.len() as u64).div_ceil(KB))));
    }
    Ok(CheckedUpload { kind, mime_type: mime, animated })
}

/// Test files: the smallest content each type is recognised by.
pub mod samples {
    pub fn jpeg(len: usize) -> Vec<u8> {
        padded(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00], len)
    }
    pub fn png(len: usize) -> Vec<u8> {
        padded(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R'], len)
    }
    pub fn pdf(len: usize) -> Vec<u8> {
        padded(b"%PDF-1.7\n", len)
    }
    pub fn mp4(len: usize) -> Vec<u8> {
        padded(&[0, 0, 0, 0x18, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm', 0, 0, 0, 0, b'i', b's', b'o', b'm'], len)
    }
    pub fn webp(len: usize, animated: bool) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        v.push(if animated { 0x02 } else { 0x00 });
        padded(&v, len)
    }
    pub fn ogg(len: usize) -> Vec<u8> {
        padded(b"OggS\0\x02\0\0\0\0\0\0\0\0", len)
    }
    /// A ZIP archive's local file header (what an Office Open XML file starts with).
    pub fn zip(len: usize) -> Vec<u8> {
        padded(b"PK\x03\x04\x14\0\0\0\x08\0", len)
    }
    /// An OLE compound file's header (what a legacy Office file starts with).
    pub fn ole(len: usize) -> Vec<u8> {
        padded(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0, 0, 0, 0, 0], len)
    }
    fn padded(head: &[u8], len: usize) -> Vec<u8> {
        let mut v = head.to_vec();
        v.resize(len.max(head.len()), 0x20);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    #[test]
    fn uploads_are_checked_against_meta_rules_as_a_table() {
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
        // (type asked for, declared MIME type, file name, bytes) → (kind, type) or the problem's start.
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Vec<u8>, Result<(MediaKind, &'a str), &'a str>);
        let cases: Vec<Case> = vec![
            (None, Some("image/jpeg"), Some("a.jpg"), jpeg(1000), Ok((MediaKind::Image, "image/jpeg"))),
            (None, Some("image/png; charset=binary"), None, png(1000), Ok((MediaKind::Image, "image/png"))),
            (None, Some("application/octet-stream"), Some("photo.JPG"), jpeg(10), Ok((MediaKind::Image, "image/jpeg"))),
            (None, None, None, pdf(100), Ok((MediaKind::Document, "application/pdf"))),
            (Some("document"), Some("image/jpeg"), None, jpeg(10), Err("file: document takes")),
            (Some("image"), Some("image/jpeg"), None, jpeg(5 * 1024 * 1024), Ok((MediaKind::Image, "image/jpeg"))),
            (Some("image"), Some("image/jpeg"), None, jpeg(5 * 1024 * 1024 + 1), Err("file: image may be at most 5120 KB")),
            (None, Some("image/jpeg"), Some("x.jpg"), exe.clone(), Err("file: its content is application/")),
            (None, Some("image/jpeg"), None, b"just text".to_vec(), Err("file: its content is not image/jpeg")),
            (None, Some("image/gif"), None, b"GIF89a....".to_vec(), Err("file: image/gif is not a type WhatsApp accepts")),
            (None, Some("image/webp"), None, webp(100 * 1024, false), Ok((MediaKind::Sticker, "image/webp"))),
            (None, Some("image/webp"), None, webp(100 * 1024 + 1, false), Err("file: a static sticker may be at most 100 KB")),
            (None, Some("image/webp"), None, webp(400 * 1024, true), Ok((MediaKind::Sticker, "image/webp"))),
            (None, Some("image/webp"), None, webp(500 * 1024 + 1, true), Err("file: an animated sticker may be at most 500 KB")),
            (None, Some("video/mp4"), None, mp4(16 * 1024 * 1024 + 1), Err("file: video may be at most 16384 KB")),
            (Some("audio"), Some("audio/ogg"), None, ogg(1000), Ok((MediaKind::Audio, "audio/ogg"))),
            (None, Some("text/plain"), Some("notes.txt"), b"hello".to_vec(), Ok((MediaKind::Document, "text/plain"))),
            (Some("photo"), Some("image/jpeg"), None, jpeg(10), Err("type: must be one of")),
            (None, Some("image/jpeg"), None, vec![], Err("file: is empty")),
            (None, None, Some("blob"), b"??".to_vec(), Err("file: its type is not given")),
            // ZIP passes only as Office Open XML, OLE only as legacy Office.
            (None, Some("image/jpeg"), Some("x.zip"), zip(1000), Err("file: its content is application/zip")),
            (None, Some("text/plain"), Some("x.txt"), zip(1000), Err("file: its content is application/zip")),
            (None, Some("application/pdf"), None, zip(1000), Err("file: its content is application/zip")),
            (None, Some("video/mp4"), None, ole(1000), Err("file: its content is application/x-ole-storage")),
            (None, Some("application/vnd.ms-excel"), None, zip(1000), Err("file: its content is application/zip")),
            (
                None,
                Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                None,
                zip(1000),
                Ok((MediaKind::Document, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            ),
            (None, Some("application/msword"), Some("a.doc"), ole(1000), Ok((MediaKind::Document, "application/msword"))),
        ];
        for (i, (kind, mime, name, bytes, want)) in cases.into_iter().enumerate() {
            let got = check_upload(kind, mime, name, &bytes);
            match (got, want) {
                (Ok(c), Ok((k, m))) => assert_eq!((c.kind, c.mime_type.as_str()), (k, m), "case {i}"),
                (Err(p), Err(prefix)) => assert!(p.to_string().starts_with(prefix), "case {i}: {p}"),
                (got, want) => panic!("case {i}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn every_accepted_type_maps_back_to_its_kind() {
        for k in MediaKind::ALL {
            for m in k.accepted() {
                assert_eq!(MediaKind::of_mime(m), Some(k), "{m}");
            }
            assert_eq!(MediaKind::parse(k.as_str()), Some(k));
            for m in k.accepted() {
                let ext = extension_of(m).unwrap_or_else(|| panic!("{m} has an extension"));
                assert_eq!(mime_of_extension(&format!("f.{ext}")), Some(*m), "{ext} round-trips");
            }
        }
    }
}
