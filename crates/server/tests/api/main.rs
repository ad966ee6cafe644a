//! Black-box tests of checkoutd over HTTP: each test starts the real server
//! on a random port with a fresh database (SQLite by default; PostgreSQL
//! when `CHECKOUTD_TEST_DATABASE_URL` names a server) and talks to it only
//! through its wire API.

mod helpers;
mod signing;

mod catalog;
mod conventions;
mod hosted;
mod isolation;
mod limits;
mod logs;
mod nodes;
mod openapi;
mod sessions;
mod update;
mod webhook_urls;
mod webhooks;
