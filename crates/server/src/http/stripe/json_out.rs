//! JSON objects written by hand into a byte buffer, for the renders on the
//! hot path (a session in every session response, and in lists).
//!
//! Why not `Serialize` with `serialize_map`: the serializer escapes every
//! key as it would any string, and a session has about 90 keys. Here a key
//! is one of this crate's `'static` ASCII names, copied as it is (checked
//! in debug builds), and `null`, booleans and integers are written
//! directly; strings and nested `Serialize` values go through serde_json.
//! Keys come out in the order they are written.

use serde::Serialize;

/// A JSON object being written: `{` at [`Object::begin`], `}` at
/// [`Object::end`], a comma before each key but the first.
pub struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    /// The first value that did not serialise; [`Object::end`] returns it,
    /// so that the calls in between need no `?` each.
    error: Option<serde_json::Error>,
}

impl<'a> Object<'a> {
    /// Start an object at the end of `out`.
    pub fn begin(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self {
            out,
            first: true,
            error: None,
        }
    }

    /// Close the object; the first serialisation error, if any.
    pub fn end(self) -> serde_json::Result<()> {
        self.out.push(b'}');
        self.error.map_or(Ok(()), Err)
    }

    fn key(&mut self, key: &'static str) {
        debug_assert!(
            key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'),
            "key {key:?} would need escaping"
        );
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    /// `"key":null`.
    pub fn null(&mut self, key: &'static str) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }

    pub fn bool(&mut self, key: &'static str, value: bool) {
        self.key(key);
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    pub fn int(&mut self, key: &'static str, value: i64) {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// The integer, or `null`.
    pub fn opt_int(&mut self, key: &'static str, value: Option<i64>) {
        match value {
            Some(v) => self.int(key, v),
            None => self.null(key),
        }
    }

    /// A string, escaped.
    pub fn str(&mut self, key: &'static str, value: &str) {
        self.value(key, value);
    }

    /// The string, or `null`.
    pub fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// JSON text that is already valid JSON (a constant sub-object).
    pub fn raw(&mut self, key: &'static str, json: &str) {
        self.key(key);
        self.out.extend_from_slice(json.as_bytes());
    }

    /// Any serialisable value (maps, lists, `serde_json::Value`).
    pub fn value<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) {
        self.key(key);
        if let Err(e) = serde_json::to_writer(&mut *self.out, value) {
            self.error.get_or_insert(e);
        }
    }

    /// A nested object under `key`, written by `write`.
    pub fn object(&mut self, key: &'static str, write: impl FnOnce(&mut Object<'_>)) {
        self.key(key);
        let mut nested = Object::begin(self.out);
        write(&mut nested);
        if let Err(e) = nested.end() {
            self.error.get_or_insert(e);
        }
    }

    /// A list under `key`: each item appended to the buffer by `write`.
    pub fn array<T>(
        &mut self,
        key: &'static str,
        items: impl IntoIterator<Item = T>,
        mut write: impl FnMut(&mut Vec<u8>, T) -> serde_json::Result<()>,
    ) {
        self.key(key);
        self.out.push(b'[');
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            if let Err(e) = write(self.out, item) {
                self.error.get_or_insert(e);
            }
        }
        self.out.push(b']');
    }

    /// [`Object::object`] of `value` when there is one, else `null`.
    pub fn opt_object<T>(
        &mut self,
        key: &'static str,
        value: Option<T>,
        write: impl FnOnce(&mut Object<'_>, T),
    ) {
        match value {
            Some(v) => self.object(key, |o| write(o, v)),
            None => self.null(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn writes_the_json_serde_json_reads_back_in_order() {
        let mut out = Vec::new();
        let mut o = Object::begin(&mut out);
        o.str("id", "cs_\"1\"\n");
        o.null("after_expiration");
        o.bool("livemode", false);
        o.int("created", -17);
        o.opt_int("amount", None);
        o.opt_str("url", Some("https://x/é"));
        o.raw("automatic_tax", r#"{"enabled":false}"#);
        o.value("metadata", &json!({"b": "1", "a": "2"}));
        o.object("total_details", |t| t.int("amount_tax", 0));
        o.opt_object("empty", None::<i64>, |e, v| e.int("never", v));
        o.array("items", ["a", "b"], |out, id| {
            let mut item = Object::begin(out);
            item.str("id", id);
            item.end()
        });
        o.end().unwrap();
        let text = String::from_utf8(out).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back,
            json!({
                "id": "cs_\"1\"\n", "after_expiration": null, "livemode": false,
                "created": -17, "amount": null, "url": "https://x/é",
                "automatic_tax": {"enabled": false}, "metadata": {"b": "1", "a": "2"},
                "total_details": {"amount_tax": 0}, "empty": null,
                "items": [{"id": "a"}, {"id": "b"}],
            })
        );
        let keys: Vec<&String> = back.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "id");
        assert_eq!(keys[9], "empty");
    }
}
