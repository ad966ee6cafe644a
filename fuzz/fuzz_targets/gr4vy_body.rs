//! Gr4vy create and update bodies on arbitrary bytes: decode, validate
//! against the spec's limits, apply to a stored session and render it, as
//! the handlers do. Every failure must be a 4xx in Gr4vy's envelope (a 500
//! would mean the schema and the DTO disagree), never a panic; what is
//! stored must read back as what was stored.

#![no_main]

use checkoutd::http::gr4vy::sessions::parse_body;
use checkoutd::http::gr4vy::types::{SessionFields, StoredSession};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for create in [true, false] {
        match parse_body(data, create) {
            Err(e) => {
                assert!(e.status.is_client_error(), "not a 4xx: {e:?}");
                let _ = e.body();
            }
            Ok(input) => {
                let mut session = StoredSession {
                    id: "5b0a6b9c-6f0e-4c8e-9b7a-2a7f0d1c3e4f".into(),
                    merchant_account_id: "default".into(),
                    created: 1_700_000_000,
                    expires_at: 1_700_003_600,
                    fields: SessionFields::default(),
                };
                session.fields.apply(input.clone());
                // Applying the same body twice (an SDK retry) changes nothing more.
                let once = session.clone();
                session.fields.apply(input);
                assert_eq!(once, session);
                let _ = session.render();
                let stored = serde_json::to_string(&session).expect("stored session serializes");
                let back: StoredSession =
                    serde_json::from_str(&stored).expect("stored session reads back");
                assert_eq!(back.render(), session.render());
            }
        }
    }
});
