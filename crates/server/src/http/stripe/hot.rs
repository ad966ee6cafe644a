//! Sessions as this node last wrote them, kept for its next update of
//! them: decoded (no JSON to parse), and with the stored JSON of their line
//! items, which most updates (metadata, expiry, completion) leave as they
//! are. Encoding the lines and their price snapshots was three fifths of
//! encoding a stored session, and a tenth of a metadata update's
//! instructions (callgrind).
//!
//! The lines' JSON is reused only while the session holds the very `Arc`
//! of lines it was made from: a change to any line goes through
//! `Arc::make_mut` (or a new `Arc`), and the copy kept here makes that a
//! new pointer. A session is stored as `{…,"line_items":[…]}`: its other
//! fields through serde, then the lines' JSON. The key order differs from
//! the derive's, which no reader depends on (a unit test decodes it).
//!
//! An update that leaves the lines alone (metadata, say) never decodes
//! them: it reads the session as a `Session<StoredLines>`
//! ([`checkout_domain::lines`]), and the memo keeps it that way
//! ([`Hot::Stored`]) until an update that changes them decodes them.

use super::resource::json_text;
use checkout_domain::lines::{LineList, StoredLines};
use checkout_domain::session::{LineItem, Session};
use std::sync::Arc;

/// A session as this node stored it at one version (see the module docs).
#[derive(Clone)]
pub enum Hot {
    /// Lines decoded, with their stored JSON (`None`: no lines).
    Decoded {
        session: Arc<Session>,
        lines_json: Option<Arc<str>>,
    },
    /// Lines still their stored JSON.
    Stored(Arc<Session<StoredLines>>),
}

/// The lines' JSON as last stored, for the very lines it encodes.
pub struct ReusableLines {
    lines: Arc<Vec<LineItem>>,
    json: Arc<str>,
}

impl Hot {
    /// The session to change, decoded, and the JSON its lines were stored
    /// with.
    pub fn open(self) -> serde_json::Result<(Session, Option<ReusableLines>)> {
        let (session, json) = match self {
            Hot::Decoded {
                session,
                lines_json,
            } => (Arc::unwrap_or_clone(session), lines_json),
            Hot::Stored(stored) => {
                let stored = Arc::unwrap_or_clone(stored);
                let json = stored.line_items.json().cloned();
                (stored.decode_lines()?, json)
            }
        };
        let lines = json.map(|json| ReusableLines {
            lines: session.line_items.clone(),
            json,
        });
        Ok((session, lines))
    }

    /// The session to change with its lines as stored JSON, for an update
    /// that leaves them alone.
    pub fn open_stored(self) -> Session<StoredLines> {
        match self {
            Hot::Decoded {
                session,
                lines_json,
            } => {
                let lines = lines_json.map(StoredLines::from).unwrap_or_default();
                Arc::unwrap_or_clone(session).with_lines(lines)
            }
            Hot::Stored(stored) => Arc::unwrap_or_clone(stored),
        }
    }
}

/// The stored JSON of `s`, reusing `before` when `s` still holds the lines
/// it was made from; also the lines' JSON, for the next write.
pub fn encode(
    s: &mut Session,
    before: Option<ReusableLines>,
    capacity: usize,
) -> sonic_rs::Result<(String, Option<Arc<str>>)> {
    if s.line_items.is_empty() {
        return Ok((json_text(s, capacity)?, None));
    }
    let lines = match before {
        Some(b) if Arc::ptr_eq(&b.lines, &s.line_items) => b.json,
        _ => Arc::from(json_text(&*s.line_items, capacity)?),
    };
    Ok((with_lines_json(s, Some(&lines), capacity)?, Some(lines)))
}

/// The stored JSON of a session whose lines are still their stored JSON.
pub fn encode_stored(s: &mut Session<StoredLines>, capacity: usize) -> sonic_rs::Result<String> {
    let lines = s.line_items.json().cloned();
    with_lines_json(s, lines.as_deref(), capacity)
}

