//! A small pull reader over quick-xml for S3 response bodies.
//!
//! Parsers walk a document by element name, never by position: S3 and
//! S3-compatible servers order elements differently, add elements of their
//! own, and may or may not declare a namespace. The reader hands out
//! children of the current element one at a time ([`XmlReader::next_child`]);
//! the parser reads a child's text ([`XmlReader::text`]), descends into it
//! (another `next_child` loop), or skips it ([`XmlReader::skip`]).
//!
//! Text is unescaped (`&amp;`, `&quot;`, `&#13;`, …) and borrowed from the
//! body when it holds no escapes. Line ends are normalised as XML 1.0
//! requires, which is why S3 escapes a carriage return in a key as `&#13;`.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesText, Event};

/// Why a body is not the XML a parser expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// Not well-formed, or cut short.
    Malformed(String),
    /// The document's root element is not the expected one.
    UnexpectedRoot {
        /// The root element found (local name).
        found: String,
    },
}

/// The longest element name kept; S3's longest is 30 bytes
/// (`AbortIncompleteMultipartUpload`). Longer names match nothing.
const MAX_NAME: usize = 32;

/// The local name of an element, copied out of the event (no allocation).
#[derive(Clone, Copy)]
pub(crate) struct Name {
    bytes: [u8; MAX_NAME],
    len: u8,
}

impl Name {
    fn new(local: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_NAME];
        match bytes.get_mut(..local.len()) {
            Some(slot) => {
                slot.copy_from_slice(local);
                Self {
                    bytes,
                    len: local.len() as u8,
                }
            }
            None => Self {
                bytes,
                len: u8::MAX,
            },
        }
    }

    /// The name's bytes; empty for names too long to be one S3 sends.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The name as text, for error messages.
    pub(crate) fn to_text(self) -> String {
        if self.len == u8::MAX {
            return "(a name over 32 bytes)".into();
        }
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

/// A child element handed out by [`XmlReader::next_child`].
#[derive(Clone, Copy)]
pub(crate) struct Child {
    name: Name,
    empty: bool,
}

impl Child {
    /// The child's local name.
    pub(crate) fn name(&self) -> &[u8] {
        self.name.as_bytes()
    }
}

/// Reads one document from a byte slice.
pub(crate) struct XmlReader<'a> {
    inner: Reader<&'a [u8]>,
    /// True after an empty root element: it has no children.
    root_was_empty: bool,
    /// True when the body holds a carriage return, so text needs XML 1.0
    /// line-end normalisation (one scan of the body instead of one per text).
    has_cr: bool,
}

/// The local part of a qualified name (`s3:Key` → `Key`), as bytes.
fn local(qualified: &str) -> &[u8] {
    let bytes = qualified.as_bytes();
    match bytes.iter().rposition(|&b| b == b':') {
        Some(colon) => bytes.get(colon + 1..).unwrap_or_default(),
        None => bytes,
    }
}

fn malformed(error: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(error.to_string())
}

/// The text an entity or character reference stands for.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, XmlError> {
    match &**reference {
        "quot" => Ok('"'),
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "apos" => Ok('\''),
        _ => match reference.resolve_char_ref().map_err(malformed)? {
            Some(c) => Ok(c),
            None => Err(XmlError::Malformed(format!(
                "unknown entity &{};",
                &**reference
            ))),
        },
    }
}

impl<'a> XmlReader<'a> {
    /// Opens `body` and reads up to its root element, returning the reader
    /// (positioned inside the root) and the root's local name.
    pub(crate) fn open(body: &'a [u8]) -> Result<(Self, Name), XmlError> {
        let mut inner = Reader::from_reader(body);
        inner.config_mut().check_end_names = true;
        let mut this = Self {
            inner,
            root_was_empty: false,
            has_cr: memchr::memchr(b'\r', body).is_some(),
        };
        loop {
            match this.inner.read_event().map_err(malformed)? {
                Event::Start(start) => return Ok((this, Name::new(local(start.name().as_ref())))),
                Event::Empty(start) => {
                    this.root_was_empty = true;
                    return Ok((this, Name::new(local(start.name().as_ref()))));
                }
                Event::Text(text) if text.as_ref().bytes().all(|b| b.is_ascii_whitespace()) => {}
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
                Event::Eof => return Err(XmlError::Malformed("empty document".into())),
                _ => return Err(XmlError::Malformed("text before the root element".into())),
            }
        }
    }

    /// Opens `body` and checks that its root is one of `roots`.
    pub(crate) fn open_root(body: &'a [u8], roots: &[&str]) -> Result<Self, XmlError> {
        let (reader, root) = Self::open(body)?;
        if roots.iter().any(|r| r.as_bytes() == root.as_bytes()) {
            Ok(reader)
        } else {
            Err(XmlError::UnexpectedRoot {
                found: root.to_text(),
            })
        }
    }

