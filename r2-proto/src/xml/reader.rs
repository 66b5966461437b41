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
use quick_xml::events::{BytesRef, Event};

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

/// The local name of an element, copied out of the event (no allocation).
#[derive(Clone, Copy)]
pub(crate) struct Name {
    bytes: [u8; 64],
    len: usize,
}

impl Name {
    fn new(local: &[u8]) -> Self {
        let mut bytes = [0u8; 64];
        let len = local.len().min(bytes.len());
        for (dst, src) in bytes.iter_mut().zip(local) {
            *dst = *src;
        }
        Self { bytes, len }
    }

    /// The name's bytes (names longer than 64 bytes are cut, and so match nothing S3 sends).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The name as text, for error messages.
    pub(crate) fn to_text(self) -> String {
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
}

/// The local part of a qualified name (`s3:Key` → `Key`), as bytes.
fn local(qualified: &str) -> &[u8] {
    let name = qualified.rsplit(':').next().unwrap_or(qualified);
    name.as_bytes()
}

fn malformed(error: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(error.to_string())
}

/// The text an entity or character reference stands for.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, XmlError> {
    if let Some(c) = reference.resolve_char_ref().map_err(malformed)? {
        return Ok(c);
    }
    match &*reference.clone().into_inner() {
        "amp" => Ok('&'),
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "quot" => Ok('"'),
        "apos" => Ok('\''),
        other => Err(XmlError::Malformed(format!("unknown entity &{other};"))),
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
        let mut text: Option<Cow<'a, str>> = None;
        let mut depth = 0usize;
        loop {
            match self.inner.read_event().map_err(malformed)? {
                Event::Text(t) if depth == 0 => append(&mut text, t.xml10_content()),
                Event::CData(c) if depth == 0 => append(&mut text, c.into_inner()),
                Event::GeneralRef(r) if depth == 0 => {
                    let c = resolve_reference(&r)?;
                    let mut owned = text.take().map(Cow::into_owned).unwrap_or_default();
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
            let mut owned = before.into_owned();
            owned.push_str(&piece);
            Cow::Owned(owned)
        }
    });
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