/// `s` through serde without its lines, then `lines` (JSON) as its
/// `line_items`.
fn with_lines_json<L: LineList + Default + serde::Serialize>(
    s: &mut Session<L>,
    lines: Option<&str>,
    capacity: usize,
) -> sonic_rs::Result<String> {
    // Without lines the derive leaves the key out (`skip_serializing_if`);
    // they are put back whatever happens.
    let items = std::mem::take(&mut s.line_items);
    let rest = json_text(s, capacity);
    s.line_items = items;
    let mut out = rest?;
    if let Some(lines) = lines {
        // `{…}` becomes `{…,"line_items":[…]}`.
        out.pop();
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str("\"line_items\":");
        out.push_str(lines);
        out.push('}');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_domain::metadata::MetadataPatch;
    use checkout_domain::session::{FieldsUpdate, SessionUpdate};

    /// A session stored before session 8 (every key), with two lines.
    const V1: &str = include_str!("../../../../domain/src/fixtures/stored_session_v1.json");

    fn session() -> Session {
        serde_json::from_str(V1).expect("fixture decodes")
    }

    fn decode(json: &str) -> Session {
        serde_json::from_str(json).expect("stored JSON decodes")
    }

    #[test]
    fn a_session_stored_with_its_lines_last_reads_back_the_same() {
        let mut s = session();
        assert!(!s.line_items.is_empty(), "the fixture has lines");
        let (json, lines) = encode(&mut s, None, 64).unwrap();
        assert_eq!(decode(&json), s);
        assert!(json.ends_with(&format!("\"line_items\":{}}}", lines.unwrap())));
    }

    #[test]
    fn lines_json_is_reused_only_for_the_same_lines() {
        let mut s = session();
        let (_, lines) = encode(&mut s, None, 64).unwrap();
        let hot = Hot::Decoded {
            session: Arc::new(s.clone()),
            lines_json: lines,
        };
        // Metadata only: the same lines, and the same JSON for them.
        let (current, before) = hot.clone().open().unwrap();
        let update = SessionUpdate {
            metadata: Some(MetadataPatch::Merge(vec![("k".into(), Some("v".into()))])),
            ..SessionUpdate::default()
        };
        let mut next = current.update(update, &mut || "li_new".into()).unwrap();
        let reused = before
            .as_ref()
            .map(|b| Arc::ptr_eq(&b.lines, &next.line_items));
        assert_eq!(reused, Some(true));
        let (json, _) = encode(&mut next, before, 64).unwrap();
        assert_eq!(decode(&json), next);
        // A changed line: the kept JSON is not used.
        let (mut current, before) = hot.open().unwrap();
        Arc::make_mut(&mut current.line_items)[0].quantity += 1;
        let (json, _) = encode(&mut current, before, 64).unwrap();
        assert_eq!(decode(&json), current);
    }

    /// A metadata update on a session whose lines are still stored JSON
    /// stores what the decoded path stores, from either kind of memo entry,
    /// and a later update of the lines decodes them from that JSON.
    #[test]
    fn lines_left_as_stored_json_are_written_back_as_they_were() {
        let mut s = session();
        let (json, lines) = encode(&mut s, None, 64).unwrap();
        let fields = FieldsUpdate {
            metadata: Some(MetadataPatch::Merge(vec![("k".into(), Some("v".into()))])),
            ..FieldsUpdate::default()
        };
        let expected = s.clone().update_fields(fields.clone()).unwrap();
        let read: Session<StoredLines> = serde_json::from_str(&json).unwrap();
        let decoded = Hot::Decoded {
            session: Arc::new(s.clone()),
            lines_json: lines.clone(),
        };
        for current in [read, decoded.open_stored()] {
            let mut next = current.update_fields(fields.clone()).unwrap();
            assert_eq!(next.line_items.json(), lines.as_ref());
            let stored = encode_stored(&mut next, 64).unwrap();
            assert_eq!(decode(&stored), expected);
            assert!(stored.ends_with(&format!("\"line_items\":{}}}", lines.as_ref().unwrap())));
            // The next update changes a line: decoded from the kept JSON.
            let (mut current, before) = Hot::Stored(Arc::new(next)).open().unwrap();
            assert_eq!(current, expected);
            Arc::make_mut(&mut current.line_items)[0].quantity += 1;
            let (json, _) = encode(&mut current, before, 64).unwrap();
            assert_eq!(decode(&json), current);
        }
    }
}
