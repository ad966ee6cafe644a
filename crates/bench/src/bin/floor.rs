//! `floor`: the HTTP stack checkoutd runs on (axum 0.8 over hyper, tokio's
//! multi-threaded runtime as `#[tokio::main]` sets it up), answering the
//! benchmark's paths with fixed JSON documents from memory. Its throughput
//! is the most checkoutd could reach on this machine; the benchmark reports
//! checkoutd as a fraction of it.
//!
//! The documents are captured from checkoutd by the benchmark (`--session`,
//! `--list`), so they have a real session's size; without them a built-in
//! capture is served.
//!
//! Routes (the same paths and methods the scenarios use):
//! - `GET`/`POST /v1/checkout/sessions/{id}` → the session document
//! - `POST /v1/checkout/sessions` → the session document
//! - `GET /v1/checkout/sessions` → the list document
//!
//! Prints `floor listening on http://HOST:PORT` once bound; SIGTERM or
//! SIGINT stop it.

use axum::extract::{Path, State};
use axum::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use clap::Parser;
use std::sync::Arc;
use tokio::net::TcpListener;

const DEFAULT_SESSION: &str = include_str!("../../fixtures/session.json");
const DEFAULT_LIST: &str = include_str!("../../fixtures/list.json");

#[derive(Parser)]
#[command(about = "The HTTP stack alone, serving fixed session documents")]
struct Args {
    /// Listen address (port 0 = any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// JSON file served for one session (retrieve, update, create).
    #[arg(long)]
    session: Option<std::path::PathBuf>,
    /// JSON file served for a list of sessions.
    #[arg(long)]
    list: Option<std::path::PathBuf>,
}

#[derive(Clone)]
struct Docs {
    session: Bytes,
    list: Bytes,
}

type Shared = State<Arc<Docs>>;

fn json(body: &Bytes) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            // The two headers every checkoutd response carries.
            (
                HeaderName::from_static("request-id"),
                HeaderValue::from_static("req_0123456789abcd"),
            ),
            (
                HeaderName::from_static("stripe-version"),
                HeaderValue::from_static("2026-10-28.endive"),
            ),
        ],
        body.clone(),
    )
}

async fn one(State(d): Shared, Path(_id): Path<String>) -> impl IntoResponse {
    json(&d.session)
}

// POST handlers take the body, so it is read as checkoutd reads it.
async fn one_post(State(d): Shared, Path(_id): Path<String>, _body: Bytes) -> impl IntoResponse {
    json(&d.session)
}

async fn create(State(d): Shared, _body: Bytes) -> impl IntoResponse {
    json(&d.session)
}

async fn list(State(d): Shared) -> impl IntoResponse {
    json(&d.list)
}

fn read(path: Option<&std::path::Path>, default: &'static str) -> anyhow::Result<Bytes> {
    Ok(match path {
        Some(p) => Bytes::from(std::fs::read(p)?),
        None => Bytes::from_static(default.as_bytes()),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let docs = Arc::new(Docs {
        session: read(args.session.as_deref(), DEFAULT_SESSION)?,
        list: read(args.list.as_deref(), DEFAULT_LIST)?,
    });
    let app = Router::new()
        .route("/v1/checkout/sessions", get(list).post(create))
        .route("/v1/checkout/sessions/{id}", get(one).post(one_post))
        .with_state(docs.clone());
    let listener = TcpListener::bind(&args.addr).await?;
    let addr = listener.local_addr()?;
    println!(
        "floor listening on http://{addr} (session {} B, list {} B)",
        docs.session.len(),
        docs.list.len()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}
