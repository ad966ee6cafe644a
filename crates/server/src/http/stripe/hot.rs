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

use super::resource::json_text;
use checkout_domain::session::{LineItem, Session};
use std::sync::Arc;

/// A session as this node stored it at one version (see the module docs).
#[derive(Clone)]
pub struct Hot {
    pub session: Arc<Session>,
    /// The stored JSON of `session.line_items` (`None`: no lines).
    pub lines_json: Option<Arc<str>>,
}

/// The lines' JSON as last stored, for the very lines it encodes.
pub struct StoredLines {
    lines: Arc<Vec<LineItem>>,
    json: Arc<str>,
}

impl Hot {
    /// The session to change, and the JSON its lines were stored with.
    pub fn open(self) -> (Session, Option<StoredLines>) {
        let lines = self.lines_json.map(|json| StoredLines {
            lines: self.session.line_items.clone(),
            json,
        });
        (Arc::unwrap_or_clone(self.session), lines)
    }
}

/// The stored JSON of `s`, reusing `before` when `s` still holds the lines
/// it was made from; also the lines' JSON, for the next write.
pub fn encode(
    s: &mut Session,
    before: Option<StoredLines>,
    capacity: usize,
) -> sonic_rs::Result<(String, Option<Arc<str>>)> {
    if s.line_items.is_empty() {
        return Ok((json_text(s, capacity)?, None));
    }
    let lines = match before {
        Some(b) if Arc::ptr_eq(&b.lines, &s.line_items) => b.json,
        _ => Arc::from(json_text(&*s.line_items, capacity)?),
    };
    // Without lines the derive leaves the key out (`skip_serializing_if`);
    // they are put back whatever happens.
    let items = std::mem::take(&mut s.line_items);
    let rest = json_text(s, capacity);
    s.line_items = items;
    let mut out = rest?;
    // `{…}` becomes `{…,"line_items":[…]}`.
    out.pop();
    if out.len() > 1 {
        out.push(',');
    }
    out.push_str("\"line_items\":");
    out.push_str(&lines);
    out.push('}');
    Ok((out, Some(lines)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkout_domain::metadata::MetadataPatch;
    use checkout_domain::session::SessionUpdate;

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
        let hot = Hot {
            session: Arc::new(s.clone()),
            lines_json: lines,
        };
        // Metadata only: the same lines, and the same JSON for them.
        let (current, before) = hot.clone().open();
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
        let (mut current, before) = hot.open();
        Arc::make_mut(&mut current.line_items)[0].quantity += 1;
        let (json, _) = encode(&mut current, before, 64).unwrap();
        assert_eq!(decode(&json), current);
    }
}
