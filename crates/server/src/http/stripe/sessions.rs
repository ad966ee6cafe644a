//! `/v1/checkout/sessions`: create, retrieve, update, list, list line
//! items, expire.

use super::context::{Ctx, StripeParams};
use super::error::{StripeError, StripeResult};
use super::expand::Expand;
use super::form::Params;
use super::inline::Inline;
use super::params::{currency, new_metadata};
use super::session_params::{self as sp, unsupported, LOCALES, UNSUPPORTED_CREATE};
use super::session_render::{self, View, ITEM_EXPANDABLE, SESSION_EXPANDABLE};
use super::{list, products};
use crate::app::catalog;
use crate::app::{sessions, AppError};
use crate::http::AppState;
use crate::ids;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use checkout_domain::catalog::Product;
use checkout_domain::session::{Mode, NewSession, Session, SessionUpdate, Status, UiMode};
use checkout_store::{Column, Cursor};
use serde_json::Value;

pub use crate::app::sessions::KIND;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/checkout/sessions",
            get(list_sessions).post(create_session),
        )
        .route(
            "/v1/checkout/sessions/{id}",
            get(retrieve_session).post(update_session),
        )
        .route(
            "/v1/checkout/sessions/{id}/line_items",
            get(list_line_items),
        )
        .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
}

/// How a request wants its sessions rendered.
fn view<'a>(state: &'a AppState, ctx: &'a Ctx, expand: &'a Expand) -> View<'a> {
    View {
        expand,
        api_version: &ctx.api_version,
        public_url: &state.public_url,
    }
}

/// Render a session for a request.
pub fn render(state: &AppState, ctx: &Ctx, s: &Session, expand: &Expand) -> Value {
    session_render::session(s, &view(state, ctx, expand))
}

/// About the size of a rendered session with a few line items unexpanded.
const RENDERED_BYTES: usize = 4096;

/// A session serialised straight into a JSON response body.
fn body(state: &AppState, ctx: &Ctx, s: &Session, expand: &Expand) -> StripeResult<Bytes> {
    let mut out = Vec::with_capacity(RENDERED_BYTES);
    session_render::write(&mut out, s, &view(state, ctx, expand)).map_err(encode_failed)?;
    Ok(Bytes::from(out))
}

/// A rendered session that could not be written out (a bug, not the
/// caller's fault).
fn encode_failed(e: serde_json::Error) -> StripeError {
    tracing::error!(error = %e, "session does not render");
    StripeError::internal()
}

fn json_response(body: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

fn url(p: &mut Params, key: &str) -> StripeResult<Option<String>> {
    let value = p.string(key, 5000)?;
    if let Some(u) = &value {
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return Err(
                StripeError::invalid_request("Not a valid URL", Some(p.path(key)))
                    .code("url_invalid"),
            );
        }
    }
    Ok(value)
}

fn allowed_countries(p: &mut Params) -> StripeResult<Option<Vec<String>>> {
    let Some(mut c) = p.required_object("shipping_address_collection")? else {
        return Ok(None);
    };
    let countries = c
        .string_array("allowed_countries", 2)?
        .ok_or_else(|| c.missing("allowed_countries"))?;
    for code in &countries {
        if code.len() != 2 || !code.chars().all(|ch| ch.is_ascii_uppercase()) {
            return Err(StripeError::invalid_request(
                format!("Invalid allowed_countries: {code} is not a two-letter ISO 3166-1 country code."),
                Some(c.path("allowed_countries")),
            ));
        }
    }
    c.finish()?;
    Ok(Some(countries))
}

