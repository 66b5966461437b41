//! A listing followed page after page, without I/O: the pager every
//! adapter's `list_all` and `list_entries` run. It hands out what the pages
//! already fetched hold, asks for the next page when that is used up, and
//! ends after the last page or the first error.

use std::collections::VecDeque;

use super::list_objects_v2::{ListObjectsV2, ListObjectsV2Output, ListPages, ObjectSummary};
use crate::error::{R2Error, ResponseError, ResponseProblem};
use crate::operation_name::OperationName;

/// One entry of a listing with a delimiter: an object, or a prefix the
/// server rolled up at the delimiter (a "directory").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    /// An object.
    Object(ObjectSummary),
    /// A common prefix, ending with the delimiter.
    Prefix(String),
}

impl ListEntry {
    /// The object, if this entry is one.
    pub fn into_object(self) -> Option<ObjectSummary> {
        match self {
            Self::Object(object) => Some(object),
            Self::Prefix(_) => None,
        }
    }

    /// The prefix, if this entry is one.
    pub fn into_prefix(self) -> Option<String> {
        match self {
            Self::Prefix(prefix) => Some(prefix),
            Self::Object(_) => None,
        }
    }

    /// The object's key, or the prefix.
    pub fn key(&self) -> &str {
        match self {
            Self::Object(object) => &object.key,
            Self::Prefix(prefix) => prefix,
        }
    }
}

/// What a listing yields from each page: objects only, or objects and
/// common prefixes.
pub trait ListItem: Sized {
    /// Takes this kind of item out of `page`, in the order to hand it out.
    fn from_page(page: ListObjectsV2Output, into: &mut VecDeque<Self>);
}

impl ListItem for ObjectSummary {
    fn from_page(page: ListObjectsV2Output, into: &mut VecDeque<Self>) {
        into.extend(page.contents);
    }
}

impl ListItem for ListEntry {
    /// Objects and prefixes merged in key order, as S3 orders them within
    /// a page (it sends them in two lists).
    fn from_page(page: ListObjectsV2Output, into: &mut VecDeque<Self>) {
        let mut objects = page.contents.into_iter().peekable();
        let mut prefixes = page.common_prefixes.into_iter().peekable();
        loop {
            let object_first = match (objects.peek(), prefixes.peek()) {
                (Some(object), Some(prefix)) => object.key.as_str() <= prefix.as_str(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return,
            };
            let entry = if object_first {
                objects.next().map(Self::Object)
            } else {
                prefixes.next().map(Self::Prefix)
            };
            into.extend(entry);
        }
    }
}

/// A listing's items page after page; `T` is [`ObjectSummary`] (objects
/// only, what `list_all` yields) or [`ListEntry`] (objects and common
/// prefixes, what `list_entries` yields).
#[derive(Debug, Clone)]
pub struct ListKeys<T = ObjectSummary> {
    pages: Option<ListPages>,
    items: VecDeque<T>,
}

/// What a [`ListKeys`] has next.
#[derive(Debug)]
pub enum NextKey<T = ObjectSummary> {
    /// An item.
    Key(T),
    /// Send this to get the next page, and hand the outcome to
    /// [`ListKeys::take`].
    Fetch(ListObjectsV2),
    /// The listing is over.
    End,
}

impl<T: ListItem> ListKeys<T> {
    /// The items of `list`, from its first page.
    pub fn new(list: ListObjectsV2) -> Self {
        Self {
            pages: Some(list.pages()),
            items: VecDeque::new(),
        }
    }

    /// The next item, the next page to fetch, or the end.
    pub fn poll(&mut self) -> NextKey<T> {
        if let Some(item) = self.items.pop_front() {
            return NextKey::Key(item);
        }
        match self.pages.as_ref().and_then(ListPages::next_request) {
            Some(request) => NextKey::Fetch(request.clone()),
            None => NextKey::End,
        }
    }

    /// Takes the outcome of the page last fetched; an error ends the listing.
    pub fn take(&mut self, page: Result<ListObjectsV2Output, R2Error>) -> Result<(), R2Error> {
        let advanced = page.and_then(|page| {
            let pages = self.pages.as_mut().ok_or_else(|| {
                R2Error::from(ResponseError {
                    operation: OperationName::ListObjectsV2,
                    problem: ResponseProblem::StuckPagination("a page after the end"),
                })
            })?;
            pages.advance(&page)?;
            T::from_page(page, &mut self.items);
            Ok(())
        });
        if advanced.is_err() {
            self.pages = None;
        }
        advanced
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::BucketName;

    fn summary(key: &str) -> ObjectSummary {
        ObjectSummary {
            key: key.into(),
            last_modified: None,
            etag: None,
            size: 1,
            storage_class: None,
            owner: None,
        }
    }

    fn page(keys: &[&str], prefixes: &[&str], next: Option<&str>) -> ListObjectsV2Output {
        ListObjectsV2Output {
            contents: keys.iter().map(|k| summary(k)).collect(),
            common_prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
            is_truncated: next.is_some(),
            next_continuation_token: next.map(str::to_owned),
            ..ListObjectsV2Output::default()
        }
    }

    fn drain<T: ListItem>(keys: &mut ListKeys<T>) -> (Vec<T>, Option<ListObjectsV2>) {
        let mut items = Vec::new();
        loop {
            match keys.poll() {
                NextKey::Key(item) => items.push(item),
                NextKey::Fetch(request) => return (items, Some(request)),
                NextKey::End => return (items, None),
            }
        }
    }

    #[test]
    fn entries_merge_objects_and_prefixes_in_key_order_across_pages() {
        let list = ListObjectsV2::new(BucketName::new("bkt").unwrap()).delimiter("/");
        let mut entries = ListKeys::<ListEntry>::new(list.clone());
        let (none, first) = drain(&mut entries);
        assert!(none.is_empty());
        assert_eq!(first.as_ref(), Some(&list));
        entries
            .take(Ok(page(&["a.txt", "c.txt"], &["b/", "d/"], Some("t1"))))
            .unwrap();
        let (got, second) = drain(&mut entries);
        let keys: Vec<&str> = got.iter().map(ListEntry::key).collect();
        assert_eq!(keys, ["a.txt", "b/", "c.txt", "d/"]);
        assert!(matches!(got[1], ListEntry::Prefix(_)));
        assert!(second.is_some());
        entries.take(Ok(page(&[], &["e/"], None))).unwrap();
        let (last, end) = drain(&mut entries);
        assert_eq!(last, [ListEntry::Prefix("e/".into())]);
        assert!(end.is_none());
    }

    #[test]
    fn objects_only_skip_prefixes_and_an_error_ends_the_listing() {
        let list = ListObjectsV2::new(BucketName::new("bkt").unwrap());
        let mut keys = ListKeys::<ObjectSummary>::new(list);
        keys.take(Ok(page(&["a"], &["p/"], Some("t1")))).unwrap();
        let (got, next) = drain(&mut keys);
        assert_eq!(got, [summary("a")]);
        assert!(next.is_some());
        let stuck = keys.take(Ok(page(&[], &[], Some("t1"))));
        assert!(stuck.is_err(), "the same token twice is an error");
        assert!(matches!(keys.poll(), NextKey::End));
    }
}
