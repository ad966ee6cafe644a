//! A session's lines either decoded or still as the JSON they were stored
//! as.
//!
//! Reading a stored session back is most of what a metadata update, or a
//! retrieve, costs when the node has no memo of that session, and its lines
//! were three fifths of that decoding (callgrind: 11.6 k of 18.7 k
//! instructions for a session with two lines), although neither reads
//! them. [`crate::session::Session`] is therefore generic over its lines: `Session` (the
//! default) has them decoded; `Session<StoredLines>` keeps the stored JSON,
//! takes an update that leaves the lines alone
//! ([`crate::session::Session::update_fields`]), and is rendered with its lines decoded
//! only where the rendering includes them ([`LineList::decoded`]).

use crate::session::LineItem;
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Error as _, Serialize, Serializer};
use serde_json::value::RawValue;
use std::sync::Arc;

/// What a session's lines must offer, however they are held.
pub trait LineList {
    /// Whether there are none (the stored JSON then leaves the key out).
    fn no_lines(&self) -> bool;
    /// The lines, decoded: the same pointer when they already are.
    fn decoded(&self) -> serde_json::Result<Arc<Vec<LineItem>>>;
}

impl LineList for Arc<Vec<LineItem>> {
    fn no_lines(&self) -> bool {
        self.is_empty()
    }

    fn decoded(&self) -> serde_json::Result<Arc<Vec<LineItem>>> {
        Ok(self.clone())
    }
}

/// Lines as the JSON array they were stored as (`None`: no lines), read
/// without decoding: the parser only finds where the array ends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredLines(Option<Arc<str>>);

impl StoredLines {
    /// The stored JSON of the lines, if there are any.
    pub fn json(&self) -> Option<&Arc<str>> {
        self.0.as_ref()
    }
}

impl From<Arc<str>> for StoredLines {
    fn from(json: Arc<str>) -> Self {
        Self(Some(json))
    }
}

impl LineList for StoredLines {
    fn no_lines(&self) -> bool {
        self.0.is_none()
    }

    fn decoded(&self) -> serde_json::Result<Arc<Vec<LineItem>>> {
        match &self.0 {
            Some(json) => serde_json::from_str(json).map(Arc::new),
            None => Ok(Arc::default()),
        }
    }
}

impl<'de> Deserialize<'de> for StoredLines {
    /// Only through serde_json, whose parser alone knows `RawValue`: the
    /// way stored sessions are read.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Ok(Self(Some(Arc::from(raw.get()))))
    }
}

impl Serialize for StoredLines {
    /// Through the decoded lines: no serializer-independent way exists to
    /// write JSON text as it is. The server writes stored sessions
    /// itself, with the text (its `http::stripe::hot`); this is for the
    /// rest (tests, debugging).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.decoded().map_err(S::Error::custom)?.serialize(s)
    }
}