async fn create_session(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Response> {
    let expand = Expand::read(&mut p, SESSION_EXPANDABLE)?;
    if let Some(key) = UNSUPPORTED_CREATE
        .iter()
        .chain(&[
            "allow_promotion_codes",
            "customer_creation",
            "phone_number_collection",
        ])
        .find(|k| p.has(k))
    {
        return Err(unsupported(key));
    }
    if let Some(mut t) = p.required_object("automatic_tax")? {
        if t.bool("enabled")?.ok_or_else(|| t.missing("enabled"))? {
            return Err(unsupported("automatic_tax[enabled]"));
        }
        if t.has("liability") {
            return Err(unsupported("automatic_tax[liability]"));
        }
        t.finish()?;
    }
    let mode = p
        .enumeration("mode", Mode::VALUES)?
        .and_then(Mode::parse)
        .ok_or_else(|| p.missing("mode"))?;
    let ui_mode = match p.string("ui_mode", 5000)? {
        None => UiMode::HostedPage,
        Some(s) => UiMode::parse_with_aliases(&s)
            .ok_or_else(|| p.enum_error("ui_mode", &s, UiMode::VALUES))?,
    };
    let permissions = match p.required_object("permissions")? {
        None => None,
        Some(mut perm) => {
            let v = perm.enumeration("update_shipping_details", &["client_only", "server_only"])?;
            perm.finish()?;
            if ui_mode.is_hosted() {
                return Err(StripeError::invalid_request(
                    "`permissions` can only be set when creating `embedded_page`, `elements` or `form` sessions.",
                    Some("permissions".into()),
                ));
            }
            v.map(str::to_owned)
        }
    };
    let payment_intent_data = sp::new_payment_intent_data(&mut p)?;
    if p.has("submit_type") && (mode == Mode::Setup || ui_mode == UiMode::Elements) {
        return Err(StripeError::invalid_request(
            "`submit_type` can only be specified on `payment` or `subscription` sessions whose `ui_mode` is not `elements`.",
            Some("submit_type".into()),
        ));
    }
    let mut methods = p
        .string_array("payment_method_types", 5000)?
        .unwrap_or_default();
    if let Some(allowed) = p.string_array("allowed_payment_method_types", 5000)? {
        methods = allowed;
    }
    if let Some(other) = methods.iter().find(|m| m.as_str() != "card") {
        return Err(StripeError::invalid_request(
            format!(
                "The payment method type `{other}` is not supported by checkoutd; only `card` is."
            ),
            Some("payment_method_types".into()),
        ));
    }
    let expires_at = p.int("expires_at")?;
    let mut inline = Inline::default();
    let input = NewSession {
        id: ids::session_id(ctx.scope.livemode),
        livemode: ctx.scope.livemode,
        mode,
        ui_mode,
        currency: currency(&mut p, "currency")?,
        line_items: sp::new_line_items(&state, &ctx, &mut p, &mut inline).await?,
        shipping_options: sp::shipping_options(&state, &ctx, &mut p, &mut inline)
            .await?
            .unwrap_or_default(),
        shipping_allowed_countries: allowed_countries(&mut p)?,
        success_url: url(&mut p, "success_url")?,
        cancel_url: url(&mut p, "cancel_url")?,
        return_url: url(&mut p, "return_url")?,
        redirect_on_completion: p
            .enumeration(
                "redirect_on_completion",
                &["always", "if_required", "never"],
            )?
            .map(str::to_owned),
        expires_at,
        customer_email: p.string("customer_email", 800)?,
        client_reference_id: p.string("client_reference_id", 200)?,
        metadata: new_metadata(&mut p, "metadata")?,
        locale: p.enumeration("locale", LOCALES)?.map(str::to_owned),
        update_shipping_details: permissions,
        payment_intent_data,
        payment_method_types: methods,
        billing_address_collection: p
            .enumeration("billing_address_collection", &["auto", "required"])?
            .map(str::to_owned),
        submit_type: p
            .enumeration(
                "submit_type",
                &["auto", "book", "donate", "pay", "subscribe"],
            )?
            .map(str::to_owned),
        client_secret: None,
    };
    p.finish()?;
    let client_secret = format!("{}_secret_{}", input.id, ids::random(24));
    let input = NewSession {
        client_secret: Some(client_secret),
        ..input
    };
    if mode != Mode::Payment && input.payment_intent_data != Default::default() {
        return Err(StripeError::invalid_request(
            "`payment_intent_data` can only be used in `payment` mode.",
            Some("payment_intent_data".into()),
        ));
    }
    let session = Session::create(input, ctx.now, &mut || ids::object_id("li"))?;
    sessions::create(&state, &ctx, &session, inline.0).await?;
    respond(&state, &ctx, &session, &expand).await
}

async fn retrieve_session(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Response> {
    let expand = Expand::read(&mut p, SESSION_EXPANDABLE)?;
    p.finish()?;
    let session = sessions::retrieve(&state, &ctx, &id).await?;
    respond(&state, &ctx, &session, &expand).await
}

/// Render a session, loading what its expansions need from the store.
/// Without expanded products (which patch the JSON tree) the session is
/// serialised straight into the response.
pub async fn respond(
    state: &AppState,
    ctx: &Ctx,
    s: &Session,
    expand: &Expand,
) -> StripeResult<Response> {
    if expand.has("line_items.data.price.product") {
        return Ok(Json(render_loaded(state, ctx, s, expand).await?).into_response());
    }
    Ok(json_response(body(state, ctx, s, expand)?))
}

async fn render_loaded(
    state: &AppState,
    ctx: &Ctx,
    s: &Session,
    expand: &Expand,
) -> StripeResult<Value> {
    let mut value = render(state, ctx, s, expand);
    if expand.has("line_items.data.price.product") {
        if let Some(items) = value["line_items"]["data"].as_array_mut() {
            for item in items {
                let Some(id) = item["price"]["product"].as_str().map(str::to_owned) else {
                    continue;
                };
                let product: Product = catalog::retrieve(&*state.store, ctx, &id, None).await?;
                item["price"]["product"] = products::render(&product);
            }
        }
    }
    Ok(value)
}

async fn update_session(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Response> {
    let expand = Expand::read(&mut p, SESSION_EXPANDABLE)?;
    let metadata = super::params::metadata_patch(&mut p, "metadata")?;
    let mut inline = Inline::default();
    let line_items = sp::line_item_updates(&state, &ctx, &mut p, &mut inline).await?;
    let shipping_options = sp::shipping_options(&state, &ctx, &mut p, &mut inline).await?;
    let collected_shipping = match p.required_object("collected_information")? {
        None => None,
        Some(mut c) => {
            let details = c
                .required_object("shipping_details")?
                .map(sp::shipping_details)
                .transpose()?;
            c.finish()?;
            details
        }
    };
    let payment_intent_data = sp::payment_intent_data_update(&mut p)?;
    p.finish()?;
    let update = SessionUpdate {
        metadata,
        line_items,
        shipping_options,
        collected_shipping,
        payment_intent_data,
    };
    let session = sessions::update(&state, &ctx, &id, update, inline.0).await?;
    respond(&state, &ctx, &session, &expand).await
}

async fn expire_session(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Response> {
    let expand = Expand::read(&mut p, SESSION_EXPANDABLE)?;
    p.finish()?;
    let session = sessions::expire(&state, &ctx, &id).await?;
    respond(&state, &ctx, &session, &expand).await
}

async fn list_sessions(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Response> {
    let allowed = Expand::for_list(SESSION_EXPANDABLE);
    let expand = Expand::read(
        &mut p,
        &allowed.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    let mut query = list::query(&mut p, KIND, true)?;
    if let Some(status) = p.enumeration("status", Status::VALUES)? {
        query.eq.push((Column::Status, status.to_owned()));
    }
    if let Some(mut details) = p.required_object("customer_details")? {
        let email = details.required_string("email", 800)?;
        details.finish()?;
        query.eq.push((Column::Email, email));
    }
    for (key, column) in [
        ("customer", Column::Customer),
        ("customer_account", Column::Customer),
        ("payment_intent", Column::PaymentIntent),
        ("payment_link", Column::PaymentLink),
        ("subscription", Column::Subscription),
    ] {
        if let Some(v) = p.string(key, 5000)? {
            query.eq.push((column, v));
        }
    }
    p.finish()?;
    let (items, has_more) = match sessions::list(&state, &ctx, &query).await {
        Err(AppError::NotFound) => return Err(list::unknown_cursor(KIND, &query)),
        found => found?,
    };
    let item_expand = expand.under("data");
    if !item_expand.has("line_items.data.price.product") {
        // Written straight into the body, as a single session is.
        let view = view(&state, &ctx, &item_expand);
        let mut out = Vec::with_capacity(RENDERED_BYTES * (items.len() + 1));
        list::write_envelope(
            &mut out,
            &items,
            has_more,
            "/v1/checkout/sessions",
            |out, s| session_render::write(out, s, &view),
        )
        .map_err(encode_failed)?;
        return Ok(json_response(Bytes::from(out)));
    }
    let mut data = Vec::with_capacity(items.len());
    for s in &items {
        data.push(render_loaded(&state, &ctx, s, &item_expand).await?);
    }
    Ok(Json(list::envelope(data, has_more, "/v1/checkout/sessions")).into_response())
}

async fn list_line_items(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let allowed = Expand::for_list(ITEM_EXPANDABLE);
    let expand = Expand::read(
        &mut p,
        &allowed.iter().map(String::as_str).collect::<Vec<_>>(),
    )?;
    let query = list::query(&mut p, "item", false)?;
    p.finish()?;
    let session = sessions::retrieve(&state, &ctx, &id).await?;
    let lines = &session.line_items;
    let limit = usize::try_from(query.limit).unwrap_or(10);
    let position = |li: &str| {
        lines
            .iter()
            .position(|l| l.id == li)
            .ok_or_else(|| list::unknown_cursor("line_item", &query))
    };
    // Line items keep the session's order (not newest first).
    let (start, end) = match &query.cursor {
        Cursor::First => (0, lines.len().min(limit)),
        Cursor::StartingAfter(li) => {
            let s = position(li)? + 1;
            (s, lines.len().min(s + limit))
        }
        Cursor::EndingBefore(li) => {
            let e = position(li)?;
            (e.saturating_sub(limit), e)
        }
    };
    let has_more = match &query.cursor {
        Cursor::EndingBefore(_) => start > 0,
        _ => end < lines.len(),
    };
    let item_expand = expand.under("data");
    let data = lines[start..end]
        .iter()
        .map(|l| session_render::item(l, &item_expand))
        .collect();
    Ok(Json(list::envelope(
        data,
        has_more,
        &format!("/v1/checkout/sessions/{id}/line_items"),
    )))
}