    /// The next child of the current element, or `None` at its end tag.
    pub(crate) fn next_child(&mut self) -> Result<Option<Child>, XmlError> {
        if std::mem::take(&mut self.root_was_empty) {
            return Ok(None);
        }
        loop {
            match self.inner.read_event().map_err(malformed)? {
                Event::Start(start) => {
                    return Ok(Some(Child {
                        name: Name::new(local(start.name().as_ref())),
                        empty: false,
                    }));
                }
                Event::Empty(start) => {
                    return Ok(Some(Child {
                        name: Name::new(local(start.name().as_ref())),
                        empty: true,
                    }));
                }
                Event::End(_) => return Ok(None),
                Event::Eof => {
                    return Err(XmlError::Malformed(
                        "document ends inside an element".into(),
                    ));
                }
                Event::Text(_)
                | Event::GeneralRef(_)
                | Event::CData(_)
                | Event::Comment(_)
                | Event::PI(_)
                | Event::Decl(_)
                | Event::DocType(_) => {}
            }
        }
    }

    /// The text content of `child` (which [`next_child`](Self::next_child)
    /// just returned), unescaped. Nested elements are skipped.
    pub(crate) fn text(&mut self, child: Child) -> Result<Cow<'a, str>, XmlError> {
        if child.empty {
            return Ok(Cow::Borrowed(""));
        }
        // The common shape, one text event and the end tag, borrows the text.
        let first = self.inner.read_event().map_err(malformed)?;
        let (text, next) = match first {
            Event::End(_) => return Ok(Cow::Borrowed("")),
            Event::Text(t) => {
                let piece = self.text_content(t);
                match self.inner.read_event().map_err(malformed)? {
                    Event::End(_) => return Ok(piece),
                    next => (Some(piece), next),
                }
            }
            other => (None, other),
        };
        self.text_rest(text, next)
    }

    fn text_content(&self, text: BytesText<'a>) -> Cow<'a, str> {
        if self.has_cr {
            text.xml10_content()
        } else {
            text.into_inner()
        }
    }

    /// Gathers the rest of an element's text, starting with `event`: more
    /// text, entity references, CDATA; nested elements skipped.
    fn text_rest(
        &mut self,
        mut text: Option<Cow<'a, str>>,
        mut event: Event<'a>,
    ) -> Result<Cow<'a, str>, XmlError> {
        let mut depth = 0usize;
        loop {
            match event {
                Event::Text(t) if depth == 0 => {
                    let piece = self.text_content(t);
                    append(&mut text, piece);
                }
                Event::CData(c) if depth == 0 => append(&mut text, c.into_inner()),
                Event::GeneralRef(r) if depth == 0 => {
                    let c = resolve_reference(&r)?;
                    let mut owned = into_growable(text.take(), c.len_utf8());
                    owned.push(c);
                    text = Some(Cow::Owned(owned));
                }
                Event::Start(_) => depth += 1,
                Event::End(_) if depth > 0 => depth -= 1,
                Event::End(_) => return Ok(text.unwrap_or(Cow::Borrowed(""))),
                Event::Eof => {
                    return Err(XmlError::Malformed(
                        "document ends inside an element".into(),
                    ));
                }
                _ => {}
            }
            event = self.inner.read_event().map_err(malformed)?;
        }
    }

    /// Skips `child` and everything inside it.
    pub(crate) fn skip(&mut self, child: Child) -> Result<(), XmlError> {
        if child.empty {
            return Ok(());
        }
        let mut depth = 0usize;
        loop {
            match self.inner.read_event().map_err(malformed)? {
                Event::Start(_) => depth += 1,
                Event::End(_) if depth == 0 => return Ok(()),
                Event::End(_) => depth -= 1,
                Event::Eof => {
                    return Err(XmlError::Malformed(
                        "document ends inside an element".into(),
                    ));
                }
                _ => {}
            }
        }
    }

    /// Checks that nothing but whitespace, comments and processing
    /// instructions follows the root element.
    pub(crate) fn finish(mut self) -> Result<(), XmlError> {
        loop {
            match self.inner.read_event().map_err(malformed)? {
                Event::Eof => return Ok(()),
                Event::Text(t) if t.as_ref().bytes().all(|b| b.is_ascii_whitespace()) => {}
                Event::Comment(_) | Event::PI(_) => {}
                _ => return Err(XmlError::Malformed("content after the root element".into())),
            }
        }
    }
}

fn append<'a>(text: &mut Option<Cow<'a, str>>, piece: Cow<'a, str>) {
    *text = Some(match text.take() {
        None => piece,
        Some(before) => {
            let mut owned = into_growable(Some(before), piece.len());
            owned.push_str(&piece);
            Cow::Owned(owned)
        }
    });
}

/// The text so far as an owned string with room for `more` bytes and some
/// slack: text split by entities (`&quot;` around every ETag) grows in
/// several steps.
fn into_growable(text: Option<Cow<'_, str>>, more: usize) -> String {
    match text {
        Some(Cow::Owned(mut owned)) => {
            if owned.capacity() - owned.len() < more {
                owned.reserve(more + 32);
            }
            owned
        }
        Some(Cow::Borrowed(borrowed)) => {
            let mut owned = String::with_capacity(borrowed.len() + more + 64);
            owned.push_str(borrowed);
            owned
        }
        None => String::with_capacity(more + 64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Vec<(String, String)> {
        let (mut r, _) = XmlReader::open(body.as_bytes()).unwrap();
        let mut out = Vec::new();
        while let Some(child) = r.next_child().unwrap() {
            let name = String::from_utf8(child.name().to_vec()).unwrap();
            out.push((name, r.text(child).unwrap().into_owned()));
        }
        r.finish().unwrap();
        out
    }

    #[test]
    fn reads_children_by_name_with_entities() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
            <s3:Root xmlns:s3="urn:x"><s3:A>a &amp; b</s3:A><B/><C></C><D>&quot;x&quot;&#13;&#x1F600;</D><E><![CDATA[<raw>]]></E></s3:Root>"#;
        assert_eq!(
            texts(body),
            [
                ("A".into(), "a & b".into()),
                ("B".into(), String::new()),
                ("C".into(), String::new()),
                ("D".into(), "\"x\"\r😀".into()),
                ("E".into(), "<raw>".into()),
            ]
        );
    }

    #[test]
    fn normalises_line_ends_only_when_there_are_carriage_returns() {
        assert_eq!(
            texts("<R><A>a\r\nb\rc&#13;</A></R>"),
            [("A".into(), "a\nb\nc\r".into())]
        );
        assert_eq!(texts("<R><A>a\nb</A></R>"), [("A".into(), "a\nb".into())]);
    }

    #[test]
    fn borrows_plain_text() {
        let body = b"<R><K>plain</K></R>";
        let (mut r, _) = XmlReader::open(body).unwrap();
        let child = r.next_child().unwrap().unwrap();
        assert!(matches!(r.text(child).unwrap(), Cow::Borrowed("plain")));
    }

    #[test]
    fn skips_nested_content() {
        let body = b"<R><Skip><X><Y>1</Y></X></Skip><Keep>k</Keep></R>";
        let (mut r, _) = XmlReader::open(body).unwrap();
        let skip = r.next_child().unwrap().unwrap();
        r.skip(skip).unwrap();
        let keep = r.next_child().unwrap().unwrap();
        assert_eq!(keep.name(), b"Keep");
        assert_eq!(r.text(keep).unwrap(), "k");
        assert!(r.next_child().unwrap().is_none());
    }

    #[test]
    fn reports_bad_documents() {
        assert!(matches!(XmlReader::open(b""), Err(XmlError::Malformed(_))));
        assert!(matches!(
            XmlReader::open(b"   "),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            XmlReader::open(b"text"),
            Err(XmlError::Malformed(_))
        ));
        assert!(matches!(
            XmlReader::open_root(b"<Other/>", &["Root"]),
            Err(XmlError::UnexpectedRoot { found }) if found == "Other"
        ));
        let (mut r, _) = XmlReader::open(b"<R><A>cut").unwrap();
        let a = r.next_child().unwrap().unwrap();
        assert!(matches!(r.text(a), Err(XmlError::Malformed(_))));
        let (mut r, _) = XmlReader::open(b"<R><A>&bogus;</A></R>").unwrap();
        let a = r.next_child().unwrap().unwrap();
        assert!(matches!(r.text(a), Err(XmlError::Malformed(_))));
        let (mut r, _) = XmlReader::open(b"<R><A>x</B></R>").unwrap();
        let a = r.next_child().unwrap().unwrap();
        assert!(matches!(r.text(a), Err(XmlError::Malformed(_))));
        let (r, _) = XmlReader::open(b"<R/><S/>").unwrap();
        assert!(matches!(r.finish(), Err(XmlError::Malformed(_))));
        let (mut r, _) = XmlReader::open(b"<R><A>1</A>").unwrap();
        let a = r.next_child().unwrap().unwrap();
        r.text(a).unwrap();
        assert!(matches!(r.next_child(), Err(XmlError::Malformed(_))));
    }
}
